package zipkin

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

// TestSpansFromDemoappAndWaterfall: spans reported by two real demo app processes via zipkin-go
// (frontend -> backend, B3 propagation) reach the real Zipkin server, list in the pane's query, and the
// waterfall of a request has the right tree and timings.
func TestSpansFromDemoappAndWaterfall(t *testing.T) {
	zs := testbed.StartZipkin(t)
	spans := zs.URL + "/api/v2/spans"
	backend := testbed.StartDemoapp(t, "backend", "--zipkin", spans, "--work-ms", "3")
	frontend := testbed.StartDemoapp(t, "frontend", "--zipkin", spans, "--downstream", "http://"+backend.Addr, "--work-ms", "1")
	for i := 0; i < 5; i++ {
		r, err := http.Get("http://" + frontend.Addr + "/api/work?latency_ms=5")
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
	}
	z, err := NewZipkin(zs.URL)
	if err != nil {
		t.Fatal(err)
	}
	var list []sources.TraceSummary
	deadline := time.Now().Add(20 * time.Second)
	// Each demo app reports its spans on its own schedule: a trace can be listed before the backend's
	// spans of it arrived, so wait for whole traces, not just for five of them.
	complete := func() bool {
		return len(list) >= 5 && strings.Contains(strings.Join(list[0].Services, ","), "backend") && list[0].Spans >= 4
	}
	for !complete() {
		list, err = z.Recent(context.Background(), sources.TraceQuery{Service: "frontend", Lookback: time.Minute, Limit: 20})
		if err != nil && !sources.IsUnreachable(err) {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("traces did not reach Zipkin: %d listed, err %v", len(list), err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	s := list[0]
	if s.Service != "frontend" || !strings.Contains(strings.Join(s.Services, ","), "backend") || s.Spans < 4 {
		t.Fatalf("trace summary %+v: want frontend -> backend with at least 4 spans", s)
	}
	// /api/v2/services and /api/v2/spans: the filter's suggestions come from here, and filtering by one
	// of those names finds the traces again.
	svcs, err := z.Services(context.Background())
	if err != nil || !slices.Contains(svcs, "frontend") || !slices.Contains(svcs, "backend") {
		t.Fatalf("services %v (err %v): want frontend and backend", svcs, err)
	}
	names, err := z.SpanNames(context.Background(), "Frontend")
	if err != nil || !slices.Contains(names, strings.ToLower(s.Root)) {
		t.Fatalf("span names of frontend %v (err %v): want the root %q", names, err, s.Root)
	}
	if _, err := z.SpanNames(context.Background(), ""); err == nil {
		t.Fatal("span names without a service: want an error")
	}
	byName, err := z.Recent(context.Background(), sources.TraceQuery{Service: "frontend", SpanName: s.Root, Lookback: time.Minute, Limit: 20})
	if err != nil || len(byName) == 0 {
		t.Fatalf("filter by span name %q: %d traces, err %v", s.Root, len(byName), err)
	}
	none, err := z.Recent(context.Background(), sources.TraceQuery{Service: "frontend", SpanName: "no such span", Lookback: time.Minute, Limit: 20})
	if err != nil || len(none) != 0 {
		t.Fatalf("filter by an unknown span name: %d traces, err %v; want none", len(none), err)
	}
	tr, err := z.Trace(context.Background(), s.TraceID)
	if err != nil {
		t.Fatal(err)
	}
	ordered, depth := panes.SpanTree(tr)
	// frontend server span (root) > frontend client call > backend server span > backend work.
	maxDepth := 0
	for _, d := range depth {
		maxDepth = max(maxDepth, d)
	}
	if depth[0] != 0 || ordered[0].LocalEndpoint.ServiceName != "frontend" || maxDepth < 2 {
		t.Fatalf("tree: root %s, depths %v", ordered[0].Name, depth)
	}
	byID := map[zmodel.ID]zmodel.SpanModel{}
	for _, sp := range ordered {
		byID[sp.ID] = sp
	}
	for _, sp := range ordered {
		if sp.ParentID == nil {
			continue
		}
		p, ok := byID[*sp.ParentID]
		if !ok {
			t.Fatalf("span %s has a missing parent", sp.Name)
		}
		// Children lie within their parent in time (1 ms of clock slack between processes).
		if sp.Timestamp.Before(p.Timestamp.Add(-time.Millisecond)) || sp.Timestamp.Add(sp.Duration).After(p.Timestamp.Add(p.Duration+time.Millisecond)) {
			t.Fatalf("span %s [%s +%s] is outside its parent %s [%s +%s]", sp.Name, sp.Timestamp, sp.Duration, p.Name, p.Timestamp, p.Duration)
		}
	}
	if root := ordered[0]; root.Duration < 5*time.Millisecond {
		t.Fatalf("the root span %s lasts %s; the request waited 5 ms", root.Name, root.Duration)
	}
}

// TestZipkinOutageAndRecovery: Zipkin killed and restarted: the poller reports the outage with a
// retry delay and recovers by itself.
func TestZipkinOutageAndRecovery(t *testing.T) {
	zs := testbed.StartZipkin(t)
	z, err := NewZipkin(zs.URL)
	if err != nil {
		t.Fatal(err)
	}
	var in testbed.Inbox
	p := sources.NewTracesPoller(z, sources.TraceQuery{Service: "frontend", Lookback: time.Minute}, sources.WallClock{}, 300*time.Millisecond, in.Send)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go p.Run(ctx)
	wait := func(what string, ok func(any) bool, from int) int {
		t.Helper()
		return in.Wait(t, 60*time.Second, what, ok, from)
	}
	n := wait("first list", func(m any) bool { tm, ok := m.(sources.TracesMsg); return ok && tm.Err == "" }, 0)
	zs.Kill()
	n = wait("unreachable state", func(m any) bool {
		c, ok := m.(sources.ConnState)
		return ok && !c.OK && strings.Contains(c.Detail, "unreachable, retrying in")
	}, n)
	zs.Restart()
	wait("recovery", func(m any) bool { tm, ok := m.(sources.TracesMsg); return ok && tm.Err == "" }, n)
}
