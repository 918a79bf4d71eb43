package panes

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"time"

	"github.com/NimbleMarkets/ntcharts/v2/canvas"
	"github.com/NimbleMarkets/ntcharts/v2/linechart"
	tslc "github.com/NimbleMarkets/ntcharts/v2/linechart/timeserieslinechart"

	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/themes"
	"github.com/gamedaylab/gameday/tui/core"
)

// FormatValue prints a value in a panel's unit, short enough for an axis label.
func FormatValue(v float64, unit string) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	switch unit {
	case "s":
		switch {
		case v == 0:
			return "0"
		case v < 0.001:
			return fmt.Sprintf("%.0fµs", v*1e6)
		case v < 1:
			return fmt.Sprintf("%.0fms", v*1000)
		}
		return fmt.Sprintf("%.2gs", v)
	case "%":
		if v < 10 && v != 0 {
			return fmt.Sprintf("%.1f%%", v)
		}
		return fmt.Sprintf("%.0f%%", v)
	case "req/s":
		return compact(v) + "/s"
	case "bytes":
		units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
		i := 0
		for v >= 1024 && i < len(units)-1 {
			v /= 1024
			i++
		}
		return fmt.Sprintf("%.3g%s", v, units[i])
	}
	return compact(v)
}

func compact(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e6:
		return fmt.Sprintf("%.3gM", v/1e6)
	case a >= 1e4:
		return fmt.Sprintf("%.0fk", v/1e3)
	case a >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	case a >= 10 || a == 0:
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2g", v)
}

// niceMax rounds a maximum up to 1, 2 or 5 times a power of ten, so axes read well.
func niceMax(v float64, unit string) float64 {
	if unit == "count" {
		// Whole numbers on three axis intervals: 3, 6, 9, 12...
		return 3 * math.Max(1, math.Ceil(v*1.15/3))
	}
	if v <= 0 || math.IsNaN(v) {
		return 1
	}
	v *= 1.1
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// seriesHash identifies a panel's data: an unchanged hash means no redraw.
func seriesHash(series []sources.Series, err string) uint64 {
	h := fnv.New64a()
	for _, s := range series {
		h.Write([]byte(s.Name))
		for _, p := range s.Points {
			var b [16]byte
			u := uint64(p.T.UnixNano())
			v := math.Float64bits(p.V)
			for i := 0; i < 8; i++ {
				b[i], b[8+i] = byte(u>>(8*i)), byte(v>>(8*i))
			}
			h.Write(b[:])
		}
	}
	if err != "" {
		h.Write([]byte(err))
	}
	return h.Sum64()
}

// stats of the first series: latest, min and max.
func stats(series []sources.Series) (last, lo, hi float64, ok bool) {
	if len(series) == 0 || len(series[0].Points) == 0 {
		return 0, 0, 0, false
	}
	pts := series[0].Points
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		lo, hi = math.Min(lo, p.V), math.Max(hi, p.V)
	}
	return pts[len(pts)-1].V, lo, hi, true
}

// DrawChart renders a braille time-series chart of w x h with labelled action markers. It is the
// expensive part of the metrics pane (ntcharts renders cell by cell), so callers cache the result.
func DrawChart(st *themes.Styles, series []sources.Series, unit string, start, end time.Time, markers []core.Marker, w, h int, thresholds ...float64) string {
	return DrawChartAt(st, series, unit, start, end, markers, time.Time{}, w, h, thresholds...)
}

