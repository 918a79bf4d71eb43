package sources

import (
	"testing"
	"time"

	zmodel "github.com/openzipkin/zipkin-go/model"
)

// TestRootOfATraceWhoseCallerReportedNothing: gameday's load (like many clients) passes a trace id and
// a span id of its own without reporting that span, so the server's span has a parent the backend
// does not hold. The row names the server's span as the root, not its child.
func TestRootOfATraceWhoseCallerReportedNothing(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 19, 0, 0, 0, time.UTC)
	tid := zmodel.TraceID{High: 1, Low: 2}
	caller, server, work := zmodel.ID(7), zmodel.ID(8), zmodel.ID(9)
	spans := []zmodel.SpanModel{
		{SpanContext: zmodel.SpanContext{TraceID: tid, ID: work, ParentID: &server}, Name: "work", Timestamp: t0.Add(time.Millisecond), Duration: 150 * time.Millisecond},
		{SpanContext: zmodel.SpanContext{TraceID: tid, ID: server, ParentID: &caller}, Name: "get /api/work", Timestamp: t0, Duration: 152 * time.Millisecond,
			LocalEndpoint: &zmodel.Endpoint{ServiceName: "web"}},
	}
	if s := SummarizeTrace(spans); s.Root != "get /api/work" || s.Service != "web" || s.Duration != 152*time.Millisecond {
		t.Fatalf("summary %+v", s)
	}
	// With a real root, it is the root.
	spans[1].ParentID = nil
	if s := SummarizeTrace(spans); s.Root != "get /api/work" {
		t.Fatalf("summary %+v", s)
	}
}
