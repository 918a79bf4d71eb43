// Package core holds what the root model and every pane share: the one Context pointer (size, theme,
// keymap, config, clock, cluster state), the Pane contract, pane ids, shared messages and the frame
// that draws a pane's border and title.
package core

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/themes"
	"github.com/gamedaylab/gameday/tui/keys"
)

// PaneID identifies a pane; results addressed to a pane carry its id.
type PaneID int

// The panes, in focus order.
const (
	PaneWorkload PaneID = iota
	PaneMetrics
	PaneTraces
	PaneLogs
	PaneEvents
	NumPanes
)

var paneNames = [NumPanes]string{"Workload", "Metrics", "Traces", "Logs", "Events"}

func (p PaneID) String() string { return paneNames[p] }

// Pane is a component of the cockpit.
type Pane interface {
	ID() PaneID
	// Title is drawn in the top border; it may carry a count or a mode ("Logs [paused]").
	Title() string
	Update(msg tea.Msg) tea.Cmd
	// View renders the pane's content (without its frame) at the size given by SetSize.
	View() string
	SetSize(w, h int)
	// Capturing reports that the pane is reading text (a filter input): global keys must not fire.
	Capturing() bool
	help.KeyMap
}

// Fetcher is the session's side of the panes' requests. Each names who asks (Context.Ask) and its
// answer carries that back, so it reaches the pane that asked and no other cockpit's.
type Fetcher interface {
	FetchTrace(a sources.Asked, id string)
	FetchTraceLogs(a sources.Asked, id string)
	FetchSpanNames(a sources.Asked, service string)
	FetchWindow(a sources.Asked, start, end time.Time)
}

// Context is shared by pointer between the root model and every pane.
type Context struct {
	Width, Height int
	// Fetch asks the session for what a pane opens (a trace, its logs, span names); the answers come
	// back as events. Nil: nothing to ask.
	Fetch   Fetcher
	Styles  *themes.Styles
	Keys    *keys.Map
	Config  *config.Config
	Clock   sources.Clock
	Cluster *model.Cluster
	Markers *Markers
	Guard   *actions.Guard
	// Perms are the actions the identity may run (nil: not known yet, allowed).
	Perms actions.Permissions

	// What the cockpit points at.
	KubeContext string
	Namespace   string
	Target      string // Deployment name ("" = none)
	Demo        bool
	// NoColor: NO_COLOR was set at start, so every theme, `:theme` too, is drawn mono.
	NoColor bool

	// Cockpit names this cockpit among those that share a session's bus.
	Cockpit string
	asked   [NumPanes]uint64
}

// Ask numbers a new question of pane p, to pass to a Fetch; the pane keeps it and takes only the
// answer that carries it (sources.Asked.Answers).
func (c *Context) Ask(p PaneID) sources.Asked {
	c.asked[p]++
	return sources.Asked{By: c.Cockpit, Pane: p.String(), Seq: c.asked[p]}
}

// Asker reports which of this cockpit's panes asked a; false for another cockpit's question.
func (c *Context) Asker(a sources.Asked) (PaneID, bool) {
	if a.By != c.Cockpit || a.Seq == 0 {
		return 0, false
	}
	for p := range NumPanes {
		if p.String() == a.Pane {
			return p, true
		}
	}
	return 0, false
}

// Allowed reports whether an action is permitted, and why not.
func (c *Context) Allowed(action string) (bool, string) {
	if c.Perms == nil {
		return true, ""
	}
	p, ok := c.Perms[action]
	if !ok {
		return true, ""
	}
	return p.Allowed, p.Reason
}

// Now is the cockpit's clock (simulated time in demo mode).
func (c *Context) Now() time.Time { return c.Clock.Now() }

// Focus and blur notifications, so panes can restyle.
type (
	// FocusMsg tells a pane it gained focus.
	FocusMsg struct{}
	// BlurMsg tells a pane it lost focus.
	BlurMsg struct{}
	// TickMsg is the once-a-second clock tick (ages, highlights, the experiment clock).
	// Pruned are the deleted pods forgotten this tick: lists that kept them (marked gone) drop them.
	TickMsg struct {
		Now    time.Time
		Pruned []string
	}
	// ClusterChangedMsg tells panes the cluster store changed; Delta is what was applied.
	ClusterChangedMsg struct{ Delta *model.ClusterDelta }
	// TargetChangedMsg tells panes the namespace or target changed.
	TargetChangedMsg struct{}
	// MarkersChangedMsg tells charts that an action marker was added.
	MarkersChangedMsg struct{}
	// ThemeChangedMsg tells panes to drop caches that hold styled text.
	ThemeChangedMsg struct{}
	// StatusMsg puts a transient message in the status line.
	StatusMsg struct {
		Text string
		Err  bool
	}
	// OpenTraceMsg asks the traces pane to open a trace (the pivot from a log line).
	OpenTraceMsg struct{ TraceID string }
	// TraceLogsMsg asks the logs pane to show the lines of one trace (the pivot from a waterfall).
	TraceLogsMsg struct{ TraceID string }
	// WindowMsg asks for what happened in a window picked on a graph (the pivot from a spike): the
	// traces pane and the logs pane show it. The root numbers the question (Asked) before passing it on.
	WindowMsg struct {
		Start, End time.Time
		Asked      sources.Asked
	}
	// FocusPaneMsg asks the root to focus a pane.
	FocusPaneMsg struct{ Pane PaneID }
)

