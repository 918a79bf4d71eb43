package prometheus

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/signals"
	"github.com/gamedaylab/gameday/testbed"
)

// TestEveryConventionsQueriesRunOnPrometheus (issue 28): every query a convention can build — each
// convention, each signal, each way of tying series to the target (status labels, OpenTelemetry's
// scopes, with and without kube-state-metrics, with and without a histogram) — is accepted by a
// real Prometheus. A probe or panel naming a signal then never fails on PromQL of ours, whatever
// convention the target turns out to follow.
func TestEveryConventionsQueriesRunOnPrometheus(t *testing.T) {
	p := testbed.StartPrometheus(t, time.Second, "")
	b, err := New(Config{URL: p.URL, ScrapeInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	tg := signals.Target{Namespace: "shop-1", Deployment: "web.v2", ReplicaSets: []string{"web.v2-7d4b9c8f6d"}, Services: []string{"web", "web-canary"}}
	variants := []func(*signals.Facts){
		func(*signals.Facts) {},
		func(f *signals.Facts) { f.StatusLabel = "status_code" },
		func(f *signals.Facts) { f.OTelScope = "promoted" },
		func(f *signals.Facts) { f.OTelScope = "target_info" },
		func(f *signals.Facts) {
			for _, n := range []string{"kube_pod_owner", "kube_deployment_status_replicas_ready", "container_cpu_usage_seconds_total", "kube_pod_container_resource_requests", "container_memory_working_set_bytes"} {
				f.Names[n] = true
			}
		},
	}
	seen := map[string]bool{}
	for _, c := range signals.Conventions() {
		names := c.Names
		if c.NamesOf != nil {
			names = c.NamesOf(tg)
		}
		for _, name := range names {
			for _, histogram := range []bool{false, true} {
				for _, v := range variants {
					f := signals.Facts{Names: map[string]bool{name: true}}
					if histogram {
						for _, h := range []string{"http_request_duration_seconds_bucket", "http_server_requests_seconds_bucket", "apiserver_request_sli_duration_seconds_bucket"} {
							f.Names[h] = true
						}
					}
					v(&f)
					for _, r := range signals.Resolve(tg, f) {
						if r.Query == "" || seen[r.Query] {
							continue
						}
						seen[r.Query] = true
						expr := strings.ReplaceAll(r.Query, "$interval", "30s")
						if _, _, _, err := b.api.Query(context.Background(), expr, time.Now()); err != nil {
							t.Errorf("%s, %s: %s\n%v", c.Title, r.Signal, expr, err)
						}
					}
				}
			}
		}
	}
	if len(seen) < 50 {
		t.Fatalf("only %d distinct queries built", len(seen))
	}
	t.Logf("%d distinct queries, each accepted by Prometheus", len(seen))
}
