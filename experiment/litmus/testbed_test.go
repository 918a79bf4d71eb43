package litmus

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/experiment"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/session"
	"github.com/gamedaylab/gameday/testbed"
)

func TestMain(m *testing.M) { os.Exit(testbed.Main(m)) }

// TestPodDeleteOnTheTestbed (issue 30): a ChaosEngine's pod-delete on the testbed's apiserver: its
// pods deleted through gameday's catalog every CHAOS_INTERVAL for TOTAL_CHAOS_DURATION, half of
// web's each time; an httpProbe (Continuous, a real server), a promProbe (Edge, a real Prometheus)
// and a k8sProbe (EOT) pass, a fourth probe that wants 500 fails: verdict Fail, probe success 75 %,
// and the resiliency score is that.
func TestPodDeleteOnTheTestbed(t *testing.T) {
	k := testbed.SharedKube(t)
	ns := k.Namespace(t, "litmus")
	testbed.DeployApp(t, k.Client, ns, "web", 4, "10m", false, nil)
	testbed.WaitReady(t, k.Client, ns, 4, time.Minute)
	app := testbed.StartDemoapp(t, "web")
	prom := testbed.StartPrometheus(t, 5*time.Second, "")
	s := onTestbed(t, k, ns, 4)
	text := fmt.Sprintf(`apiVersion: litmuschaos.io/v1alpha1
kind: ChaosEngine
metadata: {name: web-chaos}
spec:
  appinfo: {appns: %[1]s, applabel: app=web, appkind: deployment}
  experiments:
  - name: pod-delete
    spec:
      components:
        env:
        - {name: TOTAL_CHAOS_DURATION, value: "3"}
        - {name: CHAOS_INTERVAL, value: "1"}
        - {name: PODS_AFFECTED_PERC, value: "50"}
      probe:
      - name: app-up
        type: httpProbe
        httpProbe/inputs: {url: "http://%[2]s/api/item", method: {get: {criteria: "==", responseCode: "200"}}}
        mode: Continuous
        runProperties: {probeTimeout: 5s, interval: 1s, probePollingInterval: 500ms}
      - name: prometheus-computes
        type: promProbe
        promProbe/inputs: {endpoint: "%[3]s", query: "vector(1)", comparator: {criteria: "==", value: "1"}}
        mode: Edge
        runProperties: {probeTimeout: 5, interval: 1}
      - name: pods-present
        type: k8sProbe
        k8sProbe/inputs: {group: "", version: v1, resource: pods, namespace: %[1]s, labelSelector: app=web, operation: present}
        mode: EOT
        runProperties: {probeTimeout: 5s, interval: 1s}
      - name: wants-500
        type: httpProbe
        httpProbe/inputs: {url: "http://%[2]s/api/item", method: {get: {criteria: "==", responseCode: "500"}}}
        mode: SOT
        runProperties: {probeTimeout: 5s, interval: 1s, retry: 1}
`, ns, app.Addr, prom.URL)
	p := filepath.Join(t.TempDir(), "engine.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	engines, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	start := time.Now()
	res := Run(context.Background(), s, engines, Options{Out: &out})
	took := time.Since(start)
	if len(res) != 1 || res[0].Err != nil {
		t.Fatalf("%+v\n%s", res, out.String())
	}
	r := res[0]
	// 3 s of chaos, a kill of 2 pods (50 % of 4) each round, a second after each kill: 2 rounds
	// of 2 at least (the loop starts a round while time is left).
	if len(r.Killed) < 2 || took < 3*time.Second {
		t.Fatalf("killed %v in %s\n%s", r.Killed, took, out.String())
	}
	passed := map[string]bool{}
	for _, pr := range r.Probes {
		passed[pr.Name] = pr.Passed
		if pr.Checks == 0 {
			t.Fatalf("probe %s never checked:\n%s", pr.Name, out.String())
		}
	}
	if !passed["app-up"] || !passed["prometheus-computes"] || !passed["pods-present"] || passed["wants-500"] {
		t.Fatalf("probes %+v\n%s", r.Probes, out.String())
	}
	if r.Verdict != "Fail" || r.ProbeSuccess != 75 || Score(res) != 75 {
		t.Fatalf("verdict %s, probe success %d, score %v", r.Verdict, r.ProbeSuccess, Score(res))
	}
	kills := 0
	for _, e := range s.Timeline() {
		if e.Action == actions.Kill && e.Result == actions.ResultOK {
			kills++
		}
	}
	if kills != len(r.Killed) {
		t.Fatalf("%d kills journaled, %d made", kills, len(r.Killed))
	}

	// The same engine in the cockpit's runbook: it waits for N, then its fault is a step with its
	// verdict, its probes verdicts, and the outcome says the probes failed, with the score.
	testbed.WaitReady(t, k.Client, ns, 4, time.Minute)
	board := experiment.NewBoard("engine.yaml", Plan(engines))
	if pl := board.Snapshot().Plan; len(pl.Steps) != 1 || pl.Steps[0].Text != "web-chaos/pod-delete: delete 50% of the pods every 1s for 3s" || len(pl.Probes) != 4 {
		t.Fatalf("plan %+v", pl)
	}
	gate := make(chan struct{})
	done := make(chan []Result)
	go func() { done <- RunOnBoard(context.Background(), s, engines, Options{}, board, gate) }()
	for deadline := time.Now().Add(5 * time.Second); !board.Snapshot().Waiting; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the runbook's run does not wait for the facilitator")
		}
	}
	gate <- struct{}{}
	<-done
	sn := board.Snapshot()
	if sn.Outcome != experiment.Deviated || !strings.Contains(sn.Record.Reason, "resiliency score 75.00") || len(sn.Record.Steps) != 1 ||
		sn.Record.Steps[0].Detail != "verdict Fail, probe success 75%" || len(sn.Record.Verdicts) != 4 {
		t.Fatalf("board: outcome %s (%s), steps %+v, verdicts %+v", sn.Outcome, sn.Record.Reason, sn.Record.Steps, sn.Record.Verdicts)
	}
}

