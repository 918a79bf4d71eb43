package panes

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/tui/core"
)

// Metrics shows the panels as braille time series with action markers. Charts are drawn when their
// data, size or markers change (in Update) and cached; View only joins cached strings.
type Metrics struct {
	ctx    *core.Context
	w, h   int
	focus  bool
	panels []sources.Panel
	data   map[string]*panelData
	sel    int
	zoomed bool
	window time.Duration
	// setView tells the poller the window and chart width (non-blocking).
	setView func(window time.Duration, cols int)
	source  string
	// convention is where the default graphs' queries come from (the detected metric convention).
	convention string
	cache      string
	valid      bool
	// cursor is the moment ← / → picked on the graphs (zero: none); enter opens its traces and logs.
	cursor time.Time
}

type panelData struct {
	series     []sources.Series
	start, end time.Time
	err        string
	errKind    string
	hash       uint64
	chart      string
	chartKey   string // size + marker version + hash the chart was drawn for
	// Draws counts chart redraws (tests prove an unchanged series is not redrawn).
	Draws int
}

// compactLabelW is the title column of one-line sparklines (the first word of the title).
const compactLabelW = 10

// Windows are the time windows `[` and `]` step through.
var Windows = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, 3 * time.Hour}

// NewMetrics makes the pane. setView may be nil.
func NewMetrics(ctx *core.Context, panels []sources.Panel, window time.Duration, source string, setView func(time.Duration, int)) *Metrics {
	m := &Metrics{ctx: ctx, panels: panels, data: map[string]*panelData{}, window: window, setView: setView, source: source}
	for _, p := range panels {
		m.data[p.ID] = &panelData{}
	}
	return m
}

// ID implements core.Pane.
func (m *Metrics) ID() core.PaneID { return core.PaneMetrics }

// Title implements core.Pane.
func (m *Metrics) Title() string {
	t := fmt.Sprintf("Metrics · last %s · %s", actions.ShortDuration(m.window), m.source)
	if m.convention != "" {
		t += " · " + m.convention
	}
	if m.zoomed {
		t += " · " + m.panels[m.sel].Title
	}
	if !m.cursor.IsZero() {
		t += " · at " + m.cursor.Local().Format("15:04:05") + " (enter: its traces and logs)"
	}
	return t
}

// Cursor is the moment picked on the graphs (zero: none).
func (m *Metrics) Cursor() time.Time { return m.cursor }

// moveCursor puts the cursor on the latest moment, or moves it by n chart columns within the window.
func (m *Metrics) moveCursor(n int) {
	var start, end time.Time
	for _, d := range m.data {
		if d.end.After(end) {
			start, end = d.start, d.end
		}
	}
	if end.IsZero() {
		return
	}
	if m.cursor.IsZero() {
		m.cursor, n = end, 0 // the first press shows it at the latest moment
	}
	m.cursor = m.cursor.Add(time.Duration(n) * m.columnStep())
	if m.cursor.Before(start) {
		m.cursor = start
	}
	if m.cursor.After(end) {
		m.cursor = end
	}
	m.redraw()
}

// columnStep is the time one chart column spans.
func (m *Metrics) columnStep() time.Duration {
	w, _ := m.chartSize()
	return max(m.window/time.Duration(max(w, 1)), time.Second)
}

// cursorWindow is the window the cursor stands for: a few columns, at least 10 s, centred on it.
func (m *Metrics) cursorWindow() (time.Time, time.Time) {
	half := max(2*m.columnStep(), 5*time.Second)
	return m.cursor.Add(-half), m.cursor.Add(half)
}

// Capturing implements core.Pane.
func (m *Metrics) Capturing() bool { return false }

// ShortHelp implements help.KeyMap.
func (m *Metrics) ShortHelp() []key.Binding {
	k := m.ctx.Keys
	if !m.cursor.IsZero() {
		return []key.Binding{k.CursorLeft, k.CursorRight, key.NewBinding(key.WithKeys("enter"), key.WithHelp(k.Open.Help().Key, "traces and logs then")), k.Back}
	}
	return []key.Binding{k.Narrower, k.Wider, k.Open, k.CursorLeft, k.Action("burst"), k.Action("rateUp"), k.Action("rateDown")}
}

