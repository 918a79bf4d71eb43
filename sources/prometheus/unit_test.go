package prometheus

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/signals"
	"github.com/gamedaylab/gameday/sources"
)

// fakeAPI answers Prometheus' HTTP API paths with canned bodies and remembers what it was asked
// (unit tests of one function each; the real server is in the testbed tests).
type fakeAPI struct {
	mu      sync.Mutex
	asked   []*http.Request
	answers map[string]func(r *http.Request) (int, string)
}

func (a *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	a.mu.Lock()
	a.asked = append(a.asked, r)
	f := a.answers[r.URL.Path]
	a.mu.Unlock()
	if f == nil {
		http.NotFound(w, r)
		return
	}
	code, body := f(r)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	fmt.Fprint(w, body)
}

func serve(t *testing.T, answers map[string]func(r *http.Request) (int, string)) (*fakeAPI, string) {
	a := &fakeAPI{answers: answers}
	s := httptest.NewServer(a)
	t.Cleanup(s.Close)
	return a, s.URL
}

func ok(data string) func(*http.Request) (int, string) {
	return func(*http.Request) (int, string) { return 200, `{"status":"success","data":` + data + `}` }
}

func TestNewRefusesNonURLs(t *testing.T) {
	for _, u := range []string{"", "prometheus:9090", "://x", "/api"} {
		if _, err := New(Config{URL: u}); err == nil || !strings.Contains(err.Error(), "--prometheus-url") {
			t.Errorf("New(%q): %v", u, err)
		}
	}
	if _, err := New(Config{URL: "http://p:9090", BearerTokenFile: "/nonexistent/token"}); err == nil || !strings.Contains(err.Error(), "bearer token") {
		t.Errorf("a missing token file: %v", err)
	}
	b, err := New(Config{URL: "http://user:secret@p:9090/prom"})
	if err != nil || strings.Contains(b.Name(), "secret") || b.Name() != "prometheus http://p:9090/prom" {
		t.Errorf("name %q (credentials are never shown), %v", b.Name(), err)
	}
}

// TestExpandTemplates: $interval is four scrapes, or two steps when the graph's step is longer.
func TestExpandTemplates(t *testing.T) {
	b, _ := New(Config{URL: "http://p:9090", ScrapeInterval: 15 * time.Second})
	b.SetVars(Vars{Namespace: "shop", Workload: "web"})
	if got := b.Expand(`rate(x{namespace="$namespace",app="$workload"}[$interval])`, 10*time.Second); got != `rate(x{namespace="shop",app="web"}[1m])` {
		t.Error(got)
	}
	if got := b.Expand(`[$interval]`, 2*time.Minute); got != "[4m]" {
		t.Error(got)
	}
	d, _ := New(Config{URL: "http://p:9090"})
	if got := d.Expand(`[$interval]`, time.Second); got != "[1m]" {
		t.Errorf("default scrape interval 15 s: %s", got)
	}
}

// TestAuthHeaders: a token (from a file, trimmed) is sent as a bearer, else user and password as basic
// auth; neither is sent when none is configured.
func TestAuthHeaders(t *testing.T) {
	a, url := serve(t, map[string]func(*http.Request) (int, string){"/api/v1/query_range": ok(`{"resultType":"matrix","result":[]}`)})
	tok := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tok, []byte("s3cr3t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	panel := sources.Panel{Queries: []sources.PanelQuery{{Legend: "x", Expr: "up"}}}
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{URL: url, BearerTokenFile: tok}, "Bearer s3cr3t"},
		{Config{URL: url, Username: "u", Password: "p"}, "Basic dTpw"},
		{Config{URL: url}, ""},
	} {
		b, err := New(c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.QueryRange(context.Background(), panel, time.Now().Add(-time.Minute), time.Now(), 15*time.Second); err != nil {
			t.Fatal(err)
		}
		a.mu.Lock()
		got := a.asked[len(a.asked)-1].Header.Get("Authorization")
		a.mu.Unlock()
		if got != c.want {
			t.Errorf("Authorization %q, want %q", got, c.want)
		}
	}
}

