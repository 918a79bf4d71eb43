package panes

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/tui/core"
)

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
