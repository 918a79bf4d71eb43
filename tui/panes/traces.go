package panes

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	zmodel "github.com/openzipkin/zipkin-go/model"

	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/tui/core"
)

// actionTagWindow: traces that start this soon after an action are tagged with it.
const actionTagWindow = 5 * time.Second

// Traces lists recent traces of the target service; Enter opens a waterfall.
type Traces struct {
	ctx    *core.Context
	w, h   int
	focus  bool
	list   []sources.TraceSummary
	err    error
	scroll core.Scroller
	query  sources.TraceQuery
	source string // the backend's name, for the title
	// setQuery hands a changed query to the poller (non-blocking).
	setQuery func(sources.TraceQuery)
	wf       *waterfall
	input    textinput.Model
	editing  bool
	names    []string // span names of the service, for the filter
	cache    string
	valid    bool
	// window is the time window picked on a graph whose traces are listed (slowest first) instead of
	// the live list, which is kept in live meanwhile; esc returns to it.
	window     *sources.WindowMsg
	live       []sources.TraceSummary
	windowSeen bool // the window's answer arrived
	// The open questions: only their answers are shown (a late answer to an older one is dropped).
	askedTrace, askedNames sources.Asked
}

// waterfall is one opened trace: spans in tree order with their depth.
type waterfall struct {
	id     string
	spans  []zmodel.SpanModel
	depth  []int
	start  time.Time
	total  time.Duration
	scroll core.Scroller
	err    error
}

// NewTraces makes the pane. source names the trace backend ("" for none); whole traces and span names
// are asked of ctx.Fetch; setQuery may be nil.
func NewTraces(ctx *core.Context, source string, q sources.TraceQuery, setQuery func(sources.TraceQuery)) *Traces {
	ti := textinput.New()
	ti.Prompt = "/"
	ti.Placeholder = "span name, >200ms (slower than), errors; enter applies, esc cancels"
	return &Traces{ctx: ctx, source: source, query: q, setQuery: setQuery, input: ti}
}

// ID implements core.Pane.
func (t *Traces) ID() core.PaneID { return core.PaneTraces }

// Title implements core.Pane.
func (t *Traces) Title() string {
	if t.wf != nil {
		return fmt.Sprintf("Trace %s · %d spans · %s", shortID(t.wf.id), len(t.wf.spans), fmtDur(t.wf.total))
	}
	f := ""
	if t.query.ErrorsOnly {
		f = " · errors only"
	}
	if t.query.MinDuration > 0 {
		f += " · >" + fmtDur(t.query.MinDuration)
	}
	if t.query.SpanName != "" {
		f += " · span " + t.query.SpanName
	}
	name := "Traces"
	if t.window != nil {
		return fmt.Sprintf("Traces %s–%s · slowest first · [%d] (esc: live)", t.window.Start.Local().Format("15:04:05"),
			t.window.End.Local().Format("15:04:05"), len(t.list))
	}
	if t.source != "" {
		name += " · " + t.source
	}
	return fmt.Sprintf("%s%s · [%d]", name, f, len(t.list))
}

// Capturing implements core.Pane: while the filter is edited, keys are text.
func (t *Traces) Capturing() bool { return t.editing }

// ParseTraceFilter reads the `/` filter: words are a span name, ">200ms" a minimum duration, "errors"
// errors only; an empty filter clears them.
func ParseTraceFilter(s string, q sources.TraceQuery) (sources.TraceQuery, error) {
	q.SpanName, q.MinDuration, q.ErrorsOnly = "", 0, false
	var name []string
	for _, f := range strings.Fields(s) {
		switch {
		case strings.HasPrefix(f, ">"):
			d, err := time.ParseDuration(f[1:])
			if err != nil || d <= 0 {
				return q, fmt.Errorf("%q: want >DURATION, e.g. >200ms", f)
			}
			q.MinDuration = d
		case f == "errors" || f == "error" || f == "err":
			q.ErrorsOnly = true
		default:
			name = append(name, f)
		}
	}
	q.SpanName = strings.Join(name, " ")
	return q, nil
}

// ShortHelp implements help.KeyMap.
func (t *Traces) ShortHelp() []key.Binding {
	k := t.ctx.Keys
	if t.wf != nil {
		return []key.Binding{k.Up, k.Down, k.Logs, k.Back}
	}
	return []key.Binding{k.Open, k.Errors, k.Filter, k.Up, k.Down}
}

// FullHelp implements help.KeyMap.
func (t *Traces) FullHelp() [][]key.Binding {
	k := t.ctx.Keys
	return [][]key.Binding{{k.Open, k.Back, k.Errors, k.Filter, k.Logs, k.Up, k.Down, k.Top, k.Bottom}}
}

// SetSize implements core.Pane.
func (t *Traces) SetSize(w, h int) { t.w, t.h, t.valid = w, h, false }

