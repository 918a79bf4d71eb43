package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"

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
		st.Bold.Render(core.Clock(now.Sub(since))),
	}
	if w >= 110 {
		parts[len(parts)-1] += st.Muted.Render(" " + clockLabel)
	}
	line1 := strings.Join(parts, "  ")
	var badges []string
	if b := m.replayBadge(now); b != "" {
		badges = append(badges, b)
	}
	if m.ctx.Demo {
		badges = append(badges, st.BadgeLoad.Render("DEMO"))
	}
	for _, b := range m.ctx.Guard.Badges() {
		if m.sess.Replay != nil {
			break // REPLAY says it: nothing acts
		}
		switch b {
		case "READ-ONLY":
			badges = append(badges, st.BadgeRO.Render(b))
		case "DRY-RUN":
			badges = append(badges, st.BadgeDry.Render(b))
		case "ARMED":
			badges = append(badges, st.BadgeArmed.Render(b))
		}
	}
	// Which Prometheus is used (found by discovery or given by flag), when there is room for it.
	if src := m.metricsSrc; src != "" && !m.ctx.Demo {
		room := w - core.Width(line1) - core.Width(strings.Join(badges, " ")) - 4
		if core.Width(src) <= room {
			line1 += "  " + st.Muted.Render(src)
		}
	}
	line1 = joinLR(line1, strings.Join(badges, " "), w)

	return line1 + "\n" + m.statusLine(w, now)
}

// statusLine is the header's second line, ranked so what matters most always fits, at 80 columns
// too: FAULTS, the last action's result or refusal, the load's asked and sent rates; then, as room
// allows, the connection names, latency, the progress bar and the generator's diagnostics.
func (m *Model) statusLine(w int, now time.Time) string {
	st := m.ctx.Styles
	l := m.load
	var loadBadge, loadFull string
	var extras []string // optional, most useful first
	if l.Active {
		loadBadge = st.BadgeLoad.Render(fmt.Sprintf("LOAD %s %.0f→%.0f/s", l.Profile.Name, l.Requested, l.Achieved))
		loadFull = st.BadgeLoad.Render(fmt.Sprintf("LOAD %s asked %.0f/s sent %.0f/s", l.Profile.Name, l.Requested, l.Achieved))
		okTxt := st.Muted.Render("ok -")
		if l.Completed > 0 {
			okStyle := st.OK
			if l.Success < 0.99 {
				okStyle = st.Err
			}
			okTxt = okStyle.Render(fmt.Sprintf("ok %.1f%%", 100*l.Success))
			if l.CheckFailures > 0 { // answered, but wrong: the function failed, not the service
				okTxt += st.Err.Render(fmt.Sprintf(" checks ✗%d", l.CheckFailures))
			}
		}
		if se := l.Sessions; se != nil && se.Lost > 0 { // the lesson stays on a narrow header too
			lost := st.Err.Render(fmt.Sprintf(" sessions lost %d", se.Lost))
			loadBadge, loadFull = loadBadge+lost, loadFull+lost
		}
		if se := l.Sessions; se != nil { // the stateful-session lesson: users logged out by a kill
			txt := fmt.Sprintf(" sessions %d/%d", se.LoggedIn, se.Users)
			if se.Lost > 0 {
				okTxt += st.Text.Render(txt) + st.Err.Render(fmt.Sprintf(" lost %d", se.Lost))
			} else {
				okTxt += st.Text.Render(txt + " lost 0")
			}
		}
		extras = append(extras, okTxt)
		if l.Completed == 0 && l.InFlight > 0 && l.Timeout > 0 {
			extras[0] += st.Warn.Render(fmt.Sprintf(" waiting for %d in-flight requests (timeout %s)", l.InFlight, l.Timeout))
		} else {
			extras = append(extras, st.Text.Render(fmt.Sprintf("p50 %s p99 %s", fmtMs(l.P50), fmtMs(l.P99)))+
				st.Muted.Render(fmt.Sprintf(" p90 %s max %s in-flight %d", fmtMs(l.P90), fmtMs(l.Max), l.InFlight)))
		}
		if d := l.Profile.Duration; d > 0 {
			frac := min(float64(l.Elapsed)/float64(d), 1)
			n := int(frac * 10)
			extras = append(extras, st.Accent.Render(strings.Repeat("█", n))+st.Muted.Render(strings.Repeat("░", 10-n))+
				st.Muted.Render(fmt.Sprintf(" %s/%s", l.Elapsed.Round(time.Second), d.Round(time.Second))))
		}
		if len(l.Diagnostics) > 0 {
			extras = append(extras, st.Warn.Render("! "+l.Diagnostics[0]))
		}
	} else {
		loadBadge = st.Muted.Render("load idle")
		loadFull = loadBadge
	}
	faults := st.Muted.Render("faults 0")
	if len(m.faults) > 0 {
		faults, extras = faultsBadge(st, m.faults, now, extras)
	}
	if mk := m.monkey; mk.Running {
		b := "MONKEY"
		if mk.Next != "" {
			_, d, _ := strings.Cut(mk.Next, "/")
			b += fmt.Sprintf(" %s in %s", d, timeLeft(max(mk.At.Sub(now), 0)))
		}
		faults = st.BadgeFault.Render(b) + " " + faults
		extras = append([]string{st.Muted.Render(fmt.Sprintf("monkey: %d kills, %d refused, %d skipped (m skips the next)", mk.Kills, mk.Refused, mk.Skipped))}, extras...)
	}
	if b := m.steadyBadge(); b != "" {
		faults = b + " " + faults
	}
	if others, stuck := m.otherEngines(time.Now()); others > 0 || stuck > 0 { // the API's times are wall times
		b := st.Warn.Render(fmt.Sprintf("+%d other chaos", others))
		if stuck > 0 {
			b += " " + st.Err.Render(fmt.Sprintf("%d STUCK", stuck))
		}
		faults += " " + b
	}
	status := ""
	if m.status != "" && time.Since(m.statusAt) < statusTTL {
		s := st.OK
		if m.statusErr {
			s = st.Err
		}
		status = s.Render(m.status)
	}
	if r := m.recoveryBadge(now); r != "" {
		faults += "  " + r
	}
	dots, dotsFull := m.cachedDots()
	width := func(parts ...string) int {
		n := 0
		for _, p := range parts {
			if p != "" {
				n += core.Width(p) + 2
			}
		}
		return n
	}
	// Always: load (short), FAULTS, the status (cut to what is left), the dots (short).
	room := w - width(loadBadge, faults, dots)
	if status != "" && core.Width(status) > room-2 {
		status = core.FitLine(status, max(room-2, 0))
	}
	room -= width(status)
	if room >= core.Width(loadFull)-core.Width(loadBadge) {
		room -= core.Width(loadFull) - core.Width(loadBadge)
		loadBadge = loadFull
	}
	if room >= core.Width(dotsFull)-core.Width(dots) {
		room -= core.Width(dotsFull) - core.Width(dots)
		dots = dotsFull
	}
	left := []string{loadBadge}
	for _, e := range extras {
		if width(e) > room {
			break
		}
		room -= width(e)
		left = append(left, e)
	}
	left = append(left, faults)
	if status != "" {
		left = append(left, status)
	}
	return joinLR(strings.Join(left, "  "), dots, w)
}

