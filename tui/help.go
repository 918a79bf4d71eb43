package tui

import (
	"fmt"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/tui/core"
)

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
