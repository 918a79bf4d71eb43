package panes

import (
	"testing"
	"time"

	zmodel "github.com/openzipkin/zipkin-go/model"

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

// BenchmarkLogsIngest feeds the logs pane as the tail does (batches of 500 lines) and renders a frame
// after each batch; it reports lines per second. The ring keeps memory bounded (LogCapacity lines).
func BenchmarkLogsIngest(b *testing.B) {
	ctx := testCtx()
	l := NewLogs(ctx, "", nil)
	l.SetSize(120, 30)
	end := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	batch := make([]sources.LogLine, 500)
	for i := range batch {
		batch[i] = sources.LogLine{Time: end, Namespace: "ns", Pod: "web-5d8f9c7b6-x2k9p", Level: []string{"info", "warn", "error"}[i%3],
			Msg: "GET /api/work 200", TraceID: "0123456789abcdef", Seq: uint64(i)}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.Update(sources.LogsMsg{Lines: batch})
		_ = l.View()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "lines/s")
	if l.n > LogCapacity {
		b.Fatalf("ring grew to %d", l.n)
	}
}

// BenchmarkWaterfall500 renders the waterfall of a 500-span trace (tree order, bars, the selected span).
func BenchmarkWaterfall500(b *testing.B) {
	ctx := testCtx()
	f := &fetcher{}
	ctx.Fetch = f
	tr := NewTraces(ctx, "", sources.TraceQuery{}, nil)
	tr.SetSize(140, 40)
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	spans := make([]zmodel.SpanModel, 500)
	for i := range spans {
		sp := zmodel.SpanModel{SpanContext: zmodel.SpanContext{TraceID: zmodel.TraceID{Low: 1}, ID: zmodel.ID(i + 1)},
			Name: "span", Timestamp: start.Add(time.Duration(i) * time.Millisecond), Duration: time.Duration(500-i) * time.Millisecond,
			LocalEndpoint: &zmodel.Endpoint{ServiceName: []string{"web", "api", "db"}[i%3]}, Tags: map[string]string{"k": "v"}}
		if i > 0 {
			p := zmodel.ID((i-1)/3 + 1) // a tree three wide
			sp.ParentID = &p
		}
		spans[i] = sp
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tr.Update(core.OpenTraceMsg{TraceID: "1"})
		tr.Update(sources.TraceMsg{TraceID: "1", Spans: spans, Asked: f.last})
		_ = tr.View()
	}
}
