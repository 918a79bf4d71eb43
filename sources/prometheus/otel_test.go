package prometheus

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/load/engine"
	"github.com/gamedaylab/gameday/signals"
	"github.com/gamedaylab/gameday/testbed"
)

// TestSignalsOfOTelThroughTargetInfo (issue 28): OpenTelemetry series tied to a Deployment only by
// the resource attributes on target_info (the Go SDK's Prometheus exporter with
// OTEL_RESOURCE_ATTRIBUTES, scraped without the pod's labels: the series themselves name no
// namespace or pod). Two instances of deploy/checkout and a decoy of another Deployment failing
// every request, all the real OpenTelemetry SDK: detection finds the convention through target_info
// and the signals read the engine's rate and error share within 10 % and its p99 in the bucket,
// without the decoy's traffic.
func TestSignalsOfOTelThroughTargetInfo(t *testing.T) {
	t.Parallel() // mostly waits on real servers: it runs beside the others that do
	p := testbed.StartPrometheus(t, scrape, "")
	otelUnderLoad(t, p, "target_info", func(name, attributes string) string {
		addr := fmt.Sprintf("127.0.0.1:%d", testbed.FreePort(t))
		c, err := testbed.OTelAppWith(t, addr, testbed.OTelOptions{Attributes: attributes})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		p.AddTarget(name, addr, nil)
		return addr
	})
}

// TestSignalsOfOTelPromotedAttributes (issue 28): OpenTelemetry series pushed over OTLP to
// Prometheus 3's receiver, which promotes k8s.namespace.name and k8s.deployment.name to labels (its
// promote_resource_attributes): the same apps and load as through target_info, the series now tied
// by their own labels.
func TestSignalsOfOTelPromotedAttributes(t *testing.T) {
	t.Parallel() // mostly waits on real servers: it runs beside the others that do
	p := testbed.StartOTLPPrometheus(t, "k8s.namespace.name", "k8s.deployment.name")
	otelUnderLoad(t, p, "promoted", func(name, attributes string) string {
		addr := fmt.Sprintf("127.0.0.1:%d", testbed.FreePort(t))
		c, err := testbed.OTelAppWith(t, addr, testbed.OTelOptions{Attributes: attributes, OTLP: p.URL + "/api/v1/otlp/v1/metrics"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return addr
	})
}

// otelUnderLoad runs two instances of deploy/checkout in namespace shop and a decoy of another
// Deployment failing every request (start runs one, given its pod name and resource attributes, and
// returns its address), loads them, and checks the signals found through scope against the engine.
func otelUnderLoad(t *testing.T, p *testbed.Prometheus, scope string, start func(name, attributes string) string) {
	t.Helper()
	b, err := New(Config{URL: p.URL, ScrapeInterval: scrape})
	if err != nil {
		t.Fatal(err)
	}
	attrs := func(name, deployment string) string {
		return "k8s.namespace.name=shop,k8s.deployment.name=" + deployment + ",k8s.pod.name=" + name
	}
	var targets []engine.Target
	for _, pod := range []string{"checkout-7d4b9c8f6d-x2v9q", "checkout-7d4b9c8f6d-bcdfg"} {
		addr := start(pod, attrs(pod, "checkout"))
		for _, code := range []string{"200", "200", "200", "500"} {
			targets = append(targets, engine.Target{URL: "http://" + addr + "/status/" + code})
		}
	}
	decoy := start("checkout-canary-5f6c7d8b9-zzzzz", attrs("checkout-canary-5f6c7d8b9-zzzzz", "checkout-canary"))
	e, err := engine.New(engine.Options{Targets: targets})
	if err != nil {
		t.Fatal(err)
	}
	d, err := engine.New(engine.Options{Targets: []engine.Target{{URL: "http://" + decoy + "/status/500"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct {
		e    *engine.Engine
		rate float64
	}{{e, 60}, {d, 20}} {
		if err := x.e.Start(load.Profile{Name: "t", Kind: load.Constant, Rate: x.rate, To: x.rate, Duration: 75 * time.Second}); err != nil {
			t.Fatal(err)
		}
		defer x.e.Stop()
	}
	tg := signals.Target{Namespace: "shop", Deployment: "checkout", ReplicaSets: []string{"checkout-7d4b9c8f6d"}}
	rs, f := detected(t, b, tg, func(rs map[signals.Name]signals.Resolution, _ signals.Facts) bool {
		return rs[signals.Rate].Convention == "OpenTelemetry HTTP"
	}, nil)
	if f.OTelScope != scope {
		t.Fatalf("tied by %q, want %s", f.OTelScope, scope)
	}
	time.Sleep(35 * time.Second) // a full 30 s window of load
	st := e.Status()
	rate, errs, p99 := instant(t, b, rs[signals.Rate]), instant(t, b, rs[signals.Errors]), instant(t, b, rs[signals.P99])
	if math.Abs(rate-st.Achieved)/st.Achieved > 0.1 {
		t.Errorf("rate %.1f/s, the engine sent %.1f/s to checkout (and 20/s to the decoy)", rate, st.Achieved)
	}
	wantErr := float64(st.Errors) / float64(st.Completed)
	if math.Abs(errs-wantErr)/wantErr > 0.1 {
		t.Errorf("error share %.3f, the engine saw %.3f", errs, wantErr)
	}
	p99Agrees(t, p99, st.ServiceP99.Seconds(), []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10})
	t.Logf("OpenTelemetry through %s: rate %.1f/s (engine %.1f/s), errors %.3f (engine %.3f), p99 %.4fs (engine %s)", scope, rate, st.Achieved, errs, wantErr, p99, st.ServiceP99)
}
