package zipkin

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

	"github.com/gamedaylab/gameday/sources"
)

// stub answers Zipkin's API paths with canned bodies and remembers the queries (unit tests of one
// function each; the real server is in the testbed tests).
func stub(t *testing.T, answers map[string]func(url.Values) (int, string)) (*sync.Mutex, *[]url.Values, string) {
	var mu sync.Mutex
	var asked []url.Values
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.URL.Query())
		mu.Unlock()
		f := answers[r.URL.Path]
		if f == nil {
			http.NotFound(w, r)
			return
		}
		code, body := f(r.URL.Query())
		w.WriteHeader(code)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(s.Close)
	return &mu, &asked, s.URL
}

const oneTrace = `[[{"traceId":"0123456789abcdef0123456789abcdef","id":"0123456789abcdef","name":"get /","timestamp":1700000000000000,"duration":1200,"localEndpoint":{"serviceName":"web"},"tags":{"error":"500"}},{"traceId":"0123456789abcdef0123456789abcdef","parentId":"0123456789abcdef","id":"1123456789abcdef","name":"db","timestamp":1700000000000100,"duration":300,"kind":"CLIENT","localEndpoint":{"serviceName":"db"}}],
[{"traceId":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","id":"aaaaaaaaaaaaaaaa","name":"get /late","timestamp":1700000100000000,"duration":50,"localEndpoint":{"serviceName":"web"}}]]`

func TestNewZipkinRefusesNonURLs(t *testing.T) {
	for _, u := range []string{"", "zipkin:9411", "ftp://z", "http://"} {
		if _, err := NewZipkin(u); err == nil || !strings.Contains(err.Error(), "--zipkin-url") {
			t.Errorf("NewZipkin(%q): %v", u, err)
		}
	}
	z, err := NewZipkin("http://zipkin:9411/")
	if err != nil || z.Name() != "zipkin zipkin:9411" {
		t.Fatalf("%v %v", z, err)
	}
}

// TestRecentAsksAsTheFilterSays: the pane's filter becomes Zipkin's query (service and span names
// lowercased as zipkin-go reports them, microseconds, error annotation, window, limit); traces come
// newest first, summarized (an error tag marks the trace).
func TestRecentAsksAsTheFilterSays(t *testing.T) {
	mu, asked, u := stub(t, map[string]func(url.Values) (int, string){"/api/v2/traces": func(url.Values) (int, string) { return 200, oneTrace }})
	z, _ := NewZipkin(u)
	end := time.UnixMilli(1700000200000)
	list, err := z.Recent(context.Background(), sources.TraceQuery{Service: "Web", SpanName: "GET /", MinDuration: 200 * time.Millisecond, ErrorsOnly: true, Lookback: time.Minute, End: end, Limit: 7})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	q := (*asked)[0]
	mu.Unlock()
	want := url.Values{"serviceName": {"web"}, "spanName": {"get /"}, "minDuration": {"200000"}, "annotationQuery": {"error"},
		"endTs": {"1700000200000"}, "lookback": {"60000"}, "limit": {"7"}}
	for k, v := range want {
		if q.Get(k) != v[0] {
			t.Errorf("%s=%q, want %q", k, q.Get(k), v[0])
		}
	}
	if len(list) != 2 || list[0].Root != "get /late" || !list[1].Error || list[1].Spans != 2 || list[1].Service != "web" {
		t.Fatalf("list %+v", list)
	}
	if _, err := z.Recent(context.Background(), sources.TraceQuery{}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	q = (*asked)[1]
	mu.Unlock()
	if q.Get("lookback") != "900000" || q.Get("limit") != "100" || q.Has("serviceName") {
		t.Fatalf("defaults: %v", q)
	}
}

// TestZipkinErrorsSayWhoseFault: a 5xx or a closed port is unreachable (the poller backs off); a 400
// is Zipkin's message; a trace id that is not hex is refused before asking; a body that is not
// traces is an error, never a panic.
func TestZipkinErrorsSayWhoseFault(t *testing.T) {
	_, _, u := stub(t, map[string]func(url.Values) (int, string){
		"/api/v2/traces": func(q url.Values) (int, string) {
			if q.Get("serviceName") == "busy" {
				return 503, "busy"
			}
			if q.Get("serviceName") == "junk" {
				return 200, `{"not":"traces"}`
			}
			return 400, "endTs should be positive\nmore"
		},
		"/api/v2/services": func(url.Values) (int, string) { return 200, `["a","b"]` },
		"/api/v2/spans":    func(url.Values) (int, string) { return 200, `["get /","db"]` },
	})
	z, _ := NewZipkin(u)
	ctx := context.Background()
	if _, err := z.Recent(ctx, sources.TraceQuery{Service: "busy"}); !sources.IsUnreachable(err) {
		t.Errorf("503: %v", err)
	}
	if _, err := z.Recent(ctx, sources.TraceQuery{Service: "x"}); err == nil || sources.IsUnreachable(err) || !strings.Contains(err.Error(), "endTs should be positive") || strings.Contains(err.Error(), "more") {
		t.Errorf("400: %v", err)
	}
	if _, err := z.Recent(ctx, sources.TraceQuery{Service: "junk"}); err == nil {
		t.Error("a body that is not traces: no error")
	}
	if _, err := z.Trace(ctx, "not-hex"); err == nil || !strings.Contains(err.Error(), "not-hex") {
		t.Errorf("bad id: %v", err)
	}
	if _, err := z.Trace(ctx, "0123456789abcdef"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("unknown trace: %v", err)
	}
	if s, err := z.Services(ctx); err != nil || len(s) != 2 {
		t.Errorf("services %v %v", s, err)
	}
	if s, err := z.SpanNames(ctx, "Web"); err != nil || len(s) != 2 {
		t.Errorf("span names %v %v", s, err)
	}
	if _, err := z.SpanNames(ctx, ""); err == nil {
		t.Error("span names of no service: no error")
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	c, _ := NewZipkin(closed.URL)
	if _, err := c.Services(ctx); !sources.IsUnreachable(err) {
		t.Errorf("closed port: %v", err)
	}
}
