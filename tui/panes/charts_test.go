package panes

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/themes"
	"github.com/gamedaylab/gameday/tui/core"
)

// flat is a series at v every 10 s over [start, end].
func flat(start, end time.Time, v float64) sources.Series {
	var s sources.Series
	for t := start; !t.After(end); t = t.Add(10 * time.Second) {
		s.Points = append(s.Points, sources.Point{T: t, V: v})
	}
	return s
}

// TestMarkersSitUnderTheData (issue 13 item 15): a marker's line does not replace the data it crosses,
// and a label near the right edge stays inside its chart. Before, the line cut through the data and the
// label ran past the chart.
func TestMarkersSitUnderTheData(t *testing.T) {
	st, _ := themes.Resolve("dark", false)
	end := time.Date(2026, 3, 14, 15, 0, 0, 0, time.UTC)
	start := end.Add(-30 * time.Minute)
	series := []sources.Series{flat(start, end, 50)}
	plain := ansi.Strip(DrawChart(st, series, "count", start, end, nil, 60, 10))
	marked := ansi.Strip(DrawChart(st, series, "count", start, end, []core.Marker{{T: start.Add(15 * time.Minute), Label: "burst"},
		{T: end.Add(-10 * time.Second), Label: "a long marker label"}}, 60, 10))
	pl, ml := strings.Split(plain, "\n"), strings.Split(marked, "\n")
	for i := range pl {
		pr, mr := []rune(pl[i]), []rune(ml[i])
		for j := range pr {
			if pr[j] >= 0x2800 && pr[j] <= 0x28FF && j < len(mr) && mr[j] != pr[j] {
				t.Fatalf("row %d col %d: data %q replaced by %q\n%s", i, j, pr[j], mr[j], marked)
			}
		}
		if w := ansi.StringWidth(ml[i]); w > 60 {
			t.Fatalf("row %d is %d wide, past the chart's 60:\n%s", i, w, marked)
		}
	}
	if !strings.Contains(marked, "burst") || !strings.Contains(marked, "a long marker label") {
		t.Fatalf("labels missing:\n%s", marked)
	}
}

// TestSparklineMarkerKeepsTheSample (issue 13 item 15): at 80x24 a sparkline cell is a minute; a marker
// colours it instead of replacing it.
func TestSparklineMarkerKeepsTheSample(t *testing.T) {
	st, _ := themes.Resolve("dark", false)
	end := time.Date(2026, 3, 14, 15, 0, 0, 0, time.UTC)
	start := end.Add(-10 * time.Minute)
	line := ansi.Strip(Sparkline(st, flat(start, end, 5), start, end, []core.Marker{{T: start.Add(5 * time.Minute), Label: "kill"}}, 10, st.Text))
	if strings.ContainsRune(line, '┃') || strings.Count(line, "█") != 10 {
		t.Fatalf("sparkline %q: the marker replaced a sample", line)
	}
}

// TestFaultWindowIsShaded (issue 15): a fault's window is shaded from its marker to its end, in the
// empty cells only: the data it crosses stays, nothing outside the window is shaded, and an open
// window (still active) runs to the chart's end.
func TestFaultWindowIsShaded(t *testing.T) {
	st, _ := themes.Resolve("dark", false)
	end := time.Date(2026, 3, 14, 15, 0, 0, 0, time.UTC)
	start := end.Add(-30 * time.Minute)
	series := []sources.Series{flat(start, end, 50)}
	plain := strings.Split(ansi.Strip(DrawChart(st, series, "count", start, end, nil, 60, 10)), "\n")
	cols := func(chart string) (first, last int) {
		first, last = -1, -1
		for _, row := range strings.Split(chart, "\n") {
			for j, r := range []rune(row) {
				if r == '░' {
					if first < 0 || j < first {
						first = j
					}
					last = max(last, j)
				}
			}
		}
		return first, last
	}
	closed := ansi.Strip(DrawChart(st, series, "count", start, end, []core.Marker{
		{T: start.Add(10 * time.Minute), Label: "fault", Span: "f1", Until: start.Add(20 * time.Minute)}}, 60, 10))
	open := ansi.Strip(DrawChart(st, series, "count", start, end, []core.Marker{
		{T: start.Add(10 * time.Minute), Label: "fault", Span: "f1", Open: true}}, 60, 10))
	cf, cl := cols(closed)
	of, ol := cols(open)
	// The plot is about 52 columns wide after the axis: ten minutes of thirty is about 17 of them.
	if cf < 0 || cl-cf < 12 || cl-cf > 20 || of != cf || ol < cl+12 {
		t.Fatalf("shaded columns: closed %d..%d, open %d..%d:\n%s\n%s", cf, cl, of, ol, closed, open)
	}
	for i, row := range strings.Split(closed, "\n") {
		pr, mr := []rune(plain[i]), []rune(row)
		for j := range pr {
			if pr[j] >= 0x2800 && pr[j] <= 0x28FF && j < len(mr) && mr[j] != pr[j] {
				t.Fatalf("row %d col %d: data %q replaced by %q\n%s", i, j, pr[j], mr[j], closed)
			}
		}
	}
}
