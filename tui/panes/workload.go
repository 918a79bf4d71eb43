// Package panes holds the cockpit's panes. Each keeps its derived, sorted data up to date in Update
// (incrementally where the data is large) and renders only the rows it shows in View.
package panes

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/tui/core"
)

// Workload shows the Deployments, the target's HPA, zones and the target's pods.
type Workload struct {
	ctx    *core.Context
	w, h   int
	focus  bool
	keys   []string // sorted pod keys shown (live and recently gone)
	scroll core.Scroller
	sel    string // selector of the target when keys were built, to notice changes
	cache  string
	valid  bool

	// Per-zone pod counts and pending pods, kept up to date per changed pod (walking 5,000 pods on
	// every batch was the pane's main cost under churn).
	contrib    map[string]podContrib
	perZone    map[string]int
	pending    int
	pendingWhy string
	whyDirty   bool
	// hpaHigh is when the HPA's computed recommendation was last as high as what it holds.
	hpaHigh time.Time
	// scaleUp times the cluster-autoscaler's last scale-up for a pod of the target.
	scaleUp *scaleUpWatch
	// hpaMin is the target HPA's min replicas as last seen, and minRaised when and from what it was
	// last raised (over-provisioning ahead of a peak).
	hpaMin    int32
	minRaised struct {
		from int32
		at   time.Time
	}
}

// podContrib is what one pod adds to the zone line.
type podContrib struct {
	zone    string
	counted bool
	pending bool
}

// NewWorkload makes the pane.
func NewWorkload(ctx *core.Context) *Workload { return &Workload{ctx: ctx} }

// ID implements core.Pane.
func (p *Workload) ID() core.PaneID { return core.PaneWorkload }

// Title implements core.Pane.
func (p *Workload) Title() string {
	t := "Workload"
	if p.ctx.Target != "" {
		t += " deploy/" + p.ctx.Target
	}
	return fmt.Sprintf("%s · pods[%d]", t, len(p.keys))
}

// Capturing implements core.Pane.
func (p *Workload) Capturing() bool { return false }

// SetSize implements core.Pane.
func (p *Workload) SetSize(w, h int) { p.w, p.h, p.valid = w, h, false }

// ShortHelp implements help.KeyMap.
func (p *Workload) ShortHelp() []key.Binding {
	k := p.ctx.Keys
	return []key.Binding{k.Action("kill"), k.Action("killMany"), k.Action("scaleUp"), k.Action("scaleDown"), k.Action("restart"), k.Action("drain"), k.Action("burst")}
}

// FullHelp implements help.KeyMap.
func (p *Workload) FullHelp() [][]key.Binding {
	k := p.ctx.Keys
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}}
}

// Update implements core.Pane.
func (p *Workload) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case core.ClusterChangedMsg:
		p.apply(msg.Delta)
		p.noteScaleUp(msg.Delta)
		p.noteHPA(p.ctx.Now())
	case core.TargetChangedMsg:
		p.hpaMin, p.minRaised.at = 0, time.Time{} // another target's HPA: nothing was raised yet
		p.rebuild()
	case core.TickMsg:
		p.dropExpired(msg.Pruned)
		p.noteHPA(msg.Now)
		p.valid = false
	case core.FocusMsg:
		p.focus, p.valid = true, false
	case core.BlurMsg:
		p.focus, p.valid = false, false
	case core.ThemeChangedMsg:
		p.valid = false
	case tea.KeyPressMsg:
		if p.scroll.HandleKey(p.ctx.Keys, msg) {
			p.valid = false
		}
	}
	return nil
}

// SelectedPod is the name of the live pod under the cursor ("" when none: the cursor is on a pod
// that is gone or terminating, or there are no pods).
func (p *Workload) SelectedPod() string {
	i := p.scroll.Cursor
	if i < 0 || i >= len(p.keys) {
		return ""
	}
	pod, ok := p.ctx.Cluster.Pods[p.keys[i]]
	if !ok || pod.Terminating() {
		return ""
	}
	return pod.Name
}

func (p *Workload) target() *model.Deployment {
	return p.ctx.Cluster.Deployment(p.ctx.Namespace, p.ctx.Target)
}

