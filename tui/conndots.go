package tui

import "strings"

// connDots shows each source's health: ● ok, ○ down (with the reason in the status line).

// cachedDots are connDots, short and full, re-rendered only when a connection's state, the cluster's
// sync or the theme changed (the header is drawn on every frame).
func (m *Model) cachedDots() (string, string) {
	if !m.dots.valid || m.dots.synced != m.ctx.Cluster.Synced {
		m.dots.short, m.dots.full = m.connDots(false), m.connDots(true)
		m.dots.valid, m.dots.synced = true, m.ctx.Cluster.Synced
	}
	return m.dots.short, m.dots.full
}

// connDots are the backends' states; short, a dot each (cluster, metrics, traces, logs in that order,
// help says so), and a failing one always names itself.
func (m *Model) connDots(full bool) string {
	st := m.ctx.Styles
	var out []string
	names := []string{"cluster", "metrics", "traces", "logs"}
	for _, n := range names {
		c, ok := m.conn[n]
		label := ""
		if full {
			label = " " + n
		}
		switch {
		case !ok && n == "cluster" && !m.ctx.Cluster.Synced:
			out = append(out, st.Muted.Render("◌"+label))
		case !ok || c.OK:
			out = append(out, st.OK.Render("●")+st.Muted.Render(label))
		default:
			out = append(out, st.Err.Render("○ "+n))
		}
	}
	if c, ok := m.conn["recording"]; ok && !c.OK { // shown only when it stopped
		out = append(out, st.Err.Render(" ○ recording"))
	}
	if full {
		return strings.Join(out, " ")
	}
	return strings.Join(out, "")
}
