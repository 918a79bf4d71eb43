package prometheus

import (
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/load/engine"
	"github.com/gamedaylab/gameday/signals"
	"github.com/gamedaylab/gameday/testbed"
)

// instant is a signal's value now (NaN when the query returns nothing).
func instant(t *testing.T, b *Backend, r signals.Resolution) float64 {
	t.Helper()
	expr := strings.ReplaceAll(r.Query, "$interval", "30s")
	v, _, _, err := b.api.Query(context.Background(), expr, time.Now())
	if err != nil {
		t.Fatalf("%s: %s: %v", r.Signal, expr, err)
	}
	var f float64 = math.NaN()
	if s := strings.TrimSpace(v.String()); strings.Contains(s, "=>") {
		if _, err := fmt.Sscan(strings.Fields(s[strings.LastIndex(s, "=>")+2:])[0], &f); err != nil {
			t.Fatalf("%s: %q", r.Signal, s)
		}
	}
	return f
}

// TestSignalsOfAppsNobodyHereWrote (issue 28): three apps instrumented by others — podinfo
// (client_golang's http_requests_total{status} and http_request_duration_seconds), an app of
// OpenTelemetry's Go SDK (otelhttp: http_server_request_duration_seconds with
// http_response_status_code, through its Prometheus exporter) and httpbin under OpenTelemetry's
// Python auto-instrumentation (the old conventions: http_server_duration_milliseconds with
// http_status_code, on its exporter's own port) — two pods each, each pod its own
// process, scraped as the kubernetes service discovery scrapes pods; a real kube-state-metrics;
// kwok's kubelet resource endpoint. Detection finds each convention in at most 3 queries, and
// under known load from gameday's engine the signals read rate and error share within 10 % of what
// the engine measured, p99 in the same histogram bucket, ready and desired replicas equal to the
// Deployment's, CPU the kubelet's over the request.
func TestSignalsOfAppsNobodyHereWrote(t *testing.T) {
	t.Parallel() // mostly waits on real servers: it runs beside the others that do
	k := testbed.SharedKube(t)
	ns := k.Namespace(t, "apps")
	apps := []struct {
		name, convention string
		start            func(testing.TB, string) (io.Closer, error)
		scrapes          float64 // requests/s the app counts of Prometheus' own scrapes, per pod
		buckets          []float64
	}{
		{"podinfo", "client_golang http_requests_total", testbed.Podinfo, 1, []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}},
		{"otelapp", "OpenTelemetry HTTP", testbed.OTelApp, 0, []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}},
		{"httpbin", "OpenTelemetry HTTP (old names, ms)", func(t testing.TB, addr string) (io.Closer, error) {
			host, _, _ := net.SplitHostPort(addr)
			return testbed.HTTPBinOTel(t, addr, net.JoinHostPort(host, "9464"))
		}, 0, []float64{0, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}},
	}
	ips := map[string][]string{}
	for _, a := range apps {
		testbed.DeployApp(t, k.Client, ns, a.name, 2, "100m", false, nil)
		if a.name == "httpbin" {
			k.ScrapedServiceOn(t, ns, a.name, "/metrics", 9464) // the exporter's own server
		} else {
			k.ScrapedService(t, ns, a.name, "/metrics")
		}
		k.RunPods(t, ns, a.name, 8080, func(addr string) (io.Closer, error) { return a.start(t, addr) })
		ips[a.name] = k.PodIPs(t, ns, a.name, 2)
	}
	p := testbed.StartClusterPrometheus(t, k, scrape)
	b, err := New(Config{URL: p.URL, ScrapeInterval: scrape})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range apps {
		t.Run(a.name, func(t *testing.T) {
			rss, err := k.Client.AppsV1().ReplicaSets(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app=" + a.name})
			if err != nil || len(rss.Items) != 1 {
				t.Fatalf("replicasets: %v %v", rss, err)
			}
			tg := signals.Target{Namespace: ns, Deployment: a.name, ReplicaSets: []string{rss.Items[0].Name}, Services: []string{a.name}}
			// Known traffic: 3 in 4 requests answered 200, 1 in 4 answered 500, over both pods.
			var targets []engine.Target
			for _, ip := range ips[a.name] {
				for _, code := range []string{"200", "200", "200", "500"} {
					targets = append(targets, engine.Target{URL: "http://" + ip + ":8080/status/" + code})
				}
			}
			e, err := engine.New(engine.Options{Targets: targets})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Start(load.Profile{Name: "t", Kind: load.Constant, Rate: 100, To: 100, Duration: 75 * time.Second}); err != nil {
				t.Fatal(err)
			}
			defer e.Stop()
			rs, _ := detected(t, b, tg, func(rs map[signals.Name]signals.Resolution, f signals.Facts) bool {
				return rs[signals.Rate].Convention == a.convention && rs[signals.Ready].Query != "" && f.Has("kube_pod_owner")
			}, nil)
			time.Sleep(35 * time.Second) // a full 30 s window of load
			st := e.Status()
			rate, errs, p99 := instant(t, b, rs[signals.Rate]), instant(t, b, rs[signals.Errors]), instant(t, b, rs[signals.P99])
			wantRate := st.Achieved + 2*a.scrapes
			if math.Abs(rate-wantRate)/wantRate > 0.1 {
				t.Errorf("rate %.1f/s, the engine sent %.1f/s (+%.0f/s of scrapes)", rate, st.Achieved, 2*a.scrapes)
			}
			wantErr := float64(st.Errors) / float64(st.Completed) * st.Achieved / wantRate
			if math.Abs(errs-wantErr)/wantErr > 0.1 {
				t.Errorf("error share %.3f, the engine saw %d of %d fail (%.3f of all requests with the scrapes)", errs, st.Errors, st.Completed, wantErr)
			}
			// Python's server parses a request before the instrumented WSGI app times it, and its
			// single accept loop queues under load.
			p99Agrees(t, p99, st.ServiceP99.Seconds(), a.buckets)
			ready, desired := instant(t, b, rs[signals.Ready]), instant(t, b, rs[signals.Desired])
			if ready != 2 || desired != 2 {
				t.Errorf("replicas ready %v desired %v, want 2 and 2", ready, desired)
			}
			// kwok's kubelet endpoint reports each pod using 100m (its annotation) of its 250m request.
			if cpu := instant(t, b, rs[signals.CPU]); rs[signals.CPU].Convention != "kubelet + kube-state-metrics" || math.Abs(cpu-40) > 4 {
				t.Errorf("cpu %.1f%% through %q, want 40%% (100m of 250m)", cpu, rs[signals.CPU].Convention)
			}
			t.Logf("%s through %s: rate %.1f/s (engine %.1f/s), errors %.3f (engine %.3f), p99 %.4fs (engine %s), replicas %v/%v",
				a.name, rs[signals.Rate].Convention, rate, st.Achieved, errs, wantErr, p99, st.ServiceP99, ready, desired)
			if a.name != "podinfo" {
				return
			}
			// A pod killed: its kube_pod_owner series ends with it, so a plain owner join drops the
			// traffic it served at once; the signal's join is kept over the window and still counts it.
			pods, err := k.Client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app=" + a.name})
			if err != nil || len(pods.Items) == 0 {
				t.Fatalf("pods: %v", err)
			}
			before := instant(t, b, rs[signals.Rate])
			if err := k.Client.CoreV1().Pods(ns).Delete(context.Background(), pods.Items[0].Name, metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(6 * time.Second) // kube-state-metrics scraped without the pod
			plain := strings.ReplaceAll(strings.ReplaceAll(rs[signals.Rate].Query, "max_over_time((", "(("), ")[$interval:])", "))")
			after, plainAfter := instant(t, b, rs[signals.Rate]), instant(t, b, signals.Resolution{Signal: "plain", Query: plain})
			if after < 0.8*before || !(plainAfter < 0.7*before) {
				t.Errorf("rate %.1f/s before the kill; after it %.1f/s (kept over the window), %.1f/s with a plain owner join", before, after, plainAfter)
			}
			t.Logf("killed %s: rate %.1f/s before, %.1f/s after (a plain owner join: %.1f/s)", pods.Items[0].Name, before, after, plainAfter)
		})
	}
}

// detected runs detection for tg every second until done accepts what it found, for at most a
// minute (series appear a few scrapes after the load starts); more, when set, adds what the test
// knows of the cause to the failure.
func detected(t *testing.T, b *Backend, tg signals.Target, done func(map[signals.Name]signals.Resolution, signals.Facts) bool, more func() string) (map[signals.Name]signals.Resolution, signals.Facts) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(time.Second) {
		list, f, err := b.Detect(context.Background(), tg, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		rs := map[signals.Name]signals.Resolution{}
		for _, r := range list {
			rs[r.Signal] = r
		}
		if done(rs, f) {
			return rs, f
		}
		if time.Now().After(deadline) {
			why := fmt.Sprintf("names %v", f.Names)
			if more != nil {
				why = more()
			}
			t.Fatalf("detection found %+v; %s", rs[signals.Rate], why)
		}
	}
}

// p99Agrees checks a histogram's p99 against the load engine's. The server's histogram times its
// handler only, which is a part of what the client waits for: accepting, parsing and queueing before
// the handler, and the client's own scheduling, are outside it, and on two busy cores under -race
// they added 0.3 to 7 ms (make test runs 9, 12 and 13: client p99s of 5.3 to 11.9 ms against
// estimates in (0, 5 ms]). So the one bound that always holds is that the server is not slower than
// its client: the estimate's bucket may not begin above the engine's p99 (a higher one is a unit or
// series mistake, e.g. milliseconds read as seconds). The estimate must also be a positive number.
func p99Agrees(t *testing.T, p99, engine float64, bounds []float64) {
	t.Helper()
	lo, hi := bucketOf(p99, bounds)
	if !(p99 > 0) || math.IsInf(p99, 0) || engine < lo {
		t.Errorf("p99 %.4fs, in the bucket (%g, %g]: the engine's p99 from the send %.4fs is below it, but the server times a part of what the client waits for", p99, lo, hi, engine)
	}
}

func bucketOf(v float64, bounds []float64) (float64, float64) {
	lo := 0.0
	for _, b := range bounds {
		if v <= b {
			return lo, b
		}
		lo = b
	}
	return lo, math.Inf(1)
}

// TestSignalsOfTheMeshConventions (issue 28): Istio's and Linkerd's proxies cannot run here, so their
// series are written in the documented format (testbed.MeshExposition: a replay of the format, not a
// proxy) beside a kwok pod and scraped by the real Prometheus 3 like a sidecar: detection picks
// each mesh, reads Istio's destination reporter only (both reporters are exported: summing them
// would double the rate) and turns milliseconds into seconds.
func TestSignalsOfTheMeshConventions(t *testing.T) {
	t.Parallel() // mostly waits on real servers: it runs beside the others that do
	k := testbed.SharedKube(t)
	ns := k.Namespace(t, "meshsig")
	const rate, errShare = 40.0, 0.1
	for _, mesh := range []string{"istio", "linkerd"} {
		testbed.DeployApp(t, k.Client, ns, mesh, 1, "100m", false, nil)
		k.ScrapedService(t, ns, mesh, "/metrics")
		k.RunPods(t, ns, mesh, 8080, testbed.MeshExposition(mesh, ns, mesh, rate, errShare, 20*time.Millisecond))
		k.PodIPs(t, ns, mesh, 1)
	}
	p := testbed.StartClusterPrometheus(t, k, scrape)
	b, err := New(Config{URL: p.URL, ScrapeInterval: scrape})
	if err != nil {
		t.Fatal(err)
	}
	for mesh, want := range map[string]string{"istio": "Istio · destination", "linkerd": "Linkerd · inbound"} {
		tg := signals.Target{Namespace: ns, Deployment: mesh}
		rs, _ := detected(t, b, tg, func(rs map[signals.Name]signals.Resolution, _ signals.Facts) bool {
			return rs[signals.Rate].Convention == want && !math.IsNaN(instant(t, b, rs[signals.Errors]))
		}, nil)
		time.Sleep(35 * time.Second) // a full 30 s window
		r, e, p99 := instant(t, b, rs[signals.Rate]), instant(t, b, rs[signals.Errors]), instant(t, b, rs[signals.P99])
		if math.Abs(r-rate)/rate > 0.1 || math.Abs(e-errShare)/errShare > 0.1 {
			t.Errorf("%s: rate %.1f/s (want %.0f), errors %.3f (want %.2f)", mesh, r, rate, e, errShare)
		}
		if p99 < 0.010 || p99 > 0.030 {
			t.Errorf("%s: p99 %.4fs, every request took 20 ms (its bucket ends at 25 or 30 ms)", mesh, p99)
		}
		t.Logf("%s (%s): rate %.1f/s, errors %.3f, p99 %.4fs", mesh, want, r, e, p99)
	}
}

// TestSignalsOfEnvoyAtTheEdge (issue 28): a real Envoy gateway with Istio's stats config, configured
// by a real istiod from the endpoints of the Service in front of deploy/web (whose pods relay to the
// demo app, not scraped here): its stats, scraped from its admin port, are the only request series
// of the target, once with stock Envoy's own stats tags and once with Istio's stats config.
// Detection finds the Service's upstream cluster (outbound|8080||web.NS.svc.cluster.local) in each
// and reads rate and error share within 10 % of the load engine's.
func TestSignalsOfEnvoyAtTheEdge(t *testing.T) {
	t.Parallel() // mostly waits on real servers: it runs beside the others that do
	k := testbed.SharedKube(t)
	mesh := testbed.SharedMesh(t, k)
	for _, c := range []struct {
		name, convention string
		opts             []testbed.GatewayOption
	}{
		{"native", "Envoy · upstream cluster (native tags)", nil},
		{"istio", "Envoy · upstream cluster", []testbed.GatewayOption{testbed.IstioStats()}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ns := k.Namespace(t, "edge-"+c.name)
			testbed.DeployWeb(t, k.Client, ns, 2, "50m", false)
			app := testbed.StartDemoapp(t, "web", "--work-ms", "0")
			k.ServePods(t, ns, "web", 8080, app.Addr)
			gw := mesh.ExposeService(t, ns, "web", "/api/work?cpu_ms=0", c.opts...)
			p := testbed.StartClusterPrometheus(t, k, scrape)
			p.AddTarget("gateway", strings.TrimPrefix(gw.Admin, "http://"), map[string]string{"__metrics_path__": "/stats/prometheus"})
			b, err := New(Config{URL: p.URL, ScrapeInterval: scrape})
			if err != nil {
				t.Fatal(err)
			}
			// 1 in 10 requests fails, in turn: a random share would stray past 10 % of itself too often.
			var targets []engine.Target
			for i := 0; i < 10; i++ {
				targets = append(targets, engine.Target{URL: fmt.Sprintf("http://%s/api/work?cpu_ms=0&fail=%d", gw.Addr, min(i/9, 1))})
			}
			e, err := engine.New(engine.Options{Targets: targets})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Start(load.Profile{Name: "t", Kind: load.Constant, Rate: 50, To: 50, Duration: 70 * time.Second}); err != nil {
				t.Fatal(err)
			}
			defer e.Stop()
			tg := signals.Target{Namespace: ns, Deployment: "web", Services: []string{"web"}}
			rs, _ := detected(t, b, tg, func(rs map[signals.Name]signals.Resolution, _ signals.Facts) bool {
				return rs[signals.Rate].Convention == c.convention
			}, func() string {
				r, err := http.Get(gw.Admin + "/stats/prometheus")
				if err != nil {
					return err.Error()
				}
				defer r.Body.Close()
				body, _ := io.ReadAll(r.Body)
				var lines []string
				for _, l := range strings.Split(string(body), "\n") {
					if strings.Contains(l, "upstream_rq_total") {
						lines = append(lines, l)
					}
				}
				return "the gateway's stats:\n" + strings.Join(lines, "\n")
			})
			time.Sleep(35 * time.Second)
			st := e.Status()
			rate, errs := instant(t, b, rs[signals.Rate]), instant(t, b, rs[signals.Errors])
			wantErr := float64(st.Errors) / float64(max(st.Completed, 1))
			if math.Abs(rate-st.Achieved)/st.Achieved > 0.1 || math.Abs(errs-wantErr)/wantErr > 0.1 {
				t.Errorf("rate %.1f/s (engine %.1f/s), errors %.3f (engine %.3f)", rate, st.Achieved, errs, wantErr)
			}
			t.Logf("Envoy gateway, %s stats tags: rate %.1f/s (engine %.1f/s), errors %.3f (engine %.3f), p99 %.4fs", c.name, rate, st.Achieved, errs, wantErr, instant(t, b, rs[signals.P99]))
		})
	}
}