// FullHelp implements help.KeyMap.
func (m *Metrics) FullHelp() [][]key.Binding {
	k := m.ctx.Keys
	return [][]key.Binding{{k.Up, k.Down, k.Open, k.Back, k.Narrower, k.Wider, k.CursorLeft, k.CursorRight}}
}

// SetSize implements core.Pane.
func (m *Metrics) SetSize(w, h int) {
	m.w, m.h = w, h
	m.redraw()
	m.tellPoller()
}

func (m *Metrics) tellPoller() {
	if m.setView != nil {
		cols, _ := m.chartSize()
		m.setView(m.window, cols)
	}
}

// Draws reports how many times the panel's chart was drawn (for tests and benchmarks).
func (m *Metrics) Draws(panel string) int {
	if d := m.data[panel]; d != nil {
		return d.Draws
	}
	return 0
}

// Update implements core.Pane.
func (m *Metrics) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case core.ConventionMsg:
		// The graphs' queries follow the convention detected for the target: the title names it.
		m.convention = string(msg)
		return nil
	case sources.MetricsMsg:
		d := m.data[msg.Panel]
		if d == nil {
			return nil
		}
		if msg.Source != "" {
			m.source = msg.Source
		}
		if msg.ErrKind == sources.ErrKindUnreachable && len(d.series) > 0 {
			// Keep the last good graph during an outage; the header says the backend is down.
			d.err, d.errKind = msg.Err, msg.ErrKind
			m.valid = false
			return nil
		}
		h := seriesHash(msg.Series, msg.Err)
		// Keep the window's time range moving even when values did not change.
		d.start, d.end = msg.Start, msg.End
		d.err, d.errKind = msg.Err, msg.ErrKind
		if h != d.hash {
			d.series, d.hash = msg.Series, h
		}
		m.redrawPanel(msg.Panel)
	case core.MarkersChangedMsg, core.ThemeChangedMsg:
		m.redraw()
	case core.FocusMsg:
		m.focus, m.valid = true, false
	case core.BlurMsg:
		m.focus, m.valid = false, false
	case tea.KeyPressMsg:
		k := m.ctx.Keys
		switch {
		case key.Matches(msg, k.Wider):
			m.stepWindow(1)
		case key.Matches(msg, k.Narrower):
			m.stepWindow(-1)
		case key.Matches(msg, k.Up):
			m.sel = (m.sel - 1 + len(m.panels)) % len(m.panels)
			m.redraw()
		case key.Matches(msg, k.Down):
			m.sel = (m.sel + 1) % len(m.panels)
			m.redraw()
		case key.Matches(msg, k.CursorLeft):
			m.moveCursor(-1)
		case key.Matches(msg, k.CursorRight):
			m.moveCursor(1)
		case key.Matches(msg, k.Open) && !m.cursor.IsZero():
			start, end := m.cursorWindow()
			return func() tea.Msg { return core.WindowMsg{Start: start, End: end} }
		case key.Matches(msg, k.Open):
			m.zoomed = !m.zoomed
			m.redraw()
			m.tellPoller()
		case key.Matches(msg, k.Back) && !m.cursor.IsZero():
			m.cursor = time.Time{}
			m.redraw()
		case key.Matches(msg, k.Back):
			if m.zoomed {
				m.zoomed = false
				m.redraw()
				m.tellPoller()
			}
		}
	}
	return nil
}

func (m *Metrics) stepWindow(d int) {
	i := 0
	for j, w := range Windows {
		if w == m.window {
			i = j
		}
	}
	i = max(0, min(len(Windows)-1, i+d))
	m.window = Windows[i]
	m.tellPoller()
	m.valid = false
}

// layout: how many columns of graphs, and whether graphs are one-line sparklines.
func (m *Metrics) layout() (cols, rows int, compactMode bool) {
	n := len(m.panels)
	if m.zoomed {
		return 1, 1, false
	}
	cols = 1
	if m.w >= 60 {
		cols = 2
	}
	rows = (n + cols - 1) / cols
	if m.h/rows < 5 {
		return 1, n, true
	}
	return cols, rows, false
}

