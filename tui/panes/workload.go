// Package panes holds the cockpit's panes. Each keeps its derived, sorted data up to date in Update
// (incrementally where the data is large) and renders only the rows it shows in View.
package panes

import (
	"fmt"
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