// TestSignalsOfZipkinsMicrometer (issue 28): the real Zipkin server as the app behind a kwok pod,
// scraped at /prometheus as the kubernetes service discovery scrapes pods: its own
// http_server_requests_seconds (Micrometer through Armeria: status and uri labels, no outcome, a
// histogram). Under known load (3 in 4 requests answered 200, 1 in 4 a 400, which is no server
// error) the rate reads the engine's within 10 %, the error share 0, p99 within the engine's.
func TestSignalsOfZipkinsMicrometer(t *testing.T) {
	k := testbed.SharedKube(t)
	ns := k.Namespace(t, "zipkin-app")
	testbed.DeployApp(t, k.Client, ns, "zipkin", 1, "100m", false, nil)
	k.ScrapedService(t, ns, "zipkin", "/prometheus")
	k.RunPods(t, ns, "zipkin", 8080, func(addr string) (io.Closer, error) { return testbed.ZipkinServer(t, addr) })
	ip := k.PodIPs(t, ns, "zipkin", 1)[0]
	p := testbed.StartClusterPrometheus(t, k, scrape)
	b, err := New(Config{URL: p.URL, ScrapeInterval: scrape})
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ip + ":8080/api/v2/"
	e, err := engine.New(engine.Options{Targets: []engine.Target{{URL: base + "services"}, {URL: base + "services"},
		{URL: base + "spans?serviceName=none"}, {URL: base + "trace/not-an-id"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(load.Profile{Name: "t", Kind: load.Constant, Rate: 50, To: 50, Duration: 90 * time.Second}); err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	rss, err := k.Client.AppsV1().ReplicaSets(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app=zipkin"})
	if err != nil || len(rss.Items) != 1 {
		t.Fatalf("replicasets: %v %v", rss, err)
	}
	tg := signals.Target{Namespace: ns, Deployment: "zipkin", ReplicaSets: []string{rss.Items[0].Name}, Services: []string{"zipkin"}}
	rs, _ := detected(t, b, tg, func(rs map[signals.Name]signals.Resolution, _ signals.Facts) bool {
		return rs[signals.Rate].Convention == "Micrometer" && rs[signals.P99].Query != ""
	}, nil)
	time.Sleep(35 * time.Second) // a full 30 s window of load
	st := e.Status()
	rate, errs, p99 := instant(t, b, rs[signals.Rate]), instant(t, b, rs[signals.Errors]), instant(t, b, rs[signals.P99])
	if math.Abs(rate-st.Achieved)/st.Achieved > 0.1 || errs != 0 || !(p99 > 0 && p99 <= 1.1*st.ServiceP99.Seconds()) {
		t.Errorf("rate %.1f/s (engine %.1f/s), errors %.3f (want 0: 400s are no server errors), p99 %.4fs (engine %s)", rate, st.Achieved, errs, p99, st.ServiceP99)
	}
	t.Logf("Zipkin through Micrometer: rate %.1f/s (engine %.1f/s), errors %.3f, p99 %.4fs (engine %s)", rate, st.Achieved, errs, p99, st.ServiceP99)
}
