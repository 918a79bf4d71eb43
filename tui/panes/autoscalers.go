package panes

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/tui/core"
)

// vpaLines: the VerticalPodAutoscaler on the target, if one points at it: its mode (and a warning
// when that mode restarts pods: a facilitator must know before the load starts), its conditions, and
// per container the current request beside the recommendation and its bounds.
func (p *Workload) vpaLines() []string {
	if p.ctx.Target == "" {
		return nil
	}
	v := p.ctx.Cluster.VPAFor(p.ctx.Namespace, p.ctx.Target)
	if v == nil {
		return nil
	}
	st := p.ctx.Styles
	head := st.Bold.Render("VPA ") + st.Text.Render(v.Name) + st.Muted.Render(" mode ") + st.Text.Render(v.EffectiveMode())
	if v.Evicts() {
		head += st.Warn.Render(" ⚠ evicts pods to apply")
	}
	for _, c := range v.Conditions {
		good := (c.Status == "True") == (c.Type == "RecommendationProvided")
		dot := st.OK.Render(" ●")
		if !good {
			dot = st.Warn.Render(" ○")
		}
		head += dot + st.Muted.Render(c.Type)
	}
	out := []string{head}
	if len(v.Containers) == 0 {
		return append(out, st.Muted.Render("    no recommendation yet"))
	}
	var reqs []model.ContainerRequests
	if d := p.target(); d != nil {
		reqs = d.Requests
	}
	for _, r := range v.Containers {
		var req model.Resources
		for _, c := range reqs {
			if c.Container == r.Container {
				req = c.Requests
			}
		}
		line := "    " + st.Text.Render(r.Container) +
			vpaResource(p, "cpu", req.CPU, r.Target.CPU, r.Lower.CPU, r.Upper.CPU, r.Uncapped.CPU) +
			vpaResource(p, "mem", req.Memory, r.Target.Memory, r.Lower.Memory, r.Upper.Memory, r.Uncapped.Memory)
		out = append(out, line)
	}
	return out
}

// vpaResource: " cpu 100m → 587m (25m–1200m)", with the uncapped target when the policy capped it.
func vpaResource(p *Workload, name, req, target, lower, upper, uncapped string) string {
	if target == "" {
		return ""
	}
	st := p.ctx.Styles
	s := st.Muted.Render(" "+name+" ") + st.Text.Render(cmp.Or(req, "unset")) + st.Muted.Render(" → ") + st.Accent.Render(target) +
		st.Muted.Render(fmt.Sprintf(" (%s–%s)", lower, upper))
	if uncapped != "" && uncapped != target {
		s += st.Muted.Render(" uncapped " + uncapped)
	}
	return s
}

// autoscalerLine: the cluster-autoscaler's view when it has something to say to a game day: pods of
// the target pending, a scale-up needed or under way, or a node group backing off. A status whose
// format is not known is shown verbatim (its first line) rather than hidden.
func (p *Workload) autoscalerLine() string {
	a := p.ctx.Cluster.Autoscaler
	if a == nil {
		return ""
	}
	st := p.ctx.Styles
	if a.Format == "raw" {
		first, _, _ := strings.Cut(a.Raw, "\n")
		if p.pending == 0 || first == "" {
			return ""
		}
		return core.FitLine(st.Bold.Render("autoscaler ")+st.Muted.Render(first), p.w)
	}
	var backoff []string
	for _, g := range a.Groups {
		if g.ScaleUp == "Backoff" {
			backoff = append(backoff, g.Name)
		}
	}
	busy := a.ScaleUp == "Needed" || a.ScaleUp == "InProgress" || a.ScaleUp == "Backoff" || len(backoff) > 0
	if p.pending == 0 && !busy {
		return ""
	}
	scale := st.Muted.Render(" scale-up ") + st.Text.Render(cmp.Or(a.ScaleUp, "?"))
	if busy {
		scale = st.Muted.Render(" scale-up ") + st.Warn.Render(a.ScaleUp)
	}
	parts := []string{st.Bold.Render("autoscaler") + scale}
	for _, g := range a.Groups {
		s := fmt.Sprintf("%s %d/%d", g.Name, g.Ready, g.Target)
		if g.Max > 0 {
			s += fmt.Sprintf(" (%d–%d)", g.Min, g.Max)
		}
		switch {
		case g.ScaleUp == "Backoff":
			why := cmp.Or(g.BackoffCode, "backoff")
			if g.BackoffMessage != "" {
				why += ": " + g.BackoffMessage
			}
			parts = append(parts, st.Err.Render(s+" backoff "+why))
		case g.ScaleUp == "InProgress":
			parts = append(parts, st.Warn.Render(s+" scaling up"))
		default:
			parts = append(parts, st.Muted.Render(s))
		}
	}
	if a.Health != "" && a.Health != "Healthy" {
		parts = append(parts, st.Err.Render(a.Health))
	}
	return core.FitLine(strings.Join(parts, " · "), p.w)
}