// DrawChartAt is DrawChart with the graphs' cursor at a moment (none when zero): a line over the
// chart's empty cells, so the data at the moment stays visible.
func DrawChartAt(st *themes.Styles, series []sources.Series, unit string, start, end time.Time, markers []core.Marker, cursor time.Time, w, h int, thresholds ...float64) string {
	if w < 10 || h < 3 {
		return ""
	}
	ymax := 0.0
	for _, s := range series {
		for _, p := range s.Points {
			ymax = math.Max(ymax, p.V)
		}
	}
	for _, th := range thresholds {
		ymax = math.Max(ymax, th)
	}
	ymax = niceMax(ymax, unit)
	if unit == "%" && ymax > 100 && ymax < 120 {
		ymax = 100
	}
	xfmt := func(_ int, v float64) string { return time.Unix(int64(v), 0).Format("15:04") }
	yfmt := func(_ int, v float64) string { return FormatValue(v, unit) }
	ch := tslc.New(w, h,
		tslc.WithTimeRange(start, end),
		tslc.WithYRange(0, ymax),
		tslc.WithXLabelFormatter(linechart.LabelFormatter(xfmt)),
		tslc.WithYLabelFormatter(linechart.LabelFormatter(yfmt)),
		tslc.WithXYSteps(3, 2),
		tslc.WithAxesStyles(st.Muted.Style, st.Muted.Style),
	)
	ch.SetViewTimeAndYRange(start, end, 0, ymax)
	names := make([]string, 0, len(series))
	for i, s := range series {
		if len(s.Points) == 0 {
			continue
		}
		name := fmt.Sprintf("%02d", i) // draw order = series order
		names = append(names, name)
		ch.SetDataSetStyle(name, st.SeriesStyle(i).Style)
		for _, p := range s.Points {
			ch.PushDataSet(name, tslc.TimePoint{Time: p.T, Value: math.Min(p.V, ymax)})
		}
	}
	if len(names) > 0 {
		ch.DrawBrailleDataSets(names)
	} else {
		ch.DrawXYAxisAndLabel()
	}
	drawThresholds(&ch, st, ymax, thresholds)
	drawMarkers(&ch, st, start, end, markers)
	if x, ok := CursorColumn(&ch, start, end, cursor); ok {
		for y := 0; y < ch.Origin().Y; y++ {
			if p := (canvas.Point{X: x, Y: y}); empty(ch.Canvas.Cell(p).Rune) {
				ch.Canvas.SetCell(p, canvas.NewCellWithStyle('┃', st.Key.Style))
			}
		}
	}
	return ch.View()
}

// CursorColumn is the canvas column of moment t, as markers are placed.
func CursorColumn(ch *tslc.Model, start, end, t time.Time) (int, bool) {
	span := end.Sub(start)
	if t.IsZero() || span <= 0 || t.Before(start) || t.After(end) {
		return 0, false
	}
	return ch.Origin().X + 1 + int(float64(ch.GraphWidth()-1)*float64(t.Sub(start))/float64(span)), true
}

func drawMarkers(ch *tslc.Model, st *themes.Styles, start, end time.Time, markers []core.Marker) {
	span := end.Sub(start)
	if span <= 0 {
		return
	}
	x0 := ch.Origin().X + 1
	gw := ch.GraphWidth()
	// Labels that would overlap go one row lower (three rows at most).
	lastLabelEnd := []int{-1, -1, -1}
	var xs []int
	var labels []string
	col := func(t time.Time) int { return x0 + int(float64(gw-1)*float64(t.Sub(start))/float64(span)) }
	// Windows first (a fault from its injection to its end), shaded in the empty cells only.
	for _, m := range markers {
		if m.Span == "" {
			continue
		}
		until := m.Until
		if m.Open || until.After(end) {
			until = end
		}
		if until.Before(start) || m.T.After(end) {
			continue
		}
		from := m.T
		if from.Before(start) {
			from = start
		}
		for x := col(from) + 1; x <= col(until); x++ {
			for y := 0; y < ch.Origin().Y; y++ {
				if p := (canvas.Point{X: x, Y: y}); empty(ch.Canvas.Cell(p).Rune) {
					ch.Canvas.SetCell(p, canvas.NewCellWithStyle(shade, st.Muted.Style))
				}
			}
		}
	}
	for _, m := range markers {
		if m.T.Before(start) || m.T.After(end) {
			continue
		}
		x := col(m.T)
		for y := 0; y < ch.Origin().Y; y++ {
			// Under the data: the line fills empty cells only, so a burst it marks stays visible.
			if p := (canvas.Point{X: x, Y: y}); empty(ch.Canvas.Cell(p).Rune) {
				ch.Canvas.SetCell(p, canvas.NewCellWithStyle('│', st.Marker.Style))
			}
		}
		xs, labels = append(xs, x), append(labels, m.Label)
	}
	// Labels after all lines, so a nearby marker's line never cuts a label. A label goes right of its
	// line (left of it near the right edge), one row lower when it would overlap the previous one.
	for i, x := range xs {
		label := []rune(labels[i])
		if len(label) > gw {
			label = label[:gw]
		}
		lx := x + 1
		if lx+len(label) > x0+gw {
			lx = x - len(label) // left of the line: a label never leaves its chart
		}
		if lx < x0 {
			continue
		}
		for row := 0; row < len(lastLabelEnd) && row < ch.Origin().Y; row++ {
			if lx <= lastLabelEnd[row] || !blank(ch, lx, row, len(label)) {
				continue // overlaps a label or the data: try a row lower
			}
			for j, r := range label {
				ch.Canvas.SetCell(canvas.Point{X: lx + j, Y: row}, canvas.NewCellWithStyle(r, st.Marker.Style))
			}
			lastLabelEnd[row] = lx + len(label)
			break
		}
	}
}