// TestQueryRangeSeries: series come sorted and named by the legend (labels filled in, or appended to
// tell several apart); NaN and ±Inf points are gaps, not numbers; a query without series still names
// its line; an instant-vector answer is an error.
func TestQueryRangeSeries(t *testing.T) {
	_, url := serve(t, map[string]func(*http.Request) (int, string){"/api/v1/query_range": func(r *http.Request) (int, string) {
		switch r.Form.Get("query") {
		case "two":
			return ok(`{"resultType":"matrix","result":[
				{"metric":{"pod":"web-b"},"values":[[1700000000,"1"],[1700000015,"NaN"],[1700000030,"+Inf"],[1700000045,"2"]]},
				{"metric":{"pod":"web-a"},"values":[[1700000000,"3"]]}]}`)(r)
		case "none":
			return ok(`{"resultType":"matrix","result":[]}`)(r)
		}
		return ok(`{"resultType":"vector","result":[]}`)(r)
	}})
	b, _ := New(Config{URL: url})
	ctx, start, end := context.Background(), time.Unix(1700000000, 0), time.Unix(1700000060, 0)
	got, err := b.QueryRange(ctx, sources.Panel{Queries: []sources.PanelQuery{{Legend: "pod {{pod}}", Expr: "two"}, {Legend: "empty", Expr: "none"}}}, start, end, 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Name != "pod web-a" || got[1].Name != "pod web-b" || got[2].Name != "empty" || len(got[2].Points) != 0 {
		t.Fatalf("series %+v", got)
	}
	if p := got[1].Points; len(p) != 2 || p[0].V != 1 || p[1].V != 2 {
		t.Fatalf("web-b points %+v: NaN and Inf must be gaps", p)
	}
	got, _ = b.QueryRange(ctx, sources.Panel{Queries: []sources.PanelQuery{{Legend: "total", Expr: "two"}}}, start, end, 15*time.Second)
	if got[0].Name != `total {pod="web-a"}` {
		t.Fatalf("several unnamed series: %q", got[0].Name)
	}
	if _, err := b.QueryRange(ctx, sources.Panel{Queries: []sources.PanelQuery{{Legend: "v", Expr: "vec"}}}, start, end, 15*time.Second); err == nil || !strings.Contains(err.Error(), "range vector") {
		t.Fatalf("an instant vector: %v", err)
	}
}

// TestErrorsSayWhoseFault: a query Prometheus refuses is its message (shown in the panel, no
// backoff); a 503 or a closed port is unreachable (the poller backs off and says so).
func TestErrorsSayWhoseFault(t *testing.T) {
	_, url := serve(t, map[string]func(*http.Request) (int, string){"/api/v1/query_range": func(r *http.Request) (int, string) {
		if r.Form.Get("query") == "busy" {
			return 503, "Service Unavailable"
		}
		return 400, `{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected \")\""}`
	}})
	b, _ := New(Config{URL: url})
	q := func(expr string) error {
		_, err := b.QueryRange(context.Background(), sources.Panel{Queries: []sources.PanelQuery{{Legend: "x", Expr: expr}}}, time.Now().Add(-time.Minute), time.Now(), 15*time.Second)
		return err
	}
	if err := q("rate(x))"); err == nil || sources.IsUnreachable(err) || !strings.Contains(err.Error(), "parse error") {
		t.Errorf("bad PromQL: %v", err)
	}
	if err := q("busy"); !sources.IsUnreachable(err) {
		t.Errorf("503: %v", err)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	c, _ := New(Config{URL: closed.URL})
	if _, err := c.QueryRange(context.Background(), sources.Panel{Queries: []sources.PanelQuery{{Legend: "x", Expr: "up"}}}, time.Now().Add(-time.Minute), time.Now(), 15*time.Second); !sources.IsUnreachable(err) {
		t.Errorf("a closed port: %v", err)
	}
}

// TestDetectAsksLittle: detection asks the metric names near the target once, over DetectWindow,
// then the status label of http_requests_total, and resolves the client_golang convention with it;
// an unreachable Prometheus is an error naming the target.
func TestDetectAsksLittle(t *testing.T) {
	a, url := serve(t, map[string]func(*http.Request) (int, string){
		"/api/v1/label/__name__/values": ok(`["http_requests_total","http_request_duration_seconds_bucket","kube_deployment_status_replicas_ready"]`),
		"/api/v1/labels":                ok(`["__name__","namespace","pod","status"]`),
	})
	b, _ := New(Config{URL: url})
	now := time.Unix(1700000000, 0)
	tg := signals.Target{Namespace: "shop", Deployment: "web", ReplicaSets: []string{"web-7d4b9c8f6d"}}
	rs, f, err := b.Detect(context.Background(), tg, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.asked) > DetectQueries {
		t.Fatalf("%d queries, at most %d", len(a.asked), DetectQueries)
	}
	first := a.asked[0]
	if first.Form.Get("start") != fmt.Sprint(now.Add(-DetectWindow).Unix()) || len(first.Form["match[]"]) < 3 {
		t.Fatalf("the names query: %v", first.Form)
	}
	var rate signals.Resolution
	for _, r := range rs {
		if r.Signal == signals.Rate {
			rate = r
		}
	}
	if f.StatusLabel != "status" || rate.Convention != "client_golang http_requests_total" || !strings.Contains(rate.Query, `namespace="shop"`) {
		t.Fatalf("status label %q, rate %+v", f.StatusLabel, rate)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	c, _ := New(Config{URL: closed.URL})
	if _, _, err := c.Detect(context.Background(), tg, now); !sources.IsUnreachable(err) || !strings.Contains(err.Error(), "shop/web") {
		t.Fatalf("unreachable: %v", err)
	}
}
