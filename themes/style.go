package themes

import (
	"strings"

	"charm.land/lipgloss/v2"
)

// Style is a lipgloss style that also knows the escape sequences it wraps one line in. Panes render
// thousands of table cells and rows per second; lipgloss lays out every Render (borders, margins,
// padding, alignment), a large share of the cockpit's CPU at 5,000 pods, while for the plain colour
// styles the answer is always prefix + text + suffix.
type Style struct {
	lipgloss.Style
	pre, post string
	fast      bool
}

// Of wraps a lipgloss style. The fast path is taken only when the style provably renders a line as
// prefix + text + suffix (no padding, width, border or per-character styling).
func Of(ls lipgloss.Style) Style {
	st := Style{Style: ls}
	const probe = "x y"
	out := ls.Render(probe)
	i := strings.Index(out, probe)
	if i < 0 {
		return st
	}
	pre, post := out[:i], out[i+len(probe):]
	for _, s := range []string{"ab", "a  b:c", "─│…×"} {
		if ls.Render(s) != pre+s+post {
			return st
		}
	}
	st.pre, st.post, st.fast = pre, post, true
	return st
}

// Render is lipgloss's Render, without the layout pass for one line of text.
func (s Style) Render(strs ...string) string {
	if s.fast && len(strs) == 1 {
		t := strs[0]
		if t != "" && strings.IndexAny(t, "\n\r\t") < 0 {
			return s.pre + t + s.post
		}
	}
	return s.Style.Render(strs...)
}