// shade fills a fault's window on the charts.
const shade = '░'

func empty(r rune) bool {
	return r == 0 || r == ' ' || r == '│' || r == '┄' || r == '┃' || r == shade
}

// blank reports whether n cells from (x, y) hold no data (marker lines and thresholds may go).
func blank(ch *tslc.Model, x, y, n int) bool {
	for i := 0; i < n; i++ {
		if !empty(ch.Canvas.Cell(canvas.Point{X: x + i, Y: y}).Rune) {
			return false
		}
	}
	return true
}

var sparkRunes = []rune("▁▂▃▄▅▆▇█")

// Sparkline draws the first series as one row of block characters, w wide, with marker columns.
func Sparkline(st *themes.Styles, s sources.Series, start, end time.Time, markers []core.Marker, w int, style themes.Style) string {
	if w <= 0 {
		return ""
	}
	buckets := make([]float64, w)
	counts := make([]int, w)
	span := end.Sub(start)
	if span <= 0 {
		return strings.Repeat(" ", w)
	}
	hi := 0.0
	for _, p := range s.Points {
		i := int(float64(w-1) * float64(p.T.Sub(start)) / float64(span))
		if i < 0 || i >= w {
			continue
		}
		buckets[i] += p.V
		counts[i]++
	}
	for i := range buckets {
		if counts[i] > 0 {
			buckets[i] /= float64(counts[i])
			hi = math.Max(hi, buckets[i])
		}
	}
	mark := make([]bool, w)
	for _, m := range markers {
		if m.T.Before(start) || m.T.After(end) {
			continue
		}
		mark[int(float64(w-1)*float64(m.T.Sub(start))/float64(span))] = true
	}
	var sb strings.Builder
	run := strings.Builder{}
	flush := func() {
		if run.Len() > 0 {
			sb.WriteString(style.Render(run.String()))
			run.Reset()
		}
	}
	for i := 0; i < w; i++ {
		r := ' '
		if counts[i] > 0 {
			idx := 0
			if hi > 0 {
				idx = int(math.Round(buckets[i] / hi * float64(len(sparkRunes)-1)))
			}
			r = sparkRunes[idx]
		}
		if mark[i] {
			// A marker colours its sample, it does not replace it (at 80 columns a cell is a minute).
			flush()
			if r == ' ' {
				r = '┃'
			}
			sb.WriteString(st.Marker.Render(string(r)))
			continue
		}
		run.WriteRune(r)
	}
	flush()
	return sb.String()
}

// drawThresholds draws a dotted line at each threshold, on empty cells only (data stays visible).
func drawThresholds(ch *tslc.Model, st *themes.Styles, ymax float64, thresholds []float64) {
	gh := ch.Origin().Y
	for _, th := range thresholds {
		if th <= 0 || th > ymax || gh <= 0 {
			continue
		}
		y := gh - 1 - int(math.Round(th/ymax*float64(gh-1)))
		for x := ch.Origin().X + 1; x < ch.Origin().X+1+ch.GraphWidth(); x++ {
			p := canvas.Point{X: x, Y: y}
			if r := ch.Canvas.Cell(p).Rune; r == 0 || r == ' ' {
				ch.Canvas.SetCell(p, canvas.NewCellWithStyle('┄', st.Warn.Style))
			}
		}
	}
}

// asErr turns an event's error text back into an error for a pane's own error field.
func asErr(s string) error {
	if s == "" {
		return nil
	}
	return errors.New(s)
}

// errLine is a signal pane's error line; "no such backend" (nothing configured or found) is a state
// to read, not an error, so it is muted and said without the prefix.
func errLine(st *themes.Styles, err error, w int) string {
	text := firstLine(err.Error())
	if rest, ok := strings.CutPrefix(text, sources.ErrNoBackend.Error()+": "); ok {
		return st.Muted.Render(core.Truncate(rest, w))
	}
	return st.Err.Render(core.Truncate("error: "+text, w))
}
