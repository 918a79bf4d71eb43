package tui

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/engines"
	"github.com/gamedaylab/gameday/themes"
	"github.com/gamedaylab/gameday/tui/core"
	"github.com/gamedaylab/gameday/tui/keys"
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

// connDots shows each source's health: ● ok, ○ down (with the reason in the status line).
// recoveryHold is how long (wall time) the header keeps the last recovery's result.
const recoveryHold = 30 * time.Second

// recoveryBadge counts a kill's recovery as it runs ("recovering 00:04", on the session's clock, as
// the result is measured) and then holds the result.
func (m *Model) recoveryBadge(now time.Time) string {
	st := m.ctx.Styles
	if n := len(m.recovering); n > 0 {
		d := max(now.Sub(m.recovering[0].Time), 0)
		txt := fmt.Sprintf("recovering %02d:%02d", int(d.Minutes()), int(d.Seconds())%60)
		if n > 1 {
			txt += fmt.Sprintf(" (%d kills)", n)
		}
		return st.Warn.Render(txt)
	}
	if m.recovered != "" && time.Since(m.recoveredAt) < recoveryHold {
		if strings.HasPrefix(m.recovered, "NOT") {
			return st.Err.Render(m.recovered)
		}
		return st.OK.Render(m.recovered)
	}
	return ""
}

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