func fmtMs(d time.Duration) string {
	if d < 10*time.Millisecond {
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
	if d < time.Second {
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

// joinLR puts left and right on one line of width w; left is truncated first.
func joinLR(left, right string, w int) string {
	rw := core.Width(right)
	if rw+2 > w {
		return core.FitLine(left, w)
	}
	return core.FitLine(left, w-rw-1) + " " + right
}

// footer: the command line when open, else the focused pane's keys and the global ones.
func (m *Model) footer() string {
	st := m.ctx.Styles
	w := m.ctx.Width
	k := m.ctx.Keys
	// HALT and help come first and are never cut: the line is truncated from the right.
	halt := st.Key.Render(m.haltKey()) + " " + st.KeyDesc.Render("HALT")
	if m.typing() {
		hint := " " + halt + st.Muted.Render(" · ") + st.Key.Render("esc") + " " + st.KeyDesc.Render("close")
		if m.cmdOn {
			return joinLR(m.cmdline.View(), hint, w)
		}
		return core.FitLine(hint, w)
	}
	parts := []string{halt}
	bindings := []key.Binding{k.Help}
	replay := m.sess.Replay != nil
	if replay {
		bindings = append(bindings, k.Pause, k.Back10, k.Forward10, k.Slower, k.Faster, k.NextMarker, k.PrevMarker)
	}
	bindings = append(bindings, m.panes[m.focus].ShortHelp()...)
	bindings = append(bindings, k.NextPane, k.Zoom, k.Command, k.Quit)
	seen := map[string]bool{k.Halt.Help().Key: true}
	for _, b := range bindings {
		h := b.Help()
		if !b.Enabled() || seen[h.Key] || replay && m.isActionKey(b) {
			continue
		}
		seen[h.Key] = true
		if a := m.actionOfBinding(b); a != "" {
			if ok, _ := m.ctx.Allowed(a); !ok {
				parts = append(parts, st.Muted.Render(h.Key+" "+h.Desc+" ✗"))
				continue
			}
		}
		parts = append(parts, st.Key.Render(h.Key)+" "+st.KeyDesc.Render(h.Desc))
	}
	return core.FitLine(" "+strings.Join(parts, st.Muted.Render(" · ")), w)
}

// actionOfBinding is the permission an action key needs ("" for the others).
// isActionKey reports whether b is one of the catalog's action keys.
func (m *Model) isActionKey(b key.Binding) bool {
	keys := strings.Join(b.Keys(), ",")
	for _, a := range m.actionKeys {
		if strings.Join(a.binding.Keys(), ",") == keys {
			return true
		}
	}
	return false
}

func (m *Model) actionOfBinding(b key.Binding) string {
	keys := strings.Join(b.Keys(), ",")
	for _, g := range m.gated {
		if g.keys == keys {
			return g.perm
		}
	}
	return ""
}