// chartSize is the size of one chart (without its title line).
func (m *Metrics) chartSize() (w, h int) {
	cols, rows, compactMode := m.layout()
	if compactMode {
		return max(m.w-compactLabelW-16, 8), 1
	}
	return m.w/cols - 1, max(m.h/rows-1, 3)
}

func (m *Metrics) redraw() {
	for _, p := range m.panels {
		m.redrawPanel(p.ID)
	}
	m.valid = false
}

// redrawPanel redraws one chart if what it shows changed.
func (m *Metrics) redrawPanel(id string) {
	m.valid = false
	d := m.data[id]
	_, _, compactMode := m.layout()
	if compactMode {
		return // sparklines are cheap: drawn in render
	}
	if d.err != "" && len(d.series) == 0 {
		// The cell shows the error instead of a chart: drawing empty axes on every refresh of a
		// missing backend was the cockpit's largest cost of its own under a busy cluster.
		d.chart, d.chartKey = "", ""
		return
	}
	w, h := m.chartSize()
	pk := fmt.Sprintf("%dx%d|%d|%x|%d|%d|%d", w, h, m.ctx.Markers.Version, d.hash, d.start.Unix(), d.end.Unix(), m.cursor.UnixMilli())
	if pk == d.chartKey {
		return
	}
	var p sources.Panel
	for _, q := range m.panels {
		if q.ID == id {
			p = q
		}
	}
	if m.zoomed && m.panels[m.sel].ID != id {
		return
	}
	d.chartKey = pk
	if d.end.IsZero() {
		d.chart = ""
		return
	}
	d.chart = DrawChartAt(m.ctx.Styles, d.series, p.Unit, d.start, d.end, m.ctx.Markers.List, m.cursor, w, h, p.Thresholds...)
	d.Draws++
}

// View implements core.Pane.
func (m *Metrics) View() string {
	if !m.valid {
		m.cache = m.render()
		m.valid = true
	}
	return m.cache
}

func (m *Metrics) render() string {
	if m.w <= 0 || m.h <= 0 {
		return ""
	}
	cols, _, compactMode := m.layout()
	if compactMode {
		return m.renderCompact()
	}
	cw := m.w / cols
	var cells []string
	for i, p := range m.panels {
		if m.zoomed && i != m.sel {
			continue
		}
		cells = append(cells, m.renderCell(i, p, cw))
	}
	var rows []string
	for i := 0; i < len(cells); i += cols {
		row := cells[i:min(i+cols, len(cells))]
		rows = append(rows, joinColumns(row, cw))
	}
	return strings.Join(rows, "\n")
}

// renderCell is a title line (legend with latest values, min/max) above the cached chart.
func (m *Metrics) renderCell(i int, p sources.Panel, cw int) string {
	st := m.ctx.Styles
	d := m.data[p.ID]
	_, ch := m.chartSize()
	ts := st.Bold
	if m.focus && i == m.sel {
		ts = st.Selected
	}
	title := ts.Render(p.Title)
	var legend []string
	for j, s := range d.series {
		if len(s.Points) == 0 {
			continue
		}
		last := s.Points[len(s.Points)-1].V
		if !m.cursor.IsZero() {
			last = ValueAt(s, m.cursor)
		}
		ls := st.SeriesStyle(j)
		for _, th := range p.Thresholds {
			if j == 0 && last > th {
				ls = st.Warn // over a threshold: the latest value says so
			}
		}
		legend = append(legend, ls.Render("━ "+s.Name+" "+FormatValue(last, p.Unit)))
	}
	line := title + " " + strings.Join(legend, " ")
	if !m.cursor.IsZero() && len(legend) > 0 {
		line = title + st.Key.Render(" @"+m.cursor.Local().Format("15:04:05")) + " " + strings.Join(legend, " ")
	}
	if _, lo, hi, ok := stats(d.series); ok {
		line += st.Muted.Render(fmt.Sprintf("  min %s max %s", FormatValue(lo, p.Unit), FormatValue(hi, p.Unit)))
	}
	body := d.chart
	switch {
	case d.errKind == sources.ErrKindUnreachable && d.chart != "":
		line += st.Err.Render("  (unreachable: showing the last data)")
	case d.errKind == sources.ErrKindUnreachable:
		body = st.Warn.Render(core.Truncate(firstLine(d.err), cw-2))
	case d.errKind == sources.ErrKindNoSignal:
		body = st.Muted.Render(strings.Join(core.WrapWords("not found: "+d.err+" (:signals says what was looked for)", cw-2), "\n"))
	case d.errKind == sources.ErrKindNoBackend:
		body = st.Muted.Render(core.Truncate(strings.TrimPrefix(firstLine(d.err), sources.ErrNoBackend.Error()+": "), cw-2))
	case d.err != "":
		body = st.Err.Render(core.Truncate("query error: "+firstLine(d.err), cw-2))
	case d.end.IsZero():
		body = st.Muted.Render("waiting for data…")
	case len(d.series) == 0 || allEmpty(d.series):
		body = st.Muted.Render("no data in this window") + "\n" + body
	}
	lines := strings.Split(body, "\n")
	for len(lines) < ch {
		lines = append(lines, "")
	}
	return core.FitLine(line, cw-1) + "\n" + strings.Join(lines[:ch], "\n")
}