// Update implements core.Pane.
func (t *Traces) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case core.WindowMsg:
		t.window, t.windowSeen, t.wf = &sources.WindowMsg{Start: msg.Start, End: msg.End, Asked: msg.Asked}, false, nil
		t.askedTrace = sources.Asked{}
		t.live, t.list, t.err = t.list, nil, nil
		t.scroll.SetN(0)
		t.valid = false
	case sources.WindowMsg:
		if t.window == nil || !msg.Asked.Answers(t.window.Asked) {
			return nil // an answer to a window left already
		}
		t.window, t.windowSeen = &msg, true
		t.list, t.err = msg.Traces, asErr(msg.TracesErr)
		t.scroll.SetN(len(t.list))
		t.scroll.Top()
		t.valid = false
	case sources.TracesMsg:
		if msg.Source != "" {
			t.source = msg.Source
		}
		if t.window != nil {
			if msg.Err == "" {
				t.live = msg.Traces
			}
			return nil
		}
		t.err = asErr(msg.Err)
		if msg.Err == "" {
			sel := ""
			if t.scroll.Cursor < len(t.list) {
				sel = t.list[t.scroll.Cursor].TraceID
			}
			t.list = msg.Traces
			t.scroll.SetN(len(t.list))
			// Keep the selection on the same trace as new ones arrive on top.
			for i, s := range t.list {
				if s.TraceID == sel && t.scroll.Cursor != 0 {
					t.scroll.Cursor = i
					t.scroll.SetN(len(t.list))
				}
			}
		}
		t.valid = false
	case sources.TraceMsg:
		if msg.Asked.Answers(t.askedTrace) {
			t.askedTrace = sources.Asked{}
			t.openTrace(msg)
		}
	case sources.SpanNamesMsg:
		// Suggestions are a convenience: a failure leaves the filter usable as plain text.
		if msg.Err == "" && msg.Asked.Answers(t.askedNames) {
			t.names = msg.Names
			t.input.SetSuggestions(msg.Names)
			t.input.ShowSuggestions = len(msg.Names) > 0
			t.valid = false
		}
	case core.OpenTraceMsg:
		return t.fetch(msg.TraceID)
	case core.MarkersChangedMsg, core.ThemeChangedMsg:
		t.valid = false
	case core.FocusMsg:
		t.focus, t.valid = true, false
	case core.BlurMsg:
		t.focus, t.valid = false, false
	case tea.KeyPressMsg:
		return t.key(msg)
	}
	return nil
}

func (t *Traces) key(msg tea.KeyPressMsg) tea.Cmd {
	k := t.ctx.Keys
	t.valid = false
	if t.editing {
		switch msg.String() {
		case "enter":
			q, err := ParseTraceFilter(t.input.Value(), t.query)
			if err != nil {
				t.err = err
				return nil
			}
			t.editing, t.err = false, nil
			t.input.Blur()
			t.query = q
			if t.setQuery != nil {
				t.setQuery(q)
			}
			return nil
		case "esc":
			t.editing = false
			t.input.Blur()
			return nil
		}
		var cmd tea.Cmd
		t.input, cmd = t.input.Update(msg)
		return cmd
	}
	if t.wf != nil {
		switch {
		case key.Matches(msg, k.Back):
			t.wf, t.askedTrace = nil, sources.Asked{}
		case key.Matches(msg, k.Logs):
			id := t.wf.id
			return func() tea.Msg { return core.TraceLogsMsg{TraceID: id} }
		default:
			t.wf.scroll.HandleKey(k, msg)
		}
		return nil
	}
	switch {
	case key.Matches(msg, k.Open):
		if t.scroll.Cursor < len(t.list) {
			return t.fetch(t.list[t.scroll.Cursor].TraceID)
		}
	case key.Matches(msg, k.Back) && t.askedTrace.Seq != 0:
		t.askedTrace = sources.Asked{} // a trace asked for and not shown yet: it does not open
	case key.Matches(msg, k.Back) && t.window != nil:
		t.window, t.list, t.live = nil, t.live, nil
		t.scroll.SetN(len(t.list))
		t.scroll.Top()
	case key.Matches(msg, k.Errors):
		t.query.ErrorsOnly = !t.query.ErrorsOnly
		if t.setQuery != nil {
			t.setQuery(t.query)
		}
	case key.Matches(msg, k.Filter):
		t.editing = true
		return tea.Batch(t.input.Focus(), t.spanNames())
	default:
		t.scroll.HandleKey(k, msg)
	}
	return nil
}

