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
