package session

import (
	"context"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/testbed"
)

// TestReplicasAndCPUWithoutKubeStateMetrics (issue 28): a Prometheus with neither
// kube-state-metrics nor the kubelet's series (the testbed's plain one, scraping nothing of the
// cluster). The Replicas panel is drawn live from the watch (3 ready, 3 desired) and the CPU panel
// from metrics.k8s.io (the testbed's real metrics-server, over kwok's emulated usage: 100m of a 250m
// request, 40 %), each saying where it comes from.
func TestReplicasAndCPUWithoutKubeStateMetrics(t *testing.T) {
	t.Parallel() // mostly waits on real servers: it runs beside the others that do
	k := testbed.SharedKube(t)
	ns := k.Namespace(t, "live")
	testbed.DeployWeb(t, k.Client, ns, 3, "100m", false)
	p := testbed.StartPrometheus(t, time.Second, "")
	cfg := config.Default()
	cfg.Metrics.Prometheus.URL, cfg.Metrics.Refresh.Duration = p.URL, time.Second
	s, err := New(Options{Config: &cfg, Kube: &Kube{Rest: k.Config, Context: "testbed", Namespace: ns}, Target: "web",
		Journal: t.TempDir() + "/journal.jsonl", User: "tester"})
	if err != nil {
		t.Fatal(err)
	}
	bus := s.Bus.Subscribe("test", 4096)
	defer bus.Close()
	s.Start(context.Background())
	t.Cleanup(func() { _ = s.Close() })
	last := map[string]sources.MetricsMsg{}
	deadline := time.Now().Add(90 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		e, ok := bus.Next(ctx)
		cancel()
		if ok {
			if m, ok := e.Payload.(sources.MetricsMsg); ok {
				last[m.Panel] = m
			}
		}
		rep, cpu := last[sources.PanelReplicas], last[sources.PanelCPU]
		if lastValue(rep, "ready") == 3 && lastValue(rep, "desired") == 3 && rep.Source == "live from watch" &&
			cpu.Source == "live from metrics.k8s.io" && lastValue(cpu, "cpu % of request") > 36 && lastValue(cpu, "cpu % of request") < 44 {
			t.Logf("replicas %v/%v from %s, cpu %.1f%% from %s", lastValue(rep, "ready"), lastValue(rep, "desired"), rep.Source, lastValue(cpu, "cpu % of request"), cpu.Source)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("replicas %+v, cpu %+v", rep, cpu)
		}
	}
}

func lastValue(m sources.MetricsMsg, legend string) float64 {
	for _, s := range m.Series {
		if s.Name == legend && len(s.Points) > 0 {
			return s.Points[len(s.Points)-1].V
		}
	}
	return -1
}
