package prometheus

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/testbed"
	"github.com/gamedaylab/gameday/themes"
	"github.com/gamedaylab/gameday/tui/core"
	"github.com/gamedaylab/gameday/tui/keys"
	"github.com/gamedaylab/gameday/tui/panes"
)

func TestMain(m *testing.M) { os.Exit(testbed.Main(m)) }

const scrape = time.Second

func waitUp(t *testing.T, b *Backend, job string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		v, _, _, err := b.api.Query(context.Background(), fmt.Sprintf(`up{job=%q}`, job), time.Now())
		if err == nil && strings.Contains(v.String(), "=> 1") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("target never up: %v %v", v, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRequestRateFollowsTraffic: traffic sent to a real demoapp appears as the request-rate series
// of a real Prometheus within two scrape intervals, and its value is right within 10 %.
func TestRequestRateFollowsTraffic(t *testing.T) {
	_, app, b := scrapedDemoapp(t, "--work-ms", "0")
	rate := sources.DefaultPanels()[0]
	rate.Queries = rate.Queries[:1] // total

	latest := func() float64 {
		end := time.Now()
		ss, err := b.QueryRange(context.Background(), rate, end.Add(-time.Minute), end, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if len(ss) == 0 || len(ss[0].Points) == 0 {
			return 0
		}
		return ss[0].Points[len(ss[0].Points)-1].V
	}
	start := time.Now()
	testbed.Traffic(t, "http://"+app.Addr+"/api/work?cpu_ms=0", 40)
	var appeared time.Duration
	for appeared == 0 {
		if latest() > 0 {
			appeared = time.Since(start)
		}
		if time.Since(start) > 10*time.Second {
			t.Fatal("no request rate 10 s after the traffic started")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Two scrape intervals, plus the query itself.
	if appeared > 2*scrape+500*time.Millisecond {
		t.Fatalf("the rate appeared %s after the traffic, want within two scrape intervals (%s)", appeared, 2*scrape)
	}
	time.Sleep(7 * time.Second) // fill the rate window with steady traffic
	got := latest()
	if got < 36 || got > 44 {
		t.Fatalf("request rate %.1f/s, want 40 ± 10%%", got)
	}
	t.Logf("rate appeared after %s; steady value %.1f req/s for 40 sent", appeared.Round(time.Millisecond), got)
}

// TestBadQueryOutageAndRecovery: a bad PromQL shows Prometheus's error in that panel only; Prometheus
// killed mid-test is reported as unreachable with a retry delay, and the panels recover by themselves.
func TestBadQueryOutageAndRecovery(t *testing.T) {
	p, _, b := scrapedDemoapp(t)
	panels := []sources.Panel{sources.DefaultPanels()[0], {ID: "bad", Title: "Bad", Unit: "count",
		Queries: []sources.PanelQuery{{Legend: "x", Expr: `sum(rate(demoapp_http_requests_total[1m]`}}}}
	var in testbed.Inbox
	poller := sources.NewMetricsPoller(b, panels, sources.WallClock{}, 300*time.Millisecond, 5*time.Minute, in.Send)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go poller.Run(ctx)

	waitMsg := func(what string, ok func(any) bool) { t.Helper(); in.Wait(t, 20*time.Second, what, ok, 0) }
	waitMsg("error in the bad panel", func(m any) bool {
		mm, ok := m.(sources.MetricsMsg)
		return ok && mm.Panel == "bad" && mm.Err != "" && strings.Contains(mm.Err, "parse error")
	})
	waitMsg("the good panel without error", func(m any) bool {
		mm, ok := m.(sources.MetricsMsg)
		return ok && mm.Panel == sources.PanelRate && mm.Err == "" && len(mm.Series) > 0
	})

	p.Kill()
	waitMsg("unreachable state", func(m any) bool {
		c, ok := m.(sources.ConnState)
		return ok && !c.OK && strings.Contains(c.Detail, "unreachable, retrying in")
	})
	n := len(in.All())
	p.Restart()
	// Both must follow the restart: the connection is reported up, and the rate panel has data again.
	in.Wait(t, 40*time.Second, "reconnection after the restart", func(m any) bool {
		c, ok := m.(sources.ConnState)
		return ok && c.OK
	}, n)
	in.Wait(t, 40*time.Second, "the rate panel after the restart", func(m any) bool {
		mm, ok := m.(sources.MetricsMsg)
		return ok && mm.Panel == sources.PanelRate && mm.Err == ""
	}, n)
}

// fixtureStart is the fixed time of the golden fixture's first sample.
var fixtureStart = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

// writeFixture writes 10 minutes of deterministic samples in OpenMetrics: a request counter whose
// rate steps up at minute 4 (a burst) and errors during minutes 6-7 (a kill), and a latency histogram.
func writeFixture(t *testing.T, path string) {
	t.Helper()
	var b strings.Builder
	lbl := `namespace="gameday",app="web",route="/api/work",method="GET"`
	b.WriteString("# TYPE demoapp_http_requests counter\n")
	for _, code := range []string{"200", "500"} {
		total := 0.0
		for s := 0; s <= 600; s += 5 {
			rate := 50.0
			if s >= 240 {
				rate = 150
			}
			if code == "500" {
				rate = 0
				if s >= 360 && s < 420 {
					rate = 12
				}
			}
			total += rate * 5
			fmt.Fprintf(&b, "demoapp_http_requests_total{%s,code=%q} %g %d\n", lbl, code, total, fixtureStart.Unix()+int64(s))
		}
	}
	b.WriteString("# TYPE demoapp_http_request_duration_seconds histogram\n")
	buckets := []string{"0.01", "0.025", "0.05", "0.1", "0.25", "+Inf"}
	// Histograms are written series by series, each in time order.
	acc := map[string]float64{}
	for _, le := range buckets {
		acc[le] = 0
		for s := 0; s <= 600; s += 5 {
			i := indexOf(buckets, le)
			share := []float64{0.3, 0.6, 0.85, 0.95, 0.99, 1}[i]
			if s >= 240 {
				share = []float64{0.1, 0.3, 0.6, 0.8, 0.95, 1}[i]
			}
			acc[le] += share * 250
			fmt.Fprintf(&b, "demoapp_http_request_duration_seconds_bucket{namespace=\"gameday\",app=\"web\",route=\"/api/work\",method=\"GET\",le=%q} %g %d\n", le, acc[le], fixtureStart.Unix()+int64(s))
		}
	}
	b.WriteString("# EOF\n")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func indexOf(a []string, v string) int {
	for i, x := range a {
		if x == v {
			return i
		}
	}
	return -1
}

// TestMetricsPaneGoldenFromFixture renders the Metrics pane from a promtool-made TSDB served by a
// real Prometheus, at fixed times: deterministic, and checked against testdata/ (-update to refresh).
func TestMetricsPaneGoldenFromFixture(t *testing.T) {
	dir := t.TempDir()
	om := filepath.Join(dir, "fixture.om")
	writeFixture(t, om)
	tsdb := filepath.Join(dir, "tsdb")
	if out, err := exec.Command("promtool", "tsdb", "create-blocks-from", "openmetrics", om, tsdb).CombinedOutput(); err != nil {
		t.Fatalf("promtool: %v\n%s", err, out)
	}
	p := testbed.StartPrometheus(t, 15*time.Second, tsdb)
	b, err := New(Config{URL: p.URL, ScrapeInterval: 15 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	b.SetVars(Vars{Namespace: "gameday", Workload: "web"})
	panels := sources.DefaultPanels()[:3] // rate, errors, latency: the fixture has their series

	cfg := config.Default()
	st, _ := themes.Resolve("dark", false)
	end := fixtureStart.Add(10 * time.Minute)
	ctx := &core.Context{Styles: st, Keys: keys.Default(), Config: &cfg, Clock: fixedClock(end), Cluster: model.NewCluster(), Markers: &core.Markers{}}
	ctx.Markers.Add(fixtureStart.Add(4*time.Minute), "burst")
	ctx.Markers.Add(fixtureStart.Add(6*time.Minute), "kill")
	pane := panes.NewMetrics(ctx, panels, 10*time.Minute, b.Name(), nil)
	pane.SetSize(120, 30)
	start := fixtureStart
	step := sources.Step(10*time.Minute, 58)
	for _, pn := range panels {
		series, err := b.QueryRange(context.Background(), pn, start, end, step)
		if err != nil {
			t.Fatalf("%s: %v", pn.ID, err)
		}
		if len(series) == 0 || len(series[0].Points) < 10 {
			t.Fatalf("%s: too few points from the fixture: %+v", pn.ID, series)
		}
		pane.Update(sources.MetricsMsg{Panel: pn.ID, Series: series, Start: start, End: end})
	}
	golden.RequireEqual(t, []byte(ansi.Strip(pane.View())))
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// TestDiscoveryThroughServiceProxy: a Prometheus Service in the cluster is found by name and queried
// through the apiserver's service proxy with the kubeconfig's credentials (no port-forward). A decoy
// Service of a preferred name that does not answer is tried first and said so in the report. On a
// control plane of its own: discovery searches every namespace, where other packages' tests expose
// Prometheus Services at the same time (as the tracing one found another's Zipkin, make test run 9).
func TestDiscoveryThroughServiceProxy(t *testing.T) {
	k := testbed.PrivateKube(t)
	p := testbed.StartPrometheus(t, scrape, "")
	ns := k.Namespace(t, "monitoring")
	ctx := context.Background()
	k.Expose(t, ns, "prometheus-operated", "web", p.URL)
	decoy := testbed.StartDemoapp(t, "decoy") // answers HTTP, but not the query API
	k.Expose(t, ns, "prometheus-server", "http", "http://"+decoy.Addr)
	b, rep, err := Discover(ctx, k.Client, k.Config, scrape)
	if err != nil {
		t.Fatalf("%v\n%s", err, strings.Join(rep.Lines(), "\n"))
	}
	if rep.Used == nil || rep.Used.Namespace != ns || rep.Used.Service != "prometheus-operated" || !strings.Contains(b.Name(), "via apiserver proxy") {
		t.Fatalf("used %+v (%s)", rep.Used, b.Name())
	}
	decoyTried := false
	for _, a := range rep.Tried {
		decoyTried = decoyTried || (a.Namespace == ns && a.Service == "prometheus-server" && !a.OK)
	}
	if !decoyTried {
		t.Fatalf("the decoy of the preferred name should be tried first and fail:\n%s", strings.Join(rep.Lines(), "\n"))
	}
	end := time.Now()
	series, err := b.QueryRange(ctx, sources.Panel{ID: "one", Queries: []sources.PanelQuery{{Legend: "one", Expr: "vector(1)"}}},
		end.Add(-time.Minute), end, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(series) != 1 || len(series[0].Points) < 5 || series[0].Points[0].V != 1 {
		t.Fatalf("series %+v", series)
	}
}

// scrapedDemoapp starts a real Prometheus scraping one demo app (deploy/web in namespace gameday) and
// a backend on it, once the target is up.
func scrapedDemoapp(t *testing.T, appArgs ...string) (*testbed.Prometheus, *testbed.Demoapp, *Backend) {
	t.Helper()
	p := testbed.StartPrometheus(t, scrape, "")
	app := testbed.StartDemoapp(t, "web", appArgs...)
	p.AddTarget("web", app.Addr, map[string]string{"namespace": "gameday", "app": "web", "pod": "web-0"})
	b, err := New(Config{URL: p.URL, ScrapeInterval: scrape})
	if err != nil {
		t.Fatal(err)
	}
	b.SetVars(Vars{Namespace: "gameday", Workload: "web"})
	waitUp(t, b, "demoapp")
	return p, app, b
}