// helpView lists every key: global, actions, navigation, each pane's own, the command line and the
// safety settings in force. Sections flow down columns as wide as the screen allows.
func (m *Model) helpView(w, h int) string {
	st := m.ctx.Styles
	k := m.ctx.Keys
	keyW := 0
	for _, b := range k.All() {
		keyW = max(keyW, len(b.Help().Key))
	}
	keyW += 2
	type sectionT struct {
		title   string
		entries []entry
	}
	sec := func(title string, bs ...key.Binding) sectionT {
		s := sectionT{title: title}
		for _, b := range bs {
			s.entries = append(s.entries, entry{b.Help().Key, b.Help().Desc})
		}
		return s
	}
	var sections []sectionT
	var denied []entry
	for _, a := range actions.Perms() {
		if ok, why := m.ctx.Allowed(a); !ok {
			denied = append(denied, entry{a, strings.TrimPrefix(why, "forbidden: this identity ")})
		}
	}
	if len(denied) > 0 {
		// What this identity may not do comes first: it is why keys are crossed out.
		sections = append(sections, sectionT{title: "Not allowed for this identity", entries: denied})
	}
	sections = append(sections, []sectionT{
		sec("Global", k.NextPane, k.PrevPane, k.Zoom, k.Help, k.Command, k.Quit),
		sec("Actions on the target", m.actionBindings()...),
		sec("Move in a pane", k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom),
		sec("Metrics", k.Narrower, k.Wider, k.Open, k.Back, k.CursorLeft, k.CursorRight),
		sec("Traces", k.Open, k.Errors, k.Filter, k.Logs, k.Back),
		sec("Logs", k.Filter, k.Follow, k.Open, k.Back),
		sec("Runbook (gameday --scenario FILE)", k.Runbook, k.NextStep),
		{title: "Command line (:)", entries: m.commandEntries()},
	}...)
	replay := sec("Replay (gameday replay FILE; actions are off)", k.Pause, k.Back10, k.Forward10,
		k.BackMinute, k.ForwardMinute, k.Slower, k.Faster, k.NextMarker, k.PrevMarker)
	if m.sess.Replay != nil { // first: in a replay these are the keys that do something
		sections = append([]sectionT{replay}, sections...)
	} else {
		sections = append(sections, replay)
	}
	g := m.ctx.Guard
	if g != nil {
		modes := strings.Join(g.Badges(), ", ")
		if modes == "" {
			modes = "normal"
		}
		sections = append(sections, sectionT{title: "Safety", entries: []entry{
			{"mode", modes},
			{"min ready", fmt.Sprintf("%d (K with ! forces)", g.MinReady)},
			{"protected", strings.Join(sortedKeys(g.Protected), " ")},
			{"HALT", m.ctx.Keys.Halt.Help().Key + ": stops load, reverts faults, from every screen (the chord inside text inputs)"},
		}})
	}
	// Pack whole sections into as many columns as fit (at least 26 cells each), balancing their
	// heights; when the result is taller than the screen, up/down scroll it.
	// Long descriptions (why an action is denied) wrap under themselves instead of being cut.
	inner := h - 2
	ncols := max(min((w-2)/26, len(sections), 4), 1)
	descMax := (w-2)/ncols - 1
	var blocks [][]string
	total := 0
	for _, s := range sections {
		block := []string{st.Accent.Render(s.title)}
		for _, e := range s.entries {
			kw := max(keyW, len(e.key)+1)
			if descMax-1-kw < 12 {
				// A long key in a narrow column: the description goes under it.
				block = append(block, " "+st.Key.Render(e.key))
				for _, l := range core.WrapWords(e.desc, max(descMax-4, 8)) {
					block = append(block, "    "+st.Text.Render(l))
				}
				continue
			}
			lines := core.WrapWords(e.desc, descMax-1-kw)
			block = append(block, " "+st.Key.Render(core.Pad(e.key, kw))+st.Text.Render(lines[0]))
			for _, l := range lines[1:] {
				block = append(block, " "+strings.Repeat(" ", kw)+st.Text.Render(l))
			}
		}
		block = append(block, "")
		blocks = append(blocks, block)
		total += len(block)
	}
	target := (total + ncols - 1) / ncols
	columns := make([][]string, 0, ncols)
	var col []string
	for _, b := range blocks {
		if len(col) > 0 && len(col)+len(b) > target && len(columns) < ncols-1 {
			columns = append(columns, col)
			col = nil
		}
		col = append(col, b...)
	}
	columns = append(columns, col)
	tallest := 0
	for _, c := range columns {
		tallest = max(tallest, len(c))
	}
	m.helpMax = max(tallest-inner, 0)
	m.helpOffset = min(m.helpOffset, m.helpMax)
	colW := (w - 2) / len(columns)
	var sb strings.Builder
	for y := 0; y < inner; y++ {
		for _, c := range columns {
			cell := ""
			if i := y + m.helpOffset; i < len(c) {
				cell = c[i]
			}
			sb.WriteString(core.FitLine(cell, colW))
		}
		if y < inner-1 {
			sb.WriteByte('\n')
		}
	}
	title := "Help · every key (esc or ? closes)"
	if m.helpMax > 0 {
		title = fmt.Sprintf("Help · every key · ↑↓ scroll (%d more) · esc closes", m.helpMax-m.helpOffset)
	}
	return core.Frame(st, title, sb.String(), w, h, true)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// entry is one line of the help overlay.
type entry struct{ key, desc string }

// actionBindings are the catalog's keyed actions, in catalog order.
func (m *Model) actionBindings() []key.Binding {
	var out []key.Binding
	for _, spec := range actions.Catalog() {
		if b, ok := m.ctx.Keys.Binding(spec.Key); ok {
			out = append(out, b)
		}
	}
	return out
}

// cockpitCommands are the `:` commands that are not actions.
var cockpitCommands = [][2]string{{":ns NAME", "namespace"}, {":target deploy/NAME", "target"},
	{":backend", "metrics, traces, logs: used, found, tried"},
	{":faults", "what is injected, and other chaos engines' experiments"},
	{":signals", "how each signal of the target is read: convention, query, why"},
	{":theme NAME", "dark light high-contrast mono"}, {":q", "quit"}}

// commandEntries lists every `:` command: the cockpit's and every action's from the catalog.
func (m *Model) commandEntries() []entry {
	var out []entry
	for _, c := range append(append([][2]string{}, cockpitCommands[:2]...), actions.CommandHelp()...) {
		out = append(out, entry{c[0], c[1]})
	}
	for _, c := range cockpitCommands[2:] {
		out = append(out, entry{c[0], c[1]})
	}
	return out
}

// haltKey is the HALT key that works where the keys go now: the chord while a text input has them.
func (m *Model) haltKey() string {
	ks := m.ctx.Keys.Halt.Keys()
	if m.typing() {
		for _, k := range ks {
			if !keys.Printable(k) {
				return k
			}
		}
	}
	if len(ks) == 0 {
		return "?"
	}
	return ks[0]
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

// faultsBadge is FAULTS n with the time left of the one that ends first; each fault with its time
// left joins the optional extras, first.
func faultsBadge(st *themes.Styles, act []actions.Active, now time.Time, extras []string) (string, []string) {
	badge := fmt.Sprintf("FAULTS %d", len(act))
	var next time.Duration = -1
	var each []string
	for _, a := range act {
		if a.Expires.IsZero() {
			continue
		}
		left := max(a.Expires.Sub(now), 0)
		if next < 0 || left < next {
			next = left
		}
		each = append(each, st.Warn.Render(fmt.Sprintf("%s, %s left", a.Describe, timeLeft(left))))
	}
	if next >= 0 {
		badge += " " + timeLeft(next)
	}
	return st.BadgeFault.Render(badge), append(each, extras...)
}

// timeLeft is m:ss (h:mm:ss past an hour), rounded up: a fault never shows 0:00 while it is on.
func timeLeft(d time.Duration) string {
	secs := int((d + time.Second - 1) / time.Second)
	if secs >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", secs/3600, secs/60%60, secs%60)
	}
	return fmt.Sprintf("%d:%02d", secs/60, secs%60)
}

// otherEngines counts the other engines' experiments running in the namespace (not paused, not
// deleting) and those stuck deleting.
func (m *Model) otherEngines(now time.Time) (running, stuck int) {
	for _, x := range m.engines.List {
		if !x.Touches(m.ctx.Namespace) {
			continue
		}
		switch {
		case x.Stuck(now):
			stuck++
		case x.Paused || !x.Deleting.IsZero():
		default:
			running++
		}
	}
	return running, stuck
}

// faultsText is `:faults`'s sheet: what this session injected, with the time left, and the other
// chaos engines' experiments (those HALT pauses marked, stuck ones flagged).
func (m *Model) faultsText() string {
	st := m.ctx.Styles
	now := time.Now() // faults expire on the wall clock, as the engines' ages are
	var sb strings.Builder
	// The section's label on its first line only.
	line := func(label string, i int, text string, style func(...string) string) {
		if i > 0 {
			label = ""
		}
		sb.WriteString(st.Key.Render(fmt.Sprintf(" %-9s", label)) + " " + style(text) + "\n")
	}
	if len(m.faults) == 0 {
		line("gameday", 0, "nothing injected by this session", st.Muted.Render)
	}
	for i, a := range m.faults {
		left := "until HALT or exit"
		if !a.Expires.IsZero() {
			left = timeLeft(max(a.Expires.Sub(now), 0)) + " left"
		}
		line("gameday", i, a.Describe+", "+left, st.Warn.Render)
	}
	sb.WriteString("\n")
	e := m.engines
	switch {
	case e.At.IsZero():
		line("engines", 0, "not listed yet", st.Muted.Render)
	case e.Err != "":
		line("engines", 0, "could not list: "+e.Err, st.Err.Render)
	case !e.OK:
		line("engines", 0, "no Chaos Mesh or Litmus in this cluster", st.Muted.Render)
	case len(e.List) == 0:
		line("engines", 0, "no experiment of Chaos Mesh or Litmus", st.Muted.Render)
	}
	for i, x := range e.List {
		style := st.Text.Render
		text := x.Line(now)
		switch {
		case x.Stuck(now):
			style = st.Err.Render
		case x.Touches(m.ctx.Namespace) && !x.Paused && x.Deleting.IsZero():
			text += " (HALT pauses it)"
			style = st.Warn.Render
		}
		line("engines", i, text, style)
	}
	if e.OK {
		sb.WriteString("\n" + st.Muted.Render(fmt.Sprintf(" HALT pauses the Chaos Mesh experiments and stops the Litmus engines that touch %s; STUCK: deleting for over %s (finalizers)",
			m.ctx.Namespace, engines.StuckAfter)))
	}
	return strings.TrimRight(sb.String(), "\n")
}

// sheet is a full-body text a `:` command opens.
type sheet struct {
	title, text string
	build       func() string
}

func (m *Model) openSheet(title string, build func() string) {
	m.sheet = &sheet{title: title, text: build(), build: build}
}

// signalsText is `:signals`' sheet: for every signal of the target, the convention read and its
// query, or where else the value comes from, and what was tried.
func (m *Model) signalsText() string {
	st := m.ctx.Styles
	s := m.signals
	if s.Target == "" {
		return st.Muted.Render(" not detected yet: the target's series are looked for once the cluster is listed and Prometheus found (:backend)")
	}
	var sb strings.Builder
	sb.WriteString(st.Text.Render(fmt.Sprintf(" deploy/%s in %s, detected %s", s.Target, s.Namespace, s.At.Local().Format("15:04:05"))) + "\n")
	if s.Err != "" {
		sb.WriteString(st.Err.Render(" "+s.Err) + "\n")
	}
	w := max(20, m.ctx.Width-14)
	line := func(style themes.Style, indent, text string) {
		for j, part := range core.WrapWords(text, w) {
			if j > 0 {
				part = "  " + part
			}
			sb.WriteString(style.Render(indent+part) + "\n")
		}
	}
	var tried []string
	for _, r := range s.Resolutions {
		what := r.Convention
		if what == "" {
			what = "not found"
		}
		sb.WriteString("\n" + st.Key.Render(fmt.Sprintf(" %-8s", r.Signal)) + " " + st.Text.Render(what) + "\n")
		if r.Query != "" {
			line(st.Text, "          ", r.Query)
		}
		line(st.Muted, "          ", r.Why)
		if len(r.Tried) > 0 && !slices.Equal(r.Tried, tried) {
			tried = r.Tried
			line(st.Muted, "          ", "tried: "+strings.Join(r.Tried, "; "))
		}
	}
	return strings.TrimRight(sb.String(), "\n")
}

// backendsText is `:backend`'s sheet: per signal the backend used and how it was chosen; a
// discovered one lists where it looked and every Service it tried.
func (m *Model) backendsText() string {
	st := m.ctx.Styles
	var sb strings.Builder
	for i, b := range m.sess.Backends() {
		if i > 0 {
			sb.WriteString("\n")
		}
		sb.WriteString(st.Key.Render(fmt.Sprintf(" %-8s", b.Signal)) + " " + st.Text.Render(b.Name) + "\n")
		for _, l := range b.Lines {
			for j, part := range core.WrapWords(l, max(20, m.ctx.Width-14)) {
				indent := "          "
				if j > 0 {
					indent += "  "
				}
				sb.WriteString(st.Muted.Render(indent+part) + "\n")
			}
		}
	}
	return strings.TrimRight(sb.String(), "\n")
}
