package prometheus

import (
	"context"
	"math"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/load/engine"
	"github.com/gamedaylab/gameday/signals"
	"github.com/gamedaylab/gameday/testbed"
)

// TestSignalsOfTheAPIServer (issue 28): the Kubernetes API server's own metrics, on real
// kube-apiservers run as the two pods of a Deployment (as metrics-server or an aggregated API
// server runs: software built on k8s.io/apiserver), scraped over https as the kubernetes service
// discovery scrapes pods. Known load from gameday's engine, through TLS verified against the
// cluster's CA: 3 in 4 requests list configmaps (200), 1 in 4 create one, which a webhook nobody
// listens for turns into the apiserver's own 500. Rate and error share within 10 % of what the
// engine measured plus the apiservers' own traffic measured idle before the load, p99 in the
// engine's bucket of the SLI histogram, and a killed pod's traffic kept in the rate.
func TestSignalsOfTheAPIServer(t *testing.T) {
	t.Parallel() // mostly waits on real servers: it runs beside the others that do
	k := testbed.SharedKube(t)
	ns := k.Namespace(t, "apisig")
	const app = "apiserver"
	testbed.DeployApp(t, k.Client, ns, app, 2, "100m", false, nil)
	k.ScrapedHTTPSService(t, ns, app, "/metrics")
	servers := k.APIServerPods(t, ns, app)
	k.RunPods(t, ns, app, 8080, servers.Start)
	ips := k.PodIPs(t, ns, app, 2)
	servers.Await(t, ips[0]+":8080", ips[1]+":8080")
	p := testbed.StartClusterPrometheus(t, k, scrape)
	b, err := New(Config{URL: p.URL, ScrapeInterval: scrape})
	if err != nil {
		t.Fatal(err)
	}
	rss, err := k.Client.AppsV1().ReplicaSets(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app=" + app})
	if err != nil || len(rss.Items) != 1 {
		t.Fatalf("replicasets: %v %v", rss, err)
	}
	tg := signals.Target{Namespace: ns, Deployment: app, ReplicaSets: []string{rss.Items[0].Name}, Services: []string{app}}
	rs, _ := detected(t, b, tg, func(rs map[signals.Name]signals.Resolution, f signals.Facts) bool {
		return rs[signals.Rate].Convention == "Kubernetes API server" && f.Has("kube_pod_owner")
	}, nil)
	time.Sleep(31 * time.Second) // a full window of the apiservers' own traffic, and the scrapes
	idle := instant(t, b, rs[signals.Rate])
	var targets []engine.Target
	for _, r := range servers.Load(t, ips[0]+":8080", ips[1]+":8080") {
		targets = append(targets, engine.Target{Method: r.Method, URL: r.URL, Body: r.Body, Header: r.Header})
	}
	// 50/s keeps the apiservers' p99 well inside the SLI histogram's first bucket on 2 cores under
	// -race: at 100/s it sat on the 50 ms bound, and its estimate fell on either side of it.
	e, err := engine.New(engine.Options{Targets: targets, RootCAs: servers.CA})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(load.Profile{Name: "t", Kind: load.Constant, Rate: 50, To: 50, Duration: 60 * time.Second}); err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	time.Sleep(36 * time.Second) // a full 30 s window of load
	st := e.Status()
	rate, errs, p99 := instant(t, b, rs[signals.Rate]), instant(t, b, rs[signals.Errors]), instant(t, b, rs[signals.P99])
	wantRate := st.Achieved + idle
	if math.Abs(rate-wantRate)/wantRate > 0.1 {
		t.Errorf("rate %.1f/s, the engine sent %.1f/s (+%.1f/s of the apiservers' own, idle)", rate, st.Achieved, idle)
	}
	wantErr := float64(st.Errors) / float64(st.Completed) * st.Achieved / wantRate
	if st.Errors == 0 || math.Abs(errs-wantErr)/wantErr > 0.1 {
		t.Errorf("error share %.3f, the engine saw %d of %d fail (%.3f of all requests with the idle ones)", errs, st.Errors, st.Completed, wantErr)
	}
	// The SLI histogram's buckets (k8s.io/apiserver endpoints/metrics). It leaves out the webhook's
	// call and the fairness queue by design, which the engine waits for (make test saw 63 ms
	// against (0, 50 ms]).
	p99Agrees(t, p99, st.ServiceP99.Seconds(), []float64{0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60})
	t.Logf("apiserver: rate %.1f/s (engine %.1f/s + idle %.1f/s), errors %.3f (engine %.3f), p99 %.4fs (engine %s)",
		rate, st.Achieved, idle, errs, wantErr, p99, st.ServiceP99)
	// A replica killed: the owner join kept over the window still counts the traffic it served.
	pods, err := k.Client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app=" + app})
	if err != nil || len(pods.Items) == 0 {
		t.Fatalf("pods: %v", err)
	}
	before := instant(t, b, rs[signals.Rate])
	if err := k.Client.CoreV1().Pods(ns).Delete(context.Background(), pods.Items[0].Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(6 * time.Second)
	if after := instant(t, b, rs[signals.Rate]); after < 0.8*before {
		t.Errorf("rate %.1f/s before the kill, %.1f/s after: the killed replica's traffic was dropped", before, after)
	} else {
		t.Logf("killed %s: rate %.1f/s before, %.1f/s after", pods.Items[0].Name, before, after)
	}
}
