package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/gamedaylab/gameday/themes"
	"github.com/gamedaylab/gameday/tui/core"
)

const (
	headerHeight = 2
	footerHeight = 1
)

// View implements tea.Model.
func (m *Model) View() tea.View {
	content := m.Render()
	if m.deps.Screen != nil {
		m.deps.Screen.Set(content, m.ctx.Width, m.ctx.Height)
	}
	v := tea.NewView(content)
	v.AltScreen = true
	v.WindowTitle = "gameday"
	return v
}

// Render is the whole screen as a string (goldens use it).
func (m *Model) Render() string {
	if m.quitting {
		return ""
	}
	w, h := m.ctx.Width, m.ctx.Height
	if w == 0 || h == 0 {
		return "starting…"
	}
	if m.tooSmall() {
		msg := fmt.Sprintf("gameday needs a terminal of at least %dx%d (this one is %dx%d).\nMake the window larger; the cockpit comes back by itself.\nq quits.", MinWidth, MinHeight, w, h)
		return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, m.ctx.Styles.Warn.Render(msg))
	}
	bw, bh := m.bodySize()
	var body string
	switch {
	case m.showHelp:
		body = m.helpView(bw, bh)
	case m.sheet != nil:
		body = core.Frame(m.ctx.Styles, m.sheet.title+" (esc: close)", m.sheet.text, bw, bh, true)
	case m.showRunbook && m.runbookDocked():
		gw, _ := m.gridSize()
		var left string
		if m.zoom {
			p := m.panes[m.focus]
			left = core.Frame(m.ctx.Styles, p.Title()+" (z: unzoom)", p.View(), gw, bh, true)
		} else {
			left = m.grid(gw, bh)
		}
		body = lipgloss.JoinHorizontal(lipgloss.Top, left, m.runbookFrame(bw-gw, bh))
	case m.showRunbook:
		body = m.runbookFrame(bw, bh)
	case m.zoom:
		p := m.panes[m.focus]
		body = core.Frame(m.ctx.Styles, p.Title()+" (z: unzoom)", p.View(), bw, bh, true)
	default:
		body = m.grid(bw, bh)
	}
	screen := m.header() + "\n" + body + "\n" + m.footer()
	if m.dialog != nil {
		screen = overlay(screen, m.dialog.view(m.ctx.Styles), w, h)
	}
	if m.deps.Trace != nil {
		m.deps.Trace.noteFrame(m.ctx.Cluster.Synced)
	}
	return screen
}

// framed is a pane's last frame, reused while its title, content, size and focus are the same (a
// cached pane returns the same string, so the comparison is a pointer check).
type framed struct {
	title, content string
	w, h           int
	focused        bool
	theme          *themes.Styles
	lines          []string
}

func (m *Model) frame(id core.PaneID, r Rect) []string {
	p := m.panes[id]
	f := &m.frames[id]
	title, content, focused := p.Title(), p.View(), id == m.focus
	if f.lines != nil && f.title == title && f.content == content && f.w == r.W && f.h == r.H && f.focused == focused && f.theme == m.ctx.Styles {
		return f.lines
	}
	*f = framed{title: title, content: content, w: r.W, h: r.H, focused: focused, theme: m.ctx.Styles,
		lines: strings.Split(core.Frame(m.ctx.Styles, title, content, r.W, r.H, focused), "\n")}
	return f.lines
}

// grid places the framed panes; rows are assembled line by line so no lipgloss measuring is needed.
func (m *Model) grid(w, h int) string {
	rects := Layout(w, h)
	lines := make([][]byte, h)
	for id := range m.panes {
		r := rects[id]
		for i, l := range m.frame(core.PaneID(id), r) {
			if y := r.Y + i; y < h && i < r.H {
				lines[y] = append(lines[y], l...)
			}
		}
	}
	var sb strings.Builder
	for i, l := range lines {
		if i > 0 {
			sb.WriteByte('\n')
		}
		sb.Write(l)
	}
	return sb.String()
}

func overlay(base, top string, w, h int) string {
	tw, th := lipgloss.Width(top), lipgloss.Height(top)
	x, y := max((w-tw)/2, 0), max((h-th)/2, 0)
	return lipgloss.NewCompositor(lipgloss.NewLayer(base), lipgloss.NewLayer(top).X(x).Y(y).Z(1)).Render()
}