func allEmpty(ss []sources.Series) bool {
	for _, s := range ss {
		if len(s.Points) > 0 {
			return false
		}
	}
	return true
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// renderCompact draws one line per panel: title, sparkline, latest values.
func (m *Metrics) renderCompact() string {
	st := m.ctx.Styles
	sw, _ := m.chartSize()
	var out []string
	for i, p := range m.panels {
		if i >= m.h {
			break
		}
		d := m.data[p.ID]
		ts := st.Bold
		if m.focus && i == m.sel {
			ts = st.Selected
		}
		label := ts.Render(core.Pad(strings.Fields(p.Title + " ")[0], compactLabelW-1))
		var spark, vals string
		switch {
		case d.err != "":
			spark = st.Err.Render(core.Truncate("error: "+firstLine(d.err), sw))
		case len(d.series) > 0 && !d.end.IsZero():
			spark = Sparkline(st, d.series[0], d.start, d.end, m.ctx.Markers.List, sw, st.SeriesStyle(0))
			var vs []string
			for j, s := range d.series {
				if n := len(s.Points); n > 0 && (j == 0 || s.Points[n-1].V != 0) {
					val := s.Points[n-1].V
					if !m.cursor.IsZero() {
						val = ValueAt(s, m.cursor)
					}
					v := FormatValue(val, p.Unit)
					if j > 0 {
						v = s.Name + " " + v
					}
					vs = append(vs, st.SeriesStyle(j).Render(v))
				}
			}
			vals = strings.Join(vs, " ")
		default:
			spark = st.Muted.Render("waiting for data…")
		}
		out = append(out, label+" "+core.FitLine(spark, sw)+" "+vals)
	}
	return strings.Join(out, "\n")
}

// joinColumns puts cells side by side, each padded to width cw.
func joinColumns(cells []string, cw int) string {
	split := make([][]string, len(cells))
	h := 0
	for i, c := range cells {
		split[i] = strings.Split(c, "\n")
		h = max(h, len(split[i]))
	}
	var sb strings.Builder
	for y := 0; y < h; y++ {
		if y > 0 {
			sb.WriteByte('\n')
		}
		for i := range cells {
			line := ""
			if y < len(split[i]) {
				line = split[i][y]
			}
			sb.WriteString(core.FitLine(line, cw))
		}
	}
	return sb.String()
}

// ValueAt is a series' value at moment t: the last point at or before it (the first point when t is
// earlier than all of them; NaN for no points).
func ValueAt(s sources.Series, t time.Time) float64 {
	if len(s.Points) == 0 {
		return math.NaN()
	}
	i := sort.Search(len(s.Points), func(i int) bool { return s.Points[i].T.After(t) })
	if i == 0 {
		return s.Points[0].V
	}
	return s.Points[i-1].V
}
