package panes

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/gamedaylab/gameday/themes"

	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/tui/core"
)

// LogCapacity bounds the lines kept in memory: the oldest fall off.
const LogCapacity = 5000

// Logs tails container logs: level colours, `/` filter, follow / pause, and lines of killed pods marked.
type Logs struct {
	ctx     *core.Context
	w, h    int
	focus   bool
	buf     []sources.LogLine // ring
	start   int
	n       int
	follow  bool
	scroll  core.Scroller
	input   textinput.Model
	editing bool
	filter  string
	// trace set: the pane shows one trace's lines (the pivot from a waterfall) instead of the tail.
	trace      string
	traceLines []sources.LogLine
	source     string // the backend's name, for the title
	// window is the time window picked on a graph whose lines traceLines then hold (trace empty).
	window *sources.WindowMsg
	// asked is the open pivot question (a trace's lines or a window): only its answer is shown.
	asked     sources.Asked
	setFilter func(string)
	err       error
	cache     string
	valid     bool
	// Ingested counts lines received (benchmarks).
	Ingested int
}

// NewLogs makes the pane. setFilter hands a new filter to the poller (non-blocking); it may be nil.
func NewLogs(ctx *core.Context, source string, setFilter func(string)) *Logs {
	ti := textinput.New()
	ti.Prompt = "/"
	ti.Placeholder = "filter (query text), enter to apply, esc to cancel"
	return &Logs{ctx: ctx, buf: make([]sources.LogLine, LogCapacity), follow: true, input: ti, source: source, setFilter: setFilter}
}

// ID implements core.Pane.
func (l *Logs) ID() core.PaneID { return core.PaneLogs }

// Title implements core.Pane.
func (l *Logs) Title() string {
	mode := "following"
	if !l.follow {
		mode = "paused"
	}
	t := "Logs"
	if l.source != "" {
		t += " · " + l.source
	}
	if l.trace != "" {
		return fmt.Sprintf("Logs of trace %s · %d lines", shortID(l.trace), len(l.traceLines))
	}
	if l.window != nil {
		more := ""
		if l.window.More {
			more = "+"
		}
		return fmt.Sprintf("Logs %s–%s · %d%s lines (esc: live)", l.window.Start.Local().Format("15:04:05"),
			l.window.End.Local().Format("15:04:05"), len(l.traceLines), more)
	}
	if l.filter != "" {
		t += " · /" + l.filter
	}
	return fmt.Sprintf("%s · %s · [%d]", t, mode, l.n)
}

// Capturing implements core.Pane: while the filter is edited, keys are text.
func (l *Logs) Capturing() bool { return l.editing }

// ShortHelp implements help.KeyMap.
func (l *Logs) ShortHelp() []key.Binding {
	k := l.ctx.Keys
	if l.pinned() {
		return []key.Binding{k.Open, k.Back, k.Up, k.Down}
	}
	return []key.Binding{k.Filter, k.Follow, k.Open, k.Up, k.Down}
}

// FullHelp implements help.KeyMap.
func (l *Logs) FullHelp() [][]key.Binding {
	k := l.ctx.Keys
	return [][]key.Binding{{k.Filter, k.Follow, k.Open, k.Back, k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}}
}

// SetSize implements core.Pane.
func (l *Logs) SetSize(w, h int) {
	l.w, l.h, l.valid = w, h, false
	l.input.SetWidth(max(w-2, 10))
}

func (l *Logs) at(i int) *sources.LogLine { return &l.buf[(l.start+i)%len(l.buf)] }

func (l *Logs) push(ln sources.LogLine) {
	if l.n < len(l.buf) {
		l.buf[(l.start+l.n)%len(l.buf)] = ln
		l.n++
		return
	}
	l.buf[l.start] = ln
	l.start = (l.start + 1) % len(l.buf)
	if !l.follow && l.scroll.Cursor > 0 {
		l.scroll.Cursor-- // keep the paused view on the same line as the oldest ones fall off
	}
}

func (l *Logs) rows() int {
	if l.pinned() {
		return len(l.traceLines)
	}
	return l.n
}

func (l *Logs) row(i int) *sources.LogLine {
	if l.pinned() {
		return &l.traceLines[i]
	}
	return l.at(i)
}

// Update implements core.Pane.
func (l *Logs) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case sources.LogsMsg:
		l.err = asErr(msg.Err)
		if msg.Source != "" {
			l.source = msg.Source
		}
		for _, ln := range msg.Lines {
			l.push(ln)
		}
		l.Ingested += len(msg.Lines)
		if !l.pinned() {
			l.scroll.SetN(l.n)
			if l.follow {
				l.scroll.Bottom()
			}
		}
		l.valid = false
	case sources.LogsReset:
		l.start, l.n = 0, 0
		l.scroll.SetN(0)
		l.valid = false
	case core.TraceLogsMsg:
		if l.ctx.Fetch != nil {
			l.asked = l.ctx.Ask(core.PaneLogs)
			l.ctx.Fetch.FetchTraceLogs(l.asked, msg.TraceID) // the lines come as a sources.TraceLogsMsg
		}
	case core.WindowMsg:
		l.asked = msg.Asked // the root asked for both panes
	case sources.WindowMsg:
		if !msg.Asked.Answers(l.asked) {
			return nil
		}
		l.trace, l.window, l.traceLines, l.err = "", &msg, msg.Lines, asErr(msg.LogsErr)
		l.scroll.SetN(len(l.traceLines))
		l.scroll.Top()
		l.valid = false
	case sources.TraceLogsMsg:
		if !msg.Asked.Answers(l.asked) {
			return nil // an answer to an older question, or to one left with esc
		}
		l.window = nil
		l.trace, l.traceLines, l.err = msg.TraceID, msg.Lines, asErr(msg.Err)
		l.scroll.SetN(len(l.traceLines))
		l.scroll.Top()
		l.valid = false
		return func() tea.Msg { return core.FocusPaneMsg{Pane: core.PaneLogs} }
	case core.TickMsg, core.ClusterChangedMsg, core.ThemeChangedMsg:
		l.valid = false // pod marks (terminating, gone) follow the cluster
	case core.FocusMsg:
		l.focus, l.valid = true, false
	case core.BlurMsg:
		l.focus, l.valid = false, false
	case tea.KeyPressMsg:
		return l.key(msg)
	case tea.PasteMsg:
		if l.editing {
			var cmd tea.Cmd
			l.input, cmd = l.input.Update(msg)
			l.valid = false
			return cmd
		}
	}
	return nil
}

