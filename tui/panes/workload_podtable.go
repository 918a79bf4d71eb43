package panes

import (
	"fmt"
	"strings"

	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/tui/core"
)

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
