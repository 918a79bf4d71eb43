package panes

import (
	"testing"
	"time"

	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/themes"
	"github.com/gamedaylab/gameday/tui/core"
)

func benchSeries(n int, end time.Time) []sources.Series {
	var out []sources.Series
	for s := 0; s < 2; s++ {
		ser := sources.Series{Name: "s"}
		for i := 0; i < n; i++ {
			ser.Points = append(ser.Points, sources.Point{T: end.Add(-time.Duration(n-i) * time.Second), V: float64(100 + (i*7+s*13)%50)})
		}
		out = append(out, ser)
	}
	return out
}

// BenchmarkChartRedraw is one 120x20 braille chart with two series of 600 points and markers.
func BenchmarkChartRedraw(b *testing.B) {
	st, _ := themes.Resolve("dark", false)
	end := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ser := benchSeries(600, end)
	markers := []core.Marker{{T: end.Add(-5 * time.Minute), Label: "kill"}, {T: end.Add(-2 * time.Minute), Label: "burst"}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = DrawChart(st, ser, "req/s", end.Add(-10*time.Minute), end, markers, 120, 20)
	}
}