// spanNames asks, through the session, which span names the service has, so the filter can complete
// them (tab accepts a suggestion); the answer comes as a SpanNamesMsg.
func (t *Traces) spanNames() tea.Cmd {
	if t.ctx.Fetch != nil {
		t.askedNames = t.ctx.Ask(core.PaneTraces)
		t.ctx.Fetch.FetchSpanNames(t.askedNames, t.query.Service)
	}
	return nil
}

// fetch asks for one whole trace; it arrives as a TraceMsg.
func (t *Traces) fetch(id string) tea.Cmd {
	if t.ctx.Fetch != nil {
		t.askedTrace = t.ctx.Ask(core.PaneTraces)
		t.ctx.Fetch.FetchTrace(t.askedTrace, id)
	}
	return nil
}

func (t *Traces) openTrace(msg sources.TraceMsg) {
	wf := &waterfall{id: msg.TraceID, err: asErr(msg.Err)}
	wf.spans, wf.depth = SpanTree(msg.Spans)
	if len(wf.spans) > 0 {
		sum := sources.SummarizeTrace(wf.spans)
		wf.start, wf.total = sum.Start, sum.Duration
	}
	wf.scroll.SetN(len(wf.spans))
	t.wf = wf
	t.valid = false
}

// SpanTree orders spans depth-first from the roots (children by start time) and gives each its depth.
// Spans whose parent is missing are treated as roots, so a partial trace still shows everything.
func SpanTree(spans []zmodel.SpanModel) ([]zmodel.SpanModel, []int) {
	byID := map[zmodel.ID]bool{}
	for _, s := range spans {
		byID[s.ID] = true
	}
	children := map[zmodel.ID][]int{}
	var roots []int
	for i, s := range spans {
		if s.ParentID == nil || !byID[*s.ParentID] || *s.ParentID == s.ID {
			roots = append(roots, i)
		} else {
			children[*s.ParentID] = append(children[*s.ParentID], i)
		}
	}
	byStart := func(idx []int) {
		sort.SliceStable(idx, func(a, b int) bool { return spans[idx[a]].Timestamp.Before(spans[idx[b]].Timestamp) })
	}
	byStart(roots)
	out := make([]zmodel.SpanModel, 0, len(spans))
	depth := make([]int, 0, len(spans))
	seen := map[int]bool{}
	var walk func(i, d int)
	walk = func(i, d int) {
		if seen[i] {
			return // a cycle in malformed data
		}
		seen[i] = true
		out = append(out, spans[i])
		depth = append(depth, d)
		kids := children[spans[i].ID]
		byStart(kids)
		for _, k := range kids {
			walk(k, d+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	return out, depth
}

// View implements core.Pane.
func (t *Traces) View() string {
	if !t.valid {
		if t.wf != nil {
			t.cache = t.renderWaterfall()
		} else {
			t.cache = t.renderList()
		}
		t.valid = true
	}
	return t.cache
}

func (t *Traces) actionTag(start time.Time) string {
	ms := t.ctx.Markers.List
	for i := len(ms) - 1; i >= 0; i-- {
		d := start.Sub(ms[i].T)
		if d >= 0 && d <= actionTagWindow {
			return ms[i].Label
		}
	}
	return ""
}

func (t *Traces) renderList() string {
	st := t.ctx.Styles
	if t.w <= 0 || t.h <= 0 {
		return ""
	}
	var sb strings.Builder
	cols := core.FitColumns(t.w, 12,
		core.Col{Title: "TIME", W: 9},
		core.Col{Title: "ROOT", Flex: true},
		core.Col{Title: "SERVICES", W: 14, Prio: 4},
		core.Col{Title: "DURATION", W: 9, Right: true},
		core.Col{Title: "SPANS", W: 6, Right: true, Prio: 2},
		core.Col{Title: "ERR", W: 4},
		core.Col{Title: "AFTER", W: 11, Prio: 3})
	sb.WriteString(st.TableHead.Render(core.FitLine(cols.Header(), t.w)))
	if t.err != nil {
		sb.WriteString("\n" + errLine(st, t.err, t.w))
	}
	rows := t.h - 1
	if t.editing {
		rows--
		if len(t.names) > 0 {
			rows--
		}
	}
	t.scroll.SetHeight(rows)
	switch {
	case t.window != nil && !t.windowSeen:
		sb.WriteString("\n" + st.Muted.Render("asking for the traces of the window…"))
	case t.window != nil && len(t.list) == 0 && t.err == nil:
		sb.WriteString("\n" + st.Muted.Render("no trace of "+t.query.Service+" began in this window"))
	case len(t.list) == 0 && t.err == nil:
		sb.WriteString("\n" + st.Muted.Render("no traces yet"))
	}
	from, to := t.scroll.Visible()
	for i := from; i < to; i++ {
		s := t.list[i]
		errMark, style := "", st.Text
		if s.Error {
			errMark, style = "✗", st.Err
		}
		line := core.FitLine(cols.Row(s.Start.Format("15:04:05"), s.Root, strings.Join(s.Services, ","),
			fmtDur(s.Duration), fmt.Sprint(s.Spans), errMark, t.actionTag(s.Start)), t.w)
		if t.focus && i == t.scroll.Cursor {
			line = st.Selected.Render(line)
		} else {
			line = style.Render(line)
		}
		sb.WriteString("\n" + line)
	}
	if t.editing {
		for i := to - from; i < rows; i++ {
			sb.WriteByte('\n')
		}
		sb.WriteString("\n" + core.FitLine(t.input.View(), t.w))
		if len(t.names) > 0 {
			sb.WriteString("\n" + core.FitLine(t.ctx.Styles.Muted.Render(" spans (tab completes): "+strings.Join(t.names, " · ")), t.w))
		}
	}
	return sb.String()
}

// ServiceStyle gives a service the same colour everywhere.
func serviceIndex(name string) int {
	h := fnv.New32a()
	h.Write([]byte(name))
	return int(h.Sum32() % 6)
}

func (t *Traces) renderWaterfall() string {
	st := t.ctx.Styles
	wf := t.wf
	if wf.err != nil {
		return st.Err.Render(core.Truncate("error: "+firstLine(wf.err.Error()), t.w)) + "\n" + st.Muted.Render("esc: back to the list")
	}
	if len(wf.spans) == 0 {
		return st.Muted.Render("empty trace")
	}
	// Details of the selected span take the bottom lines when there is room.
	detailH := 0
	if t.h >= 12 {
		detailH = 4
	}
	rows := t.h - 1 - detailH
	wf.scroll.SetHeight(rows)
	labelW := min(max(t.w/3, 16), 40)
	durW := 9
	barW := max(t.w-labelW-durW-1, 5)
	var sb strings.Builder
	sb.WriteString(st.TableHead.Render(core.FitLine(core.Pad("SPAN", labelW)+core.Pad("0", barW/2)+core.PadLeft(fmtDur(wf.total), barW-barW/2)+" "+core.PadLeft("DURATION", durW), t.w)))
	from, to := wf.scroll.Visible()
	for i := from; i < to; i++ {
		sp := wf.spans[i]
		svc := ""
		if sp.LocalEndpoint != nil {
			svc = sp.LocalEndpoint.ServiceName
		}
		ss := st.SeriesStyle(serviceIndex(svc))
		label := core.Pad(strings.Repeat("  ", wf.depth[i])+svc+" "+sp.Name, labelW)
		off, n := 0, 1
		if wf.total > 0 {
			off = int(float64(barW) * float64(sp.Timestamp.Sub(wf.start)) / float64(wf.total))
			n = max(1, int(float64(barW)*float64(sp.Duration)/float64(wf.total)+0.5))
		}
		off = max(0, min(off, barW-1))
		n = min(n, barW-off)
		barStyle := ss
		if _, isErr := sp.Tags["error"]; isErr {
			barStyle = st.Err
		}
		bar := strings.Repeat(" ", off) + barStyle.Render(strings.Repeat("█", n)) + strings.Repeat(" ", barW-off-n)
		lbl := ss.Render(label)
		if t.focus && i == wf.scroll.Cursor {
			lbl = st.Selected.Render(label)
		}
		sb.WriteString("\n" + lbl + bar + " " + core.PadLeft(fmtDur(sp.Duration), durW))
	}
	for i := to - from; i < rows; i++ {
		sb.WriteByte('\n')
	}
	if detailH > 0 && wf.scroll.Cursor < len(wf.spans) {
		sp := wf.spans[wf.scroll.Cursor]
		sb.WriteString("\n" + st.Muted.Render(core.Truncate(fmt.Sprintf("span %s  kind %s  start +%s", sp.ID, sp.Kind, fmtDur(sp.Timestamp.Sub(wf.start))), t.w)))
		keys := make([]string, 0, len(sp.Tags))
		for k := range sp.Tags {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var tags []string
		for _, k := range keys {
			tags = append(tags, k+"="+sp.Tags[k])
		}
		sb.WriteString("\n" + core.Truncate("tags: "+strings.Join(tags, "  "), t.w))
		var ann []string
		for _, a := range sp.Annotations {
			ann = append(ann, fmt.Sprintf("+%s %s", fmtDur(a.Timestamp.Sub(wf.start)), a.Value))
		}
		sb.WriteString("\n" + st.Muted.Render(core.Truncate("annotations: "+strings.Join(ann, "  "), t.w)))
		sb.WriteString("\n" + st.Muted.Render(core.Truncate("l: this trace's logs · esc: back", t.w)))
	}
	return sb.String()
}

func shortID(id string) string {
	if len(id) > 16 {
		return id[len(id)-16:]
	}
	return id
}

func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}
