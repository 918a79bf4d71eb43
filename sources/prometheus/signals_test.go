package prometheus

import (
	"context"
	"fmt"
	"io"
	"math"
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

// TestSignalsOfPodinfo (issue 28): podinfo, an app nobody here wrote (client_golang's
// http_requests_total{status} and http_request_duration_seconds), two pods each its own process,
// scraped as the kubernetes service discovery scrapes pods; a real kube-state-metrics; kwok's
// kubelet resource endpoint. Detection finds the client_golang family with status label "status"
// and kube-state-metrics in at most 3 queries, and under known load from gameday's engine the
// signals read rate and error share within 10 % of what the engine measured, p99 in the same
// histogram bucket, ready and desired replicas equal to the Deployment's.
func TestSignalsOfPodinfo(t *testing.T) {
	k := testbed.SharedKube(t)
	ns := k.Namespace(t, "podinfo")
	testbed.DeployApp(t, k.Client, ns, "podinfo", 2, "100m", false, nil)
	k.ScrapedService(t, ns, "podinfo", "/metrics")
	k.RunPods(t, ns, "podinfo", 8080, func(addr string) (io.Closer, error) { return testbed.Podinfo(t, addr) })
	ips := k.PodIPs(t, ns, "podinfo", 2)
	p := testbed.StartClusterPrometheus(t, k, scrape)
	b, err := New(Config{URL: p.URL, ScrapeInterval: scrape})
	if err != nil {
		t.Fatal(err)
	}
	rss, err := k.Client.AppsV1().ReplicaSets(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app=podinfo"})
	if err != nil || len(rss.Items) != 1 {
		t.Fatalf("replicasets: %v %v", rss, err)
	}
	tg := signals.Target{Namespace: ns, Deployment: "podinfo", ReplicaSets: []string{rss.Items[0].Name}, Services: []string{"podinfo"}}

	// Known traffic: 3 in 4 requests answered 200, 1 in 4 answered 500, spread over both pods.
	var targets []engine.Target
	for _, ip := range ips {
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
	t.Cleanup(e.Stop)

	var rs map[signals.Name]signals.Resolution
	var f signals.Facts
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(time.Second) {
		list, facts, err := b.Detect(context.Background(), tg, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		rs, f = map[signals.Name]signals.Resolution{}, facts
		for _, r := range list {
			rs[r.Signal] = r
		}
		if rs[signals.Rate].Found() && rs[signals.Ready].Query != "" && f.Has("kube_pod_owner") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("detection found %+v with names %v", rs[signals.Rate], f.Names)
		}
	}
	if rs[signals.Rate].Convention != "client_golang http_requests_total" || f.StatusLabel != "status" {
		t.Fatalf("convention %q, status label %q", rs[signals.Rate].Convention, f.StatusLabel)
	}
	time.Sleep(35 * time.Second) // a full 30 s window of load
	st := e.Status()
	rate, errs, p99 := instant(t, b, rs[signals.Rate]), instant(t, b, rs[signals.Errors]), instant(t, b, rs[signals.P99])
	// podinfo counts Prometheus' scrapes of /metrics too: one request a second per pod beside the load.
	wantRate := st.Achieved + 2
	if math.Abs(rate-wantRate)/wantRate > 0.1 {
		t.Errorf("rate %.1f/s, the engine sent %.1f/s (+2/s of scrapes)", rate, st.Achieved)
	}
	wantErr := float64(st.Errors) / float64(st.Completed) * st.Achieved / wantRate
	if math.Abs(errs-wantErr)/wantErr > 0.1 {
		t.Errorf("error share %.3f, the engine saw %d of %d fail (%.3f of all requests with the scrapes)", errs, st.Errors, st.Completed, wantErr)
	}
	// A histogram's quantile is an interpolation inside its bucket (podinfo keeps client_golang's
	// default buckets): the engine's p99 must fall in the bucket the estimate is in.
	lo, hi := bucketOf(p99, []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10})
	if s := st.ServiceP99.Seconds(); s < lo || s > hi {
		t.Errorf("p99 %.4fs is in the bucket (%g, %g], the engine's p99 from the send %.4fs is not", p99, lo, hi, s)
	}
	ready, desired := instant(t, b, rs[signals.Ready]), instant(t, b, rs[signals.Desired])
	if ready != 2 || desired != 2 {
		t.Errorf("replicas ready %v desired %v, want 2 and 2", ready, desired)
	}
	// kwok's kubelet endpoint reports each pod using 100m (its annotation) of its 250m request.
	if cpu := instant(t, b, rs[signals.CPU]); rs[signals.CPU].Convention != "kubelet + kube-state-metrics" || math.Abs(cpu-40) > 4 {
		t.Errorf("cpu %.1f%% through %q, want 40%% (100m of 250m)", cpu, rs[signals.CPU].Convention)
	}
	t.Logf("podinfo through %s: rate %.1f/s (engine %.1f/s), errors %.3f (engine %.3f), p99 %.4fs (engine %s), replicas %v/%v",
		rs[signals.Rate].Convention, rate, st.Achieved, errs, wantErr, p99, st.ServiceP99, ready, desired)
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
