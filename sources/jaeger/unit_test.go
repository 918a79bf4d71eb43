package jaeger

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	zmodel "github.com/openzipkin/zipkin-go/model"

	"github.com/gamedaylab/gameday/sources"
)

const twoTraces = `{"data":[
{"traceID":"0123456789abcdef0123456789abcdef","spans":[
 {"traceID":"0123456789abcdef0123456789abcdef","spanID":"0123456789abcdef","operationName":"get /","references":[],"startTime":1700000000000000,"duration":1200,
  "tags":[{"key":"span.kind","type":"string","value":"server"},{"key":"error","type":"bool","value":true},{"key":"http.status_code","type":"int64","value":500}],
  "logs":[{"timestamp":1700000000000100,"fields":[{"key":"event","type":"string","value":"retry"}]}],"processID":"p1"},
 {"traceID":"0123456789abcdef0123456789abcdef","spanID":"1123456789abcdef","operationName":"db","references":[{"refType":"CHILD_OF","traceID":"0123456789abcdef0123456789abcdef","spanID":"0123456789abcdef"}],
  "startTime":1700000000000100,"duration":300,"tags":[{"key":"span.kind","type":"string","value":"client"},{"key":"otel.status_code","type":"string","value":"OK"}],"processID":"p2"}],
 "processes":{"p1":{"serviceName":"web"},"p2":{"serviceName":"db"}}},
{"traceID":"aaaaaaaaaaaaaaaa","spans":[{"traceID":"aaaaaaaaaaaaaaaa","spanID":"aaaaaaaaaaaaaaaa","operationName":"get /late","startTime":1700000100000000,"duration":50,"processID":"p1"}],
 "processes":{"p1":{"serviceName":"web"}}}]}`

func stub(t *testing.T, answer func(path string, q url.Values) (int, string)) (*sync.Mutex, *[]url.Values, string) {
	var mu sync.Mutex
	var asked []url.Values
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.URL.Query())
		mu.Unlock()
		code, body := answer(r.URL.Path, r.URL.Query())
		w.WriteHeader(code)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(s.Close)
	return &mu, &asked, s.URL
}

func TestNewRefusesNonURLs(t *testing.T) {
	for _, u := range []string{"", "jaeger:16686", "ftp://j"} {
		if _, err := New(u); err == nil || !strings.Contains(err.Error(), "--jaeger-url") {
			t.Errorf("New(%q): %v", u, err)
		}
	}
}

// TestSpansAsZipkinModelsThem: a Jaeger trace becomes zipkin-go spans: service from its process,
// parent from the CHILD_OF reference, kind from span.kind, an error from Jaeger's error tag, logs as
// annotations; a 64-bit trace id is read too.
func TestSpansAsZipkinModelsThem(t *testing.T) {
	_, _, u := stub(t, func(string, url.Values) (int, string) { return 200, twoTraces })
	j, _ := New(u)
	spans, err := j.Trace(context.Background(), "0123456789abcdef0123456789abcdef")
	if err != nil || len(spans) != 2 {
		t.Fatalf("%d spans, %v", len(spans), err)
	}
	root, db := spans[0], spans[1]
	if root.LocalEndpoint.ServiceName != "web" || root.Kind != zmodel.Server || root.Tags["error"] != "true" || root.Tags["http.status_code"] != "500" ||
		root.Duration != 1200*time.Microsecond || len(root.Annotations) != 1 || root.Annotations[0].Value != "event=retry" || root.ParentID != nil {
		t.Fatalf("root %+v", root)
	}
	if db.ParentID == nil || *db.ParentID != root.ID || db.Kind != zmodel.Client || db.LocalEndpoint.ServiceName != "db" || db.Tags["error"] != "" {
		t.Fatalf("db %+v", db)
	}
}

// TestRecentAsksAsTheFilterSays: the filter becomes Jaeger's search (service, operation, minDuration,
// the window in microseconds, limit); errors only are picked from a wider search here; newest first.
func TestRecentAsksAsTheFilterSays(t *testing.T) {
	mu, asked, u := stub(t, func(string, url.Values) (int, string) { return 200, twoTraces })
	j, _ := New(u)
	end := time.UnixMicro(1700000200000000)
	list, err := j.Recent(context.Background(), sources.TraceQuery{Service: "web", SpanName: "get /", MinDuration: 200 * time.Millisecond, Lookback: time.Minute, End: end, Limit: 7})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	q := (*asked)[0]
	mu.Unlock()
	for k, v := range map[string]string{"service": "web", "operation": "get /", "minDuration": "200ms", "end": "1700000200000000", "start": "1700000140000000", "limit": "7"} {
		if q.Get(k) != v {
			t.Errorf("%s=%q, want %q", k, q.Get(k), v)
		}
	}
	if len(list) != 2 || list[0].Root != "get /late" || !list[1].Error {
		t.Fatalf("list %+v", list)
	}
	errs, _ := j.Recent(context.Background(), sources.TraceQuery{Service: "web", ErrorsOnly: true, Limit: 7})
	mu.Lock()
	q = (*asked)[1]
	mu.Unlock()
	if len(errs) != 1 || !errs[0].Error || q.Get("limit") != "500" || q.Has("tags") {
		t.Fatalf("errors only: %+v asked %v", errs, q)
	}
	if _, err := j.Recent(context.Background(), sources.TraceQuery{}); err == nil || !strings.Contains(err.Error(), "service") {
		t.Fatalf("no service: %v", err)
	}
}

// TestJaegerErrorsSayWhoseFault: Jaeger's error envelope is the message; a 5xx or a closed port is
// unreachable; an unknown or malformed trace id is an error.
func TestJaegerErrorsSayWhoseFault(t *testing.T) {
	_, _, u := stub(t, func(path string, q url.Values) (int, string) {
		switch {
		case path == "/api/services":
			return 200, `{"data":["web","db"]}`
		case strings.HasSuffix(path, "/operations"):
			return 200, `{"data":["get /"]}`
		case q.Get("service") == "busy":
			return 503, "busy"
		case strings.HasPrefix(path, "/api/traces/"):
			return 404, `{"data":null,"errors":[{"code":404,"msg":"trace not found"}]}`
		}
		return 400, `{"data":null,"errors":[{"code":400,"msg":"unable to parse param 'minDuration'"}]}`
	})
	j, _ := New(u)
	ctx := context.Background()
	if _, err := j.Recent(ctx, sources.TraceQuery{Service: "busy"}); !sources.IsUnreachable(err) {
		t.Errorf("503: %v", err)
	}
	if _, err := j.Recent(ctx, sources.TraceQuery{Service: "x"}); err == nil || sources.IsUnreachable(err) || !strings.Contains(err.Error(), "unable to parse param") {
		t.Errorf("400: %v", err)
	}
	if _, err := j.Trace(ctx, "0123456789abcdef"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("unknown trace: %v", err)
	}
	if _, err := j.Trace(ctx, "xyz"); err == nil {
		t.Error("a bad id: no error")
	}
	if s, err := j.Services(ctx); err != nil || len(s) != 2 || s[0] != "db" {
		t.Errorf("services %v %v", s, err)
	}
	if s, err := j.SpanNames(ctx, "web"); err != nil || len(s) != 1 {
		t.Errorf("operations %v %v", s, err)
	}
	if _, err := j.SpanNames(ctx, ""); err == nil {
		t.Error("operations of no service: no error")
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	c, _ := New(closed.URL)
	if _, err := c.Services(ctx); !sources.IsUnreachable(err) {
		t.Errorf("closed port: %v", err)
	}
}