func (p *Workload) matches(pod *model.Pod, d *model.Deployment) bool {
	if p.ctx.Target == "" {
		return p.ctx.Namespace == "" || pod.Namespace == p.ctx.Namespace
	}
	return model.Matches(pod, d)
}

func selectorKey(d *model.Deployment) string {
	if d == nil {
		return ""
	}
	parts := make([]string, 0, len(d.Selector))
	for k, v := range d.Selector {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return d.Namespace + "|" + strings.Join(parts, ",")
}

// rebuild derives the pod list from scratch: on a reset, a target change or a selector change.
func (p *Workload) rebuild() {
	d := p.target()
	p.sel = selectorKey(d)
	p.keys = p.keys[:0]
	for k, pod := range p.ctx.Cluster.Pods {
		if p.matches(pod, d) {
			p.keys = append(p.keys, k)
		}
	}
	for k, g := range p.ctx.Cluster.Gone {
		if p.matches(&g.Pod, d) {
			p.keys = append(p.keys, k)
		}
	}
	sort.Strings(p.keys)
	p.scroll.SetN(len(p.keys))
	p.recount()
	p.valid = false
}

// recount derives the zone counts from every shown pod (reset, target or node changes).
func (p *Workload) recount() {
	p.contrib, p.perZone, p.pending, p.whyDirty = map[string]podContrib{}, map[string]int{}, 0, true
	for _, k := range p.keys {
		p.account(k)
	}
}

// account adds the pod's contribution (if it is live and shown); unaccount removes it.
func (p *Workload) account(k string) {
	pod, ok := p.ctx.Cluster.Pods[k]
	if !ok {
		return
	}
	c := podContrib{pending: pod.Phase == "Pending" && !pod.Terminating()}
	if pod.Node != "" && !pod.Terminating() {
		c.zone, c.counted = p.ctx.Cluster.Zone(pod.Node), true
		if c.zone == "" {
			c.zone = "-"
		}
		p.perZone[c.zone]++
	}
	if c.pending {
		p.pending++
	}
	p.contrib[k] = c
}

func (p *Workload) unaccount(k string) {
	c, ok := p.contrib[k]
	if !ok {
		return
	}
	if c.counted {
		p.perZone[c.zone]--
	}
	if c.pending {
		p.pending--
	}
	delete(p.contrib, k)
}

// apply folds a delta into the sorted list without re-sorting: insert or remove by binary search.
func (p *Workload) apply(d *model.ClusterDelta) {
	p.valid = false
	t := p.target()
	if d == nil || d.Reset || selectorKey(t) != p.sel {
		p.rebuild()
		return
	}
	for i := range d.Pods {
		pod := &d.Pods[i]
		k := pod.Key()
		idx, found := p.find(k)
		switch m := p.matches(pod, t); {
		case m && !found:
			p.keys = append(p.keys, "")
			copy(p.keys[idx+1:], p.keys[idx:])
			p.keys[idx] = k
		case !m && found:
			p.keys = append(p.keys[:idx], p.keys[idx+1:]...)
		}
	}
	// Deleted pods stay listed (marked gone) until dropExpired removes them.
	p.scroll.SetN(len(p.keys))
	if len(d.Nodes)+len(d.NodesGone) > 0 {
		p.recount() // a node's zone may have changed
		return
	}
	for i := range d.Pods {
		k := d.Pods[i].Key()
		p.unaccount(k)
		if p.matches(&d.Pods[i], t) {
			p.account(k)
		}
	}
	for _, k := range d.PodsGone {
		p.unaccount(k)
	}
	if len(d.Events) > 0 || len(d.Pods) > 0 {
		p.whyDirty = true
	}
}

// dropExpired removes forgotten pods by binary search: under churn pods expire every second, and
// scanning all 5,000 keys for them was the cockpit's largest cost per tick.
func (p *Workload) dropExpired(pruned []string) {
	for _, k := range pruned {
		if _, live := p.ctx.Cluster.Pods[k]; live {
			continue // back under the same name
		}
		if i, found := p.find(k); found {
			p.keys = append(p.keys[:i], p.keys[i+1:]...)
		}
	}
	p.scroll.SetN(len(p.keys))
}

// find is where key k is, or would be, in the sorted p.keys.
func (p *Workload) find(k string) (int, bool) {
	i := sort.SearchStrings(p.keys, k)
	return i, i < len(p.keys) && p.keys[i] == k
}

// View implements core.Pane.
func (p *Workload) View() string {
	if p.valid {
		return p.cache
	}
	p.cache = p.render()
	p.valid = true
	return p.cache
}

func (p *Workload) render() string {
	if p.w <= 0 || p.h <= 0 {
		return ""
	}
	st := p.ctx.Styles
	c := p.ctx.Cluster
	var top []string
	if !c.Synced {
		return st.Muted.Render("waiting for the cluster…")
	}
	// Budget: pod table gets the rest after the summary lines, keeping at least 3 rows.
	deploys := p.deployLines()
	hpa := p.hpaLines()
	zones := p.zoneLine()
	room := p.h - 1 - 3 // pod header + 3 rows
	add := func(lines ...string) {
		for _, l := range lines {
			if room > 0 {
				top = append(top, l)
				room--
			}
		}
	}
	add(deploys[0]) // header of the deployment table
	if p.ctx.Target != "" && p.target() == nil {
		add(core.FitLine(st.Warn.Render(fmt.Sprintf("deploy/%s not found in namespace %q: no data, load refused (:target)", p.ctx.Target, p.ctx.Namespace)), p.w))
	}
	if len(deploys) > 1 {
		add(deploys[1]) // the target (always first)
	}
	add(hpa...)
	if zones != "" {
		add(zones)
	}
	if pl := p.pendingLine(); pl != "" {
		add(pl)
	}
	if al := p.autoscalerLine(); al != "" {
		add(al)
	}
	if sl := p.scaleUpLine(); sl != "" {
		add(sl)
	}
	if rl := p.rolloutLine(); rl != "" {
		add(rl)
	}
	// The VPA's lines change slowly: after what a short pane must not lose (zones, pending pods, the
	// autoscaler, a rollout).
	add(p.vpaLines()...)
	for _, l := range deploys[min(2, len(deploys)):] {
		add(l)
	}
	rows := p.h - len(top) - 1
	p.scroll.SetHeight(rows)
	var sb strings.Builder
	for _, l := range top {
		sb.WriteString(core.FitLine(l, p.w))
		sb.WriteByte('\n')
	}
	p.podTable(&sb, rows)
	return strings.TrimRight(sb.String(), "\n")
}

// deployLines: a header and one line per Deployment, the target first.
func (p *Workload) deployLines() []string {
	st := p.ctx.Styles
	c := p.ctx.Cluster
	var ds []*model.Deployment
	for _, d := range c.Deployments {
		if p.ctx.Namespace == "" || d.Namespace == p.ctx.Namespace {
			ds = append(ds, d)
		}
	}
	sort.Slice(ds, func(i, j int) bool {
		ti, tj := ds[i].Name == p.ctx.Target, ds[j].Name == p.ctx.Target
		if ti != tj {
			return ti
		}
		return ds[i].Key() < ds[j].Key()
	})
	cols := core.FitColumns(p.w, 10,
		core.Col{Title: "DEPLOYMENT", Flex: true},
		core.Col{Title: "DESIRED", W: 8, Right: true},
		core.Col{Title: "READY", W: 6, Right: true},
		core.Col{Title: "AVAIL", W: 6, Right: true, Prio: 1},
		core.Col{Title: "UPDATED", W: 8, Right: true, Prio: 2})
	out := []string{st.TableHead.Render(cols.Header())}
	for _, d := range ds {
		mark, ns := "  ", st.Text
		if d.Name == p.ctx.Target {
			mark, ns = "▶ ", st.Accent
		}
		rs := st.OK
		if d.Ready < d.Desired {
			rs = st.Warn
		}
		if d.Ready == 0 && d.Desired > 0 {
			rs = st.Err
		}
		// Style the cells separately: lay out plain text, then colour the name and ready parts.
		row := cols.Row(mark+d.Name, fmt.Sprint(d.Desired), fmt.Sprint(d.Ready), fmt.Sprint(d.Available), fmt.Sprint(d.Updated))
		nameEnd := cols.Widths[0]
		readyEnd := nameEnd + cols.Widths[1] + cols.Widths[2]
		out = append(out, ns.Render(row[:nameEnd])+st.Text.Render(row[nameEnd:nameEnd+cols.Widths[1]])+
			rs.Render(row[nameEnd+cols.Widths[1]:readyEnd])+st.Text.Render(row[readyEnd:]))
	}
	return out
}

// hpaLines: current -> desired, the metric against its target, min/max and the conditions.
func (p *Workload) hpaLines() []string {
	st := p.ctx.Styles
	if p.ctx.Target == "" {
		return nil
	}
	h := p.ctx.Cluster.HPAFor(p.ctx.Namespace, p.ctx.Target)
	if h == nil {
		return []string{st.Muted.Render("no HPA on deploy/" + p.ctx.Target)}
	}
	arrow := st.Text.Render(fmt.Sprintf("%d → %d", h.Current, h.Desired))
	if h.Desired > h.Current {
		arrow = st.Warn.Render(fmt.Sprintf("%d → %d ▲", h.Current, h.Desired))
	} else if h.Desired < h.Current {
		arrow = st.Info.Render(fmt.Sprintf("%d → %d ▼", h.Current, h.Desired))
	}
	metric := h.Metric + " ?"
	if h.HasCurrent {
		ms := st.OK
		if h.MetricCurrent > h.MetricTarget*1.1 {
			ms = st.Warn
		}
		metric = ms.Render(fmt.Sprintf("%s %.0f%s", h.Metric, h.MetricCurrent, h.MetricUnit)) + st.Muted.Render(fmt.Sprintf(" / %.0f%s", h.MetricTarget, h.MetricUnit))
	}
	line := st.Bold.Render("HPA ") + arrow + "  " + metric + st.Muted.Render(fmt.Sprintf("  min %d max %d", h.Min, h.Max))
	if r := p.minRaised; !r.at.IsZero() {
		line += st.Info.Render(fmt.Sprintf("  min raised %d → %d at %s", r.from, h.Min, r.at.Format("15:04:05")))
	}
	var conds []string
	for _, c := range h.Conditions {
		dot := st.OK.Render("●")
		bad := (c.Status != "True") != (c.Type == "ScalingLimited")
		if bad {
			dot = st.Warn.Render("○")
		}
		name := c.Type
		if p.w < 60 {
			name = shortCondition[c.Type]
		}
		conds = append(conds, dot+st.Muted.Render(name))
	}
	out := []string{line}
	if len(conds) > 0 {
		out = append(out, "    "+strings.Join(conds, " "))
	}
	if a := hpaArithmetic(h); a != "" {
		if held := p.hpaHold(h); held != "" {
			next, _ := hpaNext(h)
			a = fmt.Sprintf("%s (next: %d × %.0f/%.0f → %d)", held, h.Current, h.MetricCurrent, h.MetricTarget, next) // the hold first: it is what a narrow pane must show
		}
		out = append(out, st.Muted.Render("    "+a))
	}
	return out
}

// hpaNext is the replica count the HPA's algorithm computes now (false when it cannot be computed).
func hpaNext(h *model.HPA) (int32, bool) {
	if !h.HasCurrent || h.MetricTarget <= 0 || h.Current <= 0 {
		return 0, false
	}
	ratio := h.MetricCurrent / h.MetricTarget
	if ratio >= 0.9 && ratio <= 1.1 {
		return h.Current, true
	}
	return min(max(int32(math.Ceil(float64(h.Current)*ratio-1e-9)), h.Min), h.Max), true
}

// noteHPA remembers when the HPA's computed recommendation was last as high as what it holds (the
// scale-down window keeps the highest recommendation of its length, so that is when the hold ends),
// and when its min replicas were raised.
func (p *Workload) noteHPA(now time.Time) {
	if p.ctx.Target == "" {
		return
	}
	h := p.ctx.Cluster.HPAFor(p.ctx.Namespace, p.ctx.Target)
	if h == nil {
		return
	}
	switch {
	case p.hpaMin > 0 && h.Min > p.hpaMin:
		p.minRaised.from, p.minRaised.at = p.hpaMin, now
	case h.Min < p.hpaMin:
		p.minRaised.at = time.Time{} // lowered again: the peak is over
	}
	p.hpaMin = h.Min
	if next, ok := hpaNext(h); ok && next >= h.Desired {
		p.hpaHigh = now
	}
}

// hpaHold says why the HPA does not follow its own arithmetic down: the stabilisation window, and how
// long it has left at most ("" when it is not holding).
func (p *Workload) hpaHold(h *model.HPA) string {
	next, ok := hpaNext(h)
	if !ok || next >= h.Desired || h.ScaleDownWindow <= 0 {
		return ""
	}
	since := p.hpaHigh
	if h.LastScale.After(since) {
		since = h.LastScale // it scaled to what it holds then: the recommendation was that high
	}
	txt := fmt.Sprintf("held at %d by the %ds scale-down window", h.Desired, int(h.ScaleDownWindow.Seconds()))
	if !since.IsZero() {
		left := h.ScaleDownWindow - p.ctx.Now().Sub(since)
		if left < 0 {
			left = 0
		}
		txt += fmt.Sprintf(", %ds left", int(left.Seconds()))
	}
	return txt
}

// hpaArithmetic explains the HPA's next decision the way its algorithm computes it:
// desired = ceil(current × metric / target), unless within the 10 % tolerance, clamped to [min, max].
func hpaArithmetic(h *model.HPA) string {
	if !h.HasCurrent || h.MetricTarget <= 0 || h.Current <= 0 {
		return ""
	}
	ratio := h.MetricCurrent / h.MetricTarget
	raw := float64(h.Current) * ratio
	head := fmt.Sprintf("next: %d × %.0f/%.0f = %.2f", h.Current, h.MetricCurrent, h.MetricTarget, raw)
	if ratio >= 0.9 && ratio <= 1.1 {
		return head + fmt.Sprintf(", within the 10%% tolerance: stays %d", h.Current)
	}
	want := int32(math.Ceil(raw - 1e-9))
	switch {
	case want > h.Max:
		return head + fmt.Sprintf(" → %d, capped at max %d", want, h.Max)
	case want < h.Min:
		return head + fmt.Sprintf(" → %d, raised to min %d", want, h.Min)
	}
	return head + fmt.Sprintf(" → ceil = %d", want)
}

var shortCondition = map[string]string{"AbleToScale": "able", "ScalingActive": "active", "ScalingLimited": "limited"}

// zoneLine: per-zone ready nodes and target pods, and pending pods.
func (p *Workload) zoneLine() string {
	st := p.ctx.Styles
	c := p.ctx.Cluster
	if len(c.Nodes) == 0 {
		return ""
	}
	zones := c.Zones(func(func(*model.Pod) bool) {}) // nodes per zone; pods come from the counts
	for z, n := range p.perZone {
		if n == 0 {
			continue
		}
		found := false
		for i := range zones {
			if zones[i].Zone == z {
				zones[i].Pods, found = n, true
			}
		}
		if !found {
			zones = append(zones, model.ZoneCount{Zone: z, Pods: n})
		}
	}
	sort.Slice(zones, func(i, j int) bool { return zones[i].Zone < zones[j].Zone })
	names := make([]string, len(zones))
	for i, z := range zones {
		names[i] = z.Zone
	}
	prefix := commonPrefix(names)
	var parts []string
	for _, z := range zones {
		parts = append(parts, st.Text.Render(strings.TrimPrefix(z.Zone, prefix))+st.Muted.Render(fmt.Sprintf(" %d/%dn ", z.Ready, z.Nodes))+st.Text.Render(fmt.Sprintf("%dp", z.Pods)))
	}
	line := st.Muted.Render("zones "+prefix+"* ") + strings.Join(parts, st.Muted.Render(" · "))
	if p.pending > 0 {
		line += st.Warn.Render(fmt.Sprintf("  pending %d", p.pending))
	}
	return line
}

// why finds the scheduler's last word on a pending pod of the target (only while some are pending).
func (p *Workload) why() {
	if !p.whyDirty {
		return
	}
	p.whyDirty = false
	p.pendingWhy = ""
	if p.pending == 0 {
		return
	}
	var at time.Time
	for _, e := range p.ctx.Cluster.Events {
		if e.Reason != "FailedScheduling" || !strings.HasPrefix(e.Object, "Pod/") || !e.Time.After(at) {
			continue
		}
		k := e.Namespace + "/" + strings.TrimPrefix(e.Object, "Pod/")
		if c, ok := p.contrib[k]; ok && c.pending {
			at, p.pendingWhy = e.Time, e.Note
		}
	}
}

// pendingLine says why pods of the target are pending (the scheduler's last word), if they are.
func (p *Workload) pendingLine() string {
	p.why()
	if p.pending == 0 || p.pendingWhy == "" {
		return ""
	}
	return p.ctx.Styles.Warn.Render(fmt.Sprintf("%d pending: %s", p.pending, p.pendingWhy))
}

// rolloutLine shows a rollout under way: the new ReplicaSet's ready/desired beside the old ones'.
func (p *Workload) rolloutLine() string {
	rs := p.ctx.Cluster.Rollout(p.ctx.Namespace, p.ctx.Target)
	if len(rs) < 2 {
		return ""
	}
	st := p.ctx.Styles
	parts := []string{st.Bold.Render("rollout ") + st.OK.Render(fmt.Sprintf("new rs/%s %d/%d", rs[0].Name, rs[0].Ready, rs[0].Desired))}
	for _, r := range rs[1:] {
		parts = append(parts, st.Muted.Render(fmt.Sprintf("old rs/%s %d/%d", r.Name, r.Ready, r.Desired)))
	}
	return core.FitLine(strings.Join(parts, "  "), p.w)
}

// podTable renders the header and only the visible rows.
func (p *Workload) podTable(sb *strings.Builder, rows int) {
	st := p.ctx.Styles
	c := p.ctx.Cluster
	now := p.ctx.Now()
	hl := p.ctx.Config.UI.Highlight.Duration
	cols := core.FitColumns(p.w, 22,
		core.Col{Title: "  NAME", Flex: true},
		core.Col{Title: "STATUS", W: 13},
		core.Col{Title: "READY", W: 6, Prio: 1},
		core.Col{Title: "RESTARTS", W: 9, Right: true, Prio: 3},
		core.Col{Title: "AGE", W: 7, Right: true, Prio: 2},
		core.Col{Title: "NODE", W: 12, Prio: 4},
		core.Col{Title: "ZONE", W: 11, Prio: 5})
	sb.WriteString(st.TableHead.Render(core.FitLine(cols.Header(), p.w)))
	if len(p.keys) == 0 {
		sb.WriteString("\n" + st.Muted.Render("  no pods"))
		return
	}
	from, to := p.scroll.Visible()
	for i := from; i < to && i-from < rows; i++ {
		k := p.keys[i]
		var pod model.Pod
		mark, style := "  ", st.Text
		status := ""
		if live, ok := c.Pods[k]; ok {
			pod = *live
			status = pod.Phase
			if pod.Phase == "Pending" && pod.Reason != "" || pod.Phase == "Running" && !pod.Ready && pod.Reason != "" {
				status = pod.Reason
			}
			switch {
			case pod.Terminating():
				mark, style, status = "× ", st.Gone, "Terminating"
			case now.Sub(pod.Created) < hl:
				mark, style = "+ ", st.New
			case pod.Phase == "Pending" || pod.Phase == "Failed":
				style = st.Warn
			}
		} else if g, ok := c.Gone[k]; ok {
			pod = g.Pod
			mark, style, status = "– ", st.Faded, "Gone"
		} else {
			continue
		}
		ready := fmt.Sprintf("%d/%d", pod.ReadyContainers, max(pod.Containers, 1))
		line := core.FitLine(cols.Row(mark+pod.Name, status, ready, fmt.Sprint(pod.Restarts),
			core.Age(now.Sub(pod.Created)), pod.Node, c.Zone(pod.Node)), p.w)
		if p.focus && i == p.scroll.Cursor {
			line = st.Selected.Render(line)
		} else {
			line = style.Render(line)
		}
		sb.WriteByte('\n')
		sb.WriteString(line)
	}
}

// commonPrefix of zone names (eu-west-1a, eu-west-1b -> eu-west-1), so narrow panes show a, b, c.
func commonPrefix(names []string) string {
	if len(names) < 2 {
		return ""
	}
	p := names[0]
	for _, n := range names[1:] {
		for !strings.HasPrefix(n, p) {
			p = p[:len(p)-1]
		}
	}
	if len(p) == len(names[0]) {
		return ""
	}
	return p
}