// Marker is an action drawn on every graph at its time.
type Marker struct {
	T     time.Time
	Label string
	// Span names a window that starts at T (a fault's id): the charts shade it up to Until, or up
	// to their end while Open.
	Span  string
	Until time.Time
	Open  bool
}

// Markers is the list of action markers, oldest first, with a version so charts know to redraw.
type Markers struct {
	List    []Marker
	Version int
}

// Add appends a marker.
func (m *Markers) Add(t time.Time, label string) {
	m.List = append(m.List, Marker{T: t, Label: label})
	if len(m.List) > 200 {
		m.List = m.List[len(m.List)-200:]
	}
	m.Version++
}

// OpenSpan appends a marker whose window (id's) stays shaded until CloseSpan.
func (m *Markers) OpenSpan(t time.Time, label, id string) {
	m.Add(t, label)
	m.List[len(m.List)-1].Span, m.List[len(m.List)-1].Open = id, true
}

// CloseSpan ends the open window of id at t ("" ends every open one: HALT).
func (m *Markers) CloseSpan(t time.Time, id string) {
	for i := range m.List {
		if mk := &m.List[i]; mk.Open && (id == "" || mk.Span == id) {
			mk.Open, mk.Until = false, t
			m.Version++
		}
	}
}

// Reset drops every marker (a replay moved to another moment: the markers up to it follow).
func (m *Markers) Reset() {
	m.List = nil
	m.Version++
}

// ReplaySeekMsg tells panes that a replay moved: what they derived from past events (the journal
// rows) goes, as the state at the new moment follows.
type ReplaySeekMsg struct{}

// Frame draws a bordered box of exactly w x h with the title set into the top border, like k9s. The
// content is clipped or padded to fit, so a pane can never break the layout.
func Frame(st *themes.Styles, title, content string, w, h int, focused bool) string {
	if w < 4 || h < 2 {
		return ""
	}
	b := st.BorderSet
	bs, ts := st.Border, st.Title
	if focused {
		bs, ts = st.BorderFoc, st.TitleFocus
	}
	inner := w - 2
	t := truncate(" "+title+" ", inner-2)
	tw := Width(t)
	var sb strings.Builder
	sb.WriteString(bs.Render(b.TopLeft + b.Top))
	sb.WriteString(ts.Render(t))
	sb.WriteString(bs.Render(strings.Repeat(b.Top, max(inner-1-tw, 0)) + b.TopRight))
	lines := strings.Split(content, "\n")
	left, right := bs.Render(b.Left), bs.Render(b.Right)
	for i := 0; i < h-2; i++ {
		sb.WriteByte('\n')
		line := ""
		if i < len(lines) {
			line = lines[i]
		}
		sb.WriteString(left)
		sb.WriteString(FitLine(line, inner))
		sb.WriteString(right)
	}
	sb.WriteByte('\n')
	sb.WriteString(bs.Render(b.BottomLeft + strings.Repeat(b.Bottom, inner) + b.BottomRight))
	return sb.String()
}

// FitLine truncates or pads a (possibly styled) line to exactly w cells.
func FitLine(line string, w int) string {
	lw := Width(line)
	if lw > w {
		return truncate(line, w)
	}
	return line + spaces(w-lw)
}

// Truncate shortens plain or styled text to w cells with an ellipsis.
func Truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	return truncate(s, w)
}

// Pad pads plain text to w cells (left-aligned), truncating if longer.
func Pad(s string, w int) string { return FitLine(s, w) }

// PadLeft right-aligns plain text in w cells.
func PadLeft(s string, w int) string {
	sw := Width(s)
	if sw >= w {
		return truncate(s, w)
	}
	return spaces(w-sw) + s
}

// Age formats a duration like kubectl: 45s, 3m12s, 2h5m, 3d4h.
func Age(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return itoa(int(d/time.Second)) + "s"
	case d < 10*time.Minute:
		return itoa(int(d/time.Minute)) + "m" + itoa(int(d%time.Minute/time.Second)) + "s"
	case d < time.Hour:
		return itoa(int(d/time.Minute)) + "m"
	case d < 24*time.Hour:
		return itoa(int(d/time.Hour)) + "h" + itoa(int(d%time.Hour/time.Minute)) + "m"
	}
	return itoa(int(d/(24*time.Hour))) + "d" + itoa(int(d%(24*time.Hour)/time.Hour)) + "h"
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	neg := i < 0
	if neg {
		i = -i
	}
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		n--
		b[n] = '-'
	}
	return string(b[n:])
}

// Clock formats an experiment clock: T+mm:ss (T+h:mm:ss past an hour).
func Clock(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int(d / time.Second)
	if s >= 3600 {
		return "T+" + itoa(s/3600) + ":" + two(s%3600/60) + ":" + two(s%60)
	}
	return "T+" + two(s/60) + ":" + two(s%60)
}

func two(i int) string {
	if i < 10 {
		return "0" + itoa(i)
	}
	return itoa(i)
}

// ConventionMsg names the metric convention the default graphs' queries follow (detected for the
// target): the Metrics pane's title says it.
type ConventionMsg string

// WrapWords breaks s into lines of at most w cells at spaces (a longer word stays whole and is cut
// later by the column fit).
func WrapWords(s string, w int) []string {
	var lines []string
	cur := ""
	for _, word := range strings.Fields(s) {
		switch {
		case cur == "":
			cur = word
		case len([]rune(cur))+1+len([]rune(word)) <= w:
			cur += " " + word
		default:
			lines = append(lines, cur)
			cur = word
		}
	}
	return append(lines, cur)
}
