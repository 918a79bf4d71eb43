package tui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gamedaylab/gameday/engines"
	"github.com/gamedaylab/gameday/themes"
	"github.com/gamedaylab/gameday/tui/core"
)

// sheet is a full-body text a `:` command opens.
type sheet struct {
	title, text string
	build       func() string
}

func (m *Model) openSheet(title string, build func() string) {
	m.sheet = &sheet{title: title, text: build(), build: build}
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