func (l *Logs) key(msg tea.KeyPressMsg) tea.Cmd {
	k := l.ctx.Keys
	l.valid = false
	if l.editing {
		switch msg.String() {
		case "enter":
			l.editing = false
			l.filter = strings.TrimSpace(l.input.Value())
			l.input.Blur()
			if l.setFilter != nil {
				l.setFilter(l.filter)
			}
			l.follow = true
			return nil
		case "esc":
			l.editing = false
			l.input.Blur()
			l.input.SetValue(l.filter)
			return nil
		}
		var cmd tea.Cmd
		l.input, cmd = l.input.Update(msg)
		return cmd
	}
	switch {
	case key.Matches(msg, k.Filter):
		l.editing = true
		l.input.SetValue(l.filter)
		l.input.CursorEnd()
		return l.input.Focus()
	case key.Matches(msg, k.Back):
		l.asked = sources.Asked{}
		if l.pinned() {
			l.trace, l.window, l.traceLines = "", nil, nil
			l.scroll.SetN(l.n)
			l.scroll.Bottom()
		}
	case key.Matches(msg, k.Follow):
		l.follow = !l.follow
		if l.follow {
			l.scroll.Bottom()
		}
	case key.Matches(msg, k.Open):
		if i := l.scroll.Cursor; i < l.rows() {
			if id := l.row(i).TraceID; id != "" {
				return tea.Batch(
					func() tea.Msg { return core.OpenTraceMsg{TraceID: id} },
					func() tea.Msg { return core.FocusPaneMsg{Pane: core.PaneTraces} })
			}
		}
	default:
		if l.scroll.HandleKey(k, msg) && !l.pinned() {
			// Scrolling up pauses; reaching the bottom again follows.
			l.follow = l.scroll.AtBottom()
		}
	}
	return nil
}

// View implements core.Pane.
func (l *Logs) View() string {
	if !l.valid {
		l.cache = l.render()
		l.valid = true
	}
	return l.cache
}

func (l *Logs) render() string {
	st := l.ctx.Styles
	if l.w <= 0 || l.h <= 0 {
		return ""
	}
	rows := l.h
	var footer string
	if l.editing {
		footer = l.input.View()
		rows--
	} else if l.err != nil {
		footer = errLine(st, l.err, l.w)
		rows--
	}
	l.scroll.SetHeight(rows)
	var sb strings.Builder
	if l.rows() == 0 {
		sb.WriteString(st.Muted.Render("no log lines yet"))
		rows--
	}
	from, to := l.scroll.Visible()
	c := l.ctx.Cluster
	podW := min(max(l.w/4, 12), 30)
	for i := from; i < to; i++ {
		ln := l.row(i)
		lvl, ls := levelStyle(l, ln.Level)
		pod := core.Pad(ln.Pod, podW)
		ps := st.Muted
		if p, ok := c.Pods[ln.Namespace+"/"+ln.Pod]; ok && p.Terminating() {
			ps = st.Gone
			pod = core.Pad("× "+ln.Pod, podW)
		} else if _, gone := c.Gone[ln.Namespace+"/"+ln.Pod]; gone {
			ps = st.Gone
			pod = core.Pad("– "+ln.Pod, podW)
		}
		text := ln.Msg
		if ln.TraceID != "" && l.w >= 100 {
			text += " trace=" + shortID(ln.TraceID)
		}
		line := st.Muted.Render(ln.Time.Format("15:04:05")) + " " + ps.Render(pod) + " " + ls.Render(lvl) + " " + core.Truncate(text, max(l.w-podW-15, 5))
		if l.focus && i == l.scroll.Cursor {
			line = st.Selected.Render(core.FitLine(stripped(ln, podW, lvl, text), l.w))
		}
		if i > from {
			sb.WriteByte('\n')
		}
		sb.WriteString(line)
	}
	if footer != "" {
		for i := to - from; i < rows; i++ {
			sb.WriteByte('\n')
		}
		sb.WriteString("\n" + footer)
	}
	return sb.String()
}

func stripped(ln *sources.LogLine, podW int, lvl, text string) string {
	return ln.Time.Format("15:04:05") + " " + core.Pad(ln.Pod, podW) + " " + lvl + " " + text
}

func levelStyle(l *Logs, level string) (string, themes.Style) {
	st := l.ctx.Styles
	switch strings.ToLower(level) {
	case "error", "fatal", "panic":
		return "ERR ", st.Err
	case "warn", "warning":
		return "WARN", st.Warn
	case "debug", "trace":
		return "DBG ", st.Muted
	}
	return "INFO", st.Info
}

// pinned reports whether the pane shows fetched lines (a trace's, a window's) instead of the tail.
func (l *Logs) pinned() bool { return l.trace != "" || l.window != nil }
