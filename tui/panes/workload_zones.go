package panes

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gamedaylab/gameday/model"
)

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
