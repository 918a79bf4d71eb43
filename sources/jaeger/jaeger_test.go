package jaeger

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	zmodel "github.com/openzipkin/zipkin-go/model"

	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/testbed"
	"github.com/gamedaylab/gameday/tui/panes"
)

func TestMain(m *testing.M) { os.Exit(testbed.Main(m)) }

// TestJaegerListsSearchesAndOpensTraces (issue 28): two real demo app processes (frontend ->
// backend, zipkin-go, B3) send their spans to a real Jaeger v2's Zipkin intake; read back through
// Jaeger's query API, the pane's list has whole traces with both services, the errors-only search
// lists only failed requests, a span name search only that operation, and a trace opens as a
// waterfall whose every child lies within its parent.
func TestJaegerListsSearchesAndOpensTraces(t *testing.T) {
	js := testbed.StartJaeger(t)
	backend := testbed.StartDemoapp(t, "backend", "--zipkin", js.Zipkin, "--work-ms", "3")
	frontend := testbed.StartDemoapp(t, "frontend", "--zipkin", js.Zipkin, "--downstream", "http://"+backend.Addr, "--work-ms", "1")
	get := func(path string) {
		r, err := http.Get("http://" + frontend.Addr + path)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
	}
	for i := 0; i < 5; i++ {
		get("/api/work?latency_ms=5")
	}
	for i := 0; i < 2; i++ {
		get("/api/work?fail=1")
	}
	j, err := New(js.URL)
	if err != nil {
		t.Fatal(err)
	}
	var list []sources.TraceSummary
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		list, err = j.Recent(context.Background(), sources.TraceQuery{Service: "frontend", Lookback: time.Minute, Limit: 20})
		if err != nil && !sources.IsUnreachable(err) {
			t.Fatal(err)
		}
		whole := 0
		for _, s := range list {
			if strings.Contains(strings.Join(s.Services, ","), "backend") && s.Spans >= 4 {
				whole++
			}
		}
		if whole >= 7 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("traces did not reach Jaeger whole: %+v, err %v", list, err)
		}
	}
	errs, err := j.Recent(context.Background(), sources.TraceQuery{Service: "frontend", Lookback: time.Minute, Limit: 20, ErrorsOnly: true})
	if err != nil || len(errs) != 2 || !errs[0].Error || !errs[1].Error {
		t.Fatalf("errors only: %+v, %v; want the 2 failed requests", errs, err)
	}
	names, err := j.SpanNames(context.Background(), "frontend")
	if err != nil || len(names) == 0 {
		t.Fatalf("span names: %v, %v", names, err)
	}
	byName, err := j.Recent(context.Background(), sources.TraceQuery{Service: "frontend", SpanName: list[0].Root, Lookback: time.Minute, Limit: 20})
	if err != nil || len(byName) == 0 || slices.ContainsFunc(byName, func(s sources.TraceSummary) bool { return s.Root != list[0].Root }) {
		t.Fatalf("by span name %q: %+v, %v", list[0].Root, byName, err)
	}
	slow, err := j.Recent(context.Background(), sources.TraceQuery{Service: "frontend", MinDuration: time.Hour, Lookback: time.Minute})
	if err != nil || len(slow) != 0 {
		t.Fatalf("traces over an hour: %+v, %v", slow, err)
	}
	tr, err := j.Trace(context.Background(), list[0].TraceID)
	if err != nil || len(tr) != list[0].Spans {
		t.Fatalf("trace %s: %d spans, %v; listed with %d", list[0].TraceID, len(tr), err, list[0].Spans)
	}
	ordered, depth := panes.SpanTree(tr)
	if len(ordered) != len(tr) || depth[0] != 0 || slices.Max(depth) < 1 {
		t.Fatalf("waterfall of %d spans: %d ordered, depths %v", len(tr), len(ordered), depth)
	}
	byID := map[zmodel.ID]zmodel.SpanModel{}
	for _, sp := range ordered {
		byID[sp.ID] = sp
	}
	kinds := map[zmodel.Kind]bool{}
	for _, sp := range ordered {
		kinds[sp.Kind] = true
		if sp.LocalEndpoint == nil || sp.LocalEndpoint.ServiceName == "" {
			t.Fatalf("span %s has no service", sp.Name)
		}
		if sp.ParentID == nil {
			continue
		}
		p, ok := byID[*sp.ParentID]
		if !ok {
			t.Fatalf("span %s has a missing parent", sp.Name)
		}
		if sp.Timestamp.Before(p.Timestamp.Add(-time.Millisecond)) || sp.Timestamp.Add(sp.Duration).After(p.Timestamp.Add(p.Duration+time.Millisecond)) {
			t.Fatalf("span %s [%s +%s] is outside its parent %s [%s +%s]", sp.Name, sp.Timestamp, sp.Duration, p.Name, p.Timestamp, p.Duration)
		}
	}
	if !kinds[zmodel.Server] || !kinds[zmodel.Client] {
		t.Fatalf("span kinds %v: want SERVER and CLIENT", kinds)
	}
	if _, err := j.Trace(context.Background(), "0123456789abcdef0123456789abcdef"); err == nil {
		t.Fatal("an unknown trace: no error")
	}
	t.Logf("Jaeger: %d traces listed, %d failed, %d span names, trace of %d spans", len(list), len(errs), len(names), len(tr))
}