// scaleUpWatch is the stopwatch of one scale-up: the pod pending since its creation, the
// autoscaler's TriggeredScaleUp, the first node added after it, the pod scheduled.
type scaleUpWatch struct {
	pod       string // namespace/name
	pending   time.Time
	triggered time.Time
	node      string
	nodeAt    time.Time
	scheduled time.Time
}

// noteScaleUp follows the stopwatch through a delta: a TriggeredScaleUp on a pod of the target
// starts it, the first node created after the pod became pending is the node added (the API's time,
// like the pod's scheduling), the pod's PodScheduled time ends it.
func (p *Workload) noteScaleUp(d *model.ClusterDelta) {
	if d == nil || d.Reset {
		return
	}
	c := p.ctx.Cluster
	for _, e := range d.Events {
		name, ok := strings.CutPrefix(e.Object, "Pod/")
		key := e.Namespace + "/" + name
		if _, shown := p.contrib[key]; !ok || e.Reason != "TriggeredScaleUp" || !shown {
			continue
		}
		if p.scaleUp == nil || p.scaleUp.pod != key {
			w := &scaleUpWatch{pod: key, triggered: e.Time}
			if pod := c.Pods[key]; pod != nil {
				w.pending = pod.Created
			}
			p.scaleUp = w
		}
	}
	w := p.scaleUp
	if w == nil {
		return
	}
	for _, n := range d.Nodes {
		if w.nodeAt.IsZero() && !n.Created.Before(cmp.Or(w.pending, w.triggered)) {
			w.node, w.nodeAt = n.Name, n.Created
		}
	}
	if pod := c.Pods[w.pod]; w.scheduled.IsZero() && pod != nil && !pod.Scheduled.IsZero() {
		w.scheduled = pod.Scheduled
	}
}

// scaleUpLine: "scale-up web-x: triggered +2s → node +31s → scheduled +33s (n-4)", each time from
// when the pod became pending (the node's name last: it is what a narrow pane can lose); what has
// not happened yet counts on, marked.
func (p *Workload) scaleUpLine() string {
	w := p.scaleUp
	if w == nil {
		return ""
	}
	if _, live := p.ctx.Cluster.Pods[w.pod]; !live {
		return ""
	}
	st := p.ctx.Styles
	from := w.pending
	if from.IsZero() {
		from = w.triggered
	}
	since := func(t time.Time) string { return "+" + t.Sub(from).Round(time.Second).String() }
	now := p.ctx.Now()
	_, name, _ := strings.Cut(w.pod, "/")
	arrow := st.Muted.Render(" → ")
	line := st.Bold.Render("scale-up ") + st.Text.Render(name+":") + st.Muted.Render(" triggered ") + st.Text.Render(since(w.triggered)) + arrow
	if w.nodeAt.IsZero() {
		line += st.Warn.Render("node … " + since(now))
	} else {
		line += st.Muted.Render("node ") + st.Text.Render(since(w.nodeAt))
	}
	line += arrow
	if w.scheduled.IsZero() {
		line += st.Warn.Render("scheduled … " + since(now))
	} else {
		line += st.Muted.Render("scheduled ") + st.OK.Render(since(w.scheduled))
	}
	if w.node != "" {
		line += st.Muted.Render(" (" + w.node + ")")
	}
	return core.FitLine(line, p.w)
}