func onTestbed(t *testing.T, k *testbed.Kube, ns string, want int32) *session.Session {
	t.Helper()
	cfg := config.Default()
	s, err := session.New(session.Options{Config: &cfg, Kube: &session.Kube{Rest: k.Config, Context: "testbed", Namespace: ns},
		Journal: filepath.Join(t.TempDir(), "journal.jsonl"), RevertDir: t.TempDir(), Guard: &actions.Guard{MinReady: 1}, User: "tester"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { _ = s.Close(); cancel() })
	s.Start(ctx)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		ready := false
		s.Store(func(c *model.Cluster) { d := c.Deployment(ns, "web"); ready = c.Synced && d != nil && d.Ready == want })
		if ready {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("the session did not see web's %d ready pods", want)
		}
	}
}

// TestNetworkLatencyAsAnIstioDelay (issue 30): a ChaosEngine's pod-network-latency on a meshed app
// (a real Envoy gateway that a real istiod configures, routing to web's Service, whose pods serve
// on their own IPs): gameday delays half of web's requests (PODS_AFFECTED_PERC 50 of 2 pods) by
// NETWORK_LATENCY for TOTAL_CHAOS_DURATION through its Istio fault, an OnChaos httpProbe sees it,
// and the fault is gone afterwards. An app no VirtualService routes to is refused as not meshed.
func TestNetworkLatencyAsAnIstioDelay(t *testing.T) {
	k := testbed.SharedKube(t)
	mesh := testbed.SharedMesh(t, k)
	ns := k.Namespace(t, "litmus-latency")
	testbed.DeployWeb(t, k.Client, ns, 2, "50m", false)
	app := testbed.StartDemoapp(t, "web", "--work-ms", "0")
	k.ServePods(t, ns, "web", 8080, app.Addr)
	gw := mesh.ExposeService(t, ns, "web", "/api/item")
	s := onTestbed(t, k, ns, 2)
	engine := func(label string) []Engine {
		text := fmt.Sprintf(`apiVersion: litmuschaos.io/v1alpha1
kind: ChaosEngine
metadata: {name: slow-web}
spec:
  appinfo: {appns: %[1]s, applabel: %[3]s, appkind: deployment}
  experiments:
  - name: pod-network-latency
    spec:
      components:
        env:
        - {name: TOTAL_CHAOS_DURATION, value: "6"}
        - {name: NETWORK_LATENCY, value: "400"}
        - {name: JITTER, value: "0"}
        - {name: PODS_AFFECTED_PERC, value: "50"}
      probe:
      - name: fast-enough
        type: httpProbe
        httpProbe/inputs: {url: "http://%[2]s/api/item", method: {get: {criteria: "==", responseCode: "200"}}}
        mode: OnChaos
        runProperties: {probeTimeout: 300ms, interval: 200ms, probePollingInterval: 200ms}
`, ns, gw.Addr, label)
		engines, err := Parse("latency.yaml", []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		return engines
	}
	var out strings.Builder
	res := Run(context.Background(), s, engine("app=web"), Options{Out: &out})
	if len(res) != 1 || res[0].Err != nil {
		t.Fatalf("%+v\n%s", res, out.String())
	}
	for _, w := range []string{"delay 400ms 50%", "(1 of 2 pods, toxicity 100%)", "unfault"} {
		if !strings.Contains(out.String(), w) {
			t.Fatalf("output lacks %q:\n%s", w, out.String())
		}
	}
	// Half the requests waited 400 ms while the fault lasted: the probe, with a 300 ms budget, failed.
	t.Logf("%sprobe %+v", out.String(), res[0].Probes[0])
	if r := res[0]; r.Verdict != "Fail" || r.Probes[0].Passed || !strings.Contains(r.Probes[0].Detail, "deadline exceeded") {
		t.Fatalf("verdict %s, probes %+v: the delay was not seen\n%s", r.Verdict, r.Probes, out.String())
	}
	if vs := k.VirtualService(t, ns, "web"); strings.Contains(fmt.Sprint(vs.Object["spec"]), "fault") {
		t.Fatalf("the fault outlived the chaos: %v", vs.Object["spec"])
	}
	start := time.Now()
	for range 10 {
		resp, err := http.Get("http://" + gw.Addr + "/api/item")
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("10 requests after the chaos took %s: still delayed", d)
	}
	// Pods no VirtualService routes to: not in the mesh.
	testbed.DeployApp(t, k.Client, ns, "lonely", 1, "10m", false, nil)
	testbed.WaitAppReady(t, k.Client, ns, "lonely", 1, time.Minute)
	out.Reset()
	res = Run(context.Background(), s, engine("app=lonely"), Options{Out: &out})
	if res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "no Service in "+ns+" selects pod/lonely-") {
		t.Fatalf("an app outside the mesh: %+v", res[0].Err)
	}
}
