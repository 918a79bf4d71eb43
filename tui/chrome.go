package tui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"

	"github.com/gamedaylab/gameday/tui/core"
)

// statusTTL is how long an action's result stays in the header.
const statusTTL = 10 * time.Second

// header is two lines: who/where/what and modes; then load, faults, status and source health.
func (m *Model) header() string {
	st := m.ctx.Styles
	w := m.ctx.Width
	now := m.ctx.Now()
	since := m.started
	clockLabel := "since start"
	if !m.firstAction.IsZero() {
		since, clockLabel = m.firstAction, "since first action"
	}
	target := "none (:target deploy/NAME)"
	if m.ctx.Target != "" {
		target = "deploy/" + m.ctx.Target
	}
	ns := m.ctx.Namespace
	if ns == "" {
		ns = "all namespaces"
	}
	parts := []string{
		st.Accent.Render("gameday"),
		st.Muted.Render("ctx ") + st.Text.Render(m.ctx.KubeContext),
		st.Muted.Render("ns ") + st.Text.Render(ns),
		st.Muted.Render("target ") + st.Bold.Render(target),
		st.Bold.Render(core.Clock(now.Sub(since))) + st.Muted.Render(" "+clockLabel),
	}
	line1 := strings.Join(parts, "  ")
	var badges []string
	if m.ctx.Demo {
		badges = append(badges, st.BadgeLoad.Render("DEMO"))
	}
	for _, b := range m.ctx.Guard.Badges() {
		switch b {
		case "READ-ONLY":
			badges = append(badges, st.BadgeRO.Render(b))
		case "DRY-RUN":
			badges = append(badges, st.BadgeDry.Render(b))
		case "ARMED":
			badges = append(badges, st.BadgeArmed.Render(b))
		}
	}
	line1 = joinLR(line1, strings.Join(badges, " "), w)

	var left []string
	if l := m.load; l.Active {
		txt := fmt.Sprintf("LOAD %s → %.0f/s ok %.1f%% p99 %s", l.Profile.Name, l.Achieved, 100*l.Success, fmtMs(l.P99))
		if l.Profile.Duration > 0 {
			txt += fmt.Sprintf(" %s/%s", l.Elapsed.Round(time.Second), l.Profile.Duration)
		}
		left = append(left, st.BadgeLoad.Render(txt))
	} else {
		left = append(left, st.Muted.Render("load idle"))
	}
	if n := m.deps.Injected.Len(); n > 0 {
		left = append(left, st.BadgeFault.Render(fmt.Sprintf("FAULTS %d", n)))
	} else {
		left = append(left, st.Muted.Render("faults 0"))
	}
	if m.status != "" && now.Sub(m.statusAt) < statusTTL {
		s := st.OK
		if m.statusErr {
			s = st.Err
		}
		left = append(left, s.Render(m.status))
	}
	return line1 + "\n" + joinLR(strings.Join(left, "  "), m.connDots(), w)
}

func fmtMs(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

// connDots shows each source's health: ● ok, ○ down (with the reason in the status line).
func (m *Model) connDots() string {
	st := m.ctx.Styles
	var out []string
	names := []string{"cluster", "metrics", "traces", "logs"}
	for _, n := range names {
		c, ok := m.conn[n]
		switch {
		case !ok && n == "cluster" && !m.ctx.Cluster.Synced:
			out = append(out, st.Muted.Render("◌ "+n))
		case !ok || c.OK:
			out = append(out, st.OK.Render("● ")+st.Muted.Render(n))
		default:
			out = append(out, st.Err.Render("○ "+n))
		}
	}
	return strings.Join(out, " ")
}

// joinLR puts left and right on one line of width w; left is truncated first.
func joinLR(left, right string, w int) string {
	rw := ansi.StringWidth(right)
	if rw+2 > w {
		return core.FitLine(left, w)
	}
	return core.FitLine(left, w-rw-1) + " " + right
}

// footer: the command line when open, else the focused pane's keys and the global ones.
func (m *Model) footer() string {
	st := m.ctx.Styles
	w := m.ctx.Width
	if m.cmdOn {
		return core.FitLine(m.cmdline.View(), w)
	}
	k := m.ctx.Keys
	bindings := append(m.panes[m.focus].ShortHelp(), k.NextPane, k.Zoom, k.Command, k.Help, k.Quit)
	var parts []string
	seen := map[string]bool{}
	for _, b := range bindings {
		h := b.Help()
		if !b.Enabled() || seen[h.Key] {
			continue
		}
		seen[h.Key] = true
		parts = append(parts, st.Key.Render(h.Key)+" "+st.KeyDesc.Render(h.Desc))
	}
	return core.FitLine(" "+strings.Join(parts, st.Muted.Render(" · ")), w)
}

// helpView lists every key: global, actions, navigation, each pane's own, the command line and the
// safety settings in force.
func (m *Model) helpView(w, h int) string {
	st := m.ctx.Styles
	k := m.ctx.Keys
	section := func(title string, bs ...key.Binding) []string {
		out := []string{st.Accent.Render(title)}
		for _, b := range bs {
			hp := b.Help()
			out = append(out, "  "+st.Key.Render(core.Pad(hp.Key, 14))+st.Text.Render(hp.Desc))
		}
		return append(out, "")
	}
	var col1, col2, col3 []string
	col1 = append(col1, section("Global", k.NextPane, k.PrevPane, k.Zoom, k.Help, k.Command, k.Quit)...)
	col1 = append(col1, section("Actions (on the target)", k.Kill, k.KillMany, k.ScaleUp, k.ScaleDown, k.Burst, k.RateUp, k.RateDown, k.Halt)...)
	col2 = append(col2, section("Move in a pane", k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom)...)
	col2 = append(col2, section("Metrics", k.Narrower, k.Wider, k.Open, k.Back)...)
	col2 = append(col2, section("Traces", k.Open, k.Errors, k.Logs, k.Back)...)
	col3 = append(col3, section("Logs", k.Filter, k.Follow, k.Open, k.Back)...)
	col3 = append(col3, st.Accent.Render("Command line (:)"),
		"  "+st.Key.Render(core.Pad(":ns NAME", 22))+st.Text.Render("watch another namespace"),
		"  "+st.Key.Render(core.Pad(":target deploy/NAME", 22))+st.Text.Render("pick the target"),
		"  "+st.Key.Render(core.Pad(":theme NAME", 22))+st.Text.Render("dark, light, high-contrast, mono"),
		"  "+st.Key.Render(core.Pad(":q", 22))+st.Text.Render("quit"), "")
	g := m.ctx.Guard
	col3 = append(col3, st.Accent.Render("Safety"))
	if g != nil {
		modes := strings.Join(g.Badges(), ", ")
		if modes == "" {
			modes = "normal"
		}
		col3 = append(col3,
			"  mode: "+modes,
			fmt.Sprintf("  min ready replicas: %d (add ! to force)", g.MinReady),
			"  protected: "+strings.Join(sortedKeys(g.Protected), ", "),
			"  HALT (x) stops load and reverts faults; nothing is asked.")
	}
	colW := w / 3
	rows := max(len(col1), len(col2), len(col3))
	var sb strings.Builder
	for i := 0; i < rows && i < h-2; i++ {
		get := func(c []string) string {
			if i < len(c) {
				return c[i]
			}
			return ""
		}
		sb.WriteString(core.FitLine(get(col1), colW) + core.FitLine(get(col2), colW) + core.FitLine(get(col3), w-2*colW-2) + "\n")
	}
	return core.Frame(st, "Help · every key (esc or ? closes)", strings.TrimRight(sb.String(), "\n"), w, h, true)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
