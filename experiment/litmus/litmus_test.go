package litmus

import (
	"strings"
	"testing"
	"time"
)

const engine = `apiVersion: litmuschaos.io/v1alpha1
kind: ChaosEngine
metadata: {name: web-chaos, namespace: shop}
spec:
  engineState: active
  appinfo: {appns: shop, applabel: app=web, appkind: deployment}
  experiments:
  - name: pod-delete
    spec:
      components:
        env:
        - {name: TOTAL_CHAOS_DURATION, value: "20"}
        - {name: CHAOS_INTERVAL, value: "4"}
        - {name: FORCE, value: "false"}
        - {name: PODS_AFFECTED_PERC, value: "50"}
      probe:
      - name: up
        type: httpProbe
        httpProbe/inputs:
          url: http://web.shop:8080/
          method: {get: {criteria: "==", responseCode: "200"}}
        mode: Continuous
        runProperties: {probeTimeout: 5s, interval: 2s, retry: 2, probePollingInterval: 1s}
      - name: errors
        type: promProbe
        promProbe/inputs:
          endpoint: http://prometheus:9090
          query: sum(rate(errors[1m]))
          comparator: {criteria: "<=", value: "0.1"}
        mode: Edge
        runProperties: {probeTimeout: 5, interval: 5}
      - name: pods
        type: k8sProbe
        k8sProbe/inputs: {group: "", version: v1, resource: pods, namespace: shop, labelSelector: app=web, operation: present}
        mode: EOT
        runProperties: {probeTimeout: 5s, interval: 1s}
`

func TestAnEngineReadsWhole(t *testing.T) {
	if !Detect([]byte(engine)) {
		t.Fatal("Detect")
	}
	es, err := Parse("e.yaml", []byte(engine))
	if err != nil {
		t.Fatal(err)
	}
	f := es[0].Experiments[0]
	if es[0].AppLabel != "app=web" || f.Duration != 20*time.Second || f.Interval != 4*time.Second || f.Force || f.Percent != 50 || len(f.Probes) != 3 {
		t.Fatalf("read %+v %+v", es[0], f)
	}
	up, errs, pods := f.Probes[0], f.Probes[1], f.Probes[2]
	if up.Attempts != 2 || up.Polling != time.Second || up.HTTP.Criteria != "==" || up.HTTP.ResponseCode != "200" {
		t.Fatalf("httpProbe %+v %+v", up, up.HTTP)
	}
	if errs.Timeout != 5*time.Second || errs.Prom.Value != "0.1" || pods.K8s.Operation != "present" {
		t.Fatalf("promProbe %+v, k8sProbe %+v", errs, pods.K8s)
	}
}

// TestChaosChartsEngineReads: chaos-charts' engine.yaml, as shipped: an empty appinfo (the run
// then needs --target), its env read, PODS_AFFECTED_PERC empty meaning one pod.
func TestChaosChartsEngineReads(t *testing.T) {
	es, err := Read("testdata/others/pod-delete-engine.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f := es[0].Experiments[0]
	if es[0].AppLabel != "" || f.Duration != 30*time.Second || f.Interval != 10*time.Second || f.Force || f.Percent != 0 {
		t.Fatalf("%+v %+v", es[0], f)
	}
}

// TestUnsetEnvTakesTheFaultsDefaults: what the engine leaves out, the fault's chaos-charts
// defaults give (15 s, 5 s, force, one pod).
func TestUnsetEnvTakesTheFaultsDefaults(t *testing.T) {
	es, err := Parse("e.yaml", []byte("apiVersion: litmuschaos.io/v1alpha1\nkind: ChaosEngine\nmetadata: {name: x}\nspec:\n  experiments:\n  - name: pod-delete\n"))
	if err != nil {
		t.Fatal(err)
	}
	f := es[0].Experiments[0]
	if f.Duration != 15*time.Second || f.Interval != 5*time.Second || !f.Force || f.Percent != 0 {
		t.Fatalf("%+v", f)
	}
}

func TestWhatGamedayDoesNotRunIsRefusedWithWhy(t *testing.T) {
	with := func(old, new string) string { return strings.Replace(engine, old, new, 1) }
	for _, c := range []struct{ text, want string }{
		{with("name: pod-delete", "name: pod-cpu-hog"), "pod-cpu-hog: gameday does not run it: it runs stress-ng"},
		{with("type: httpProbe", "type: cmdProbe"), "probe[0] (up): cmdProbe runs a command"},
		{with("operation: present", "operation: create"), "operation create: gameday's probes read"},
		{with("appkind: deployment", "appkind: statefulset"), `appkind "statefulset"`},
		{with("engineState: active", "engineState: stop"), "engineState is stop"},
		{with(`value: "50"`, `value: "150"`), `PODS_AFFECTED_PERC "150": a percentage from 0 to 100`},
		{with(`value: "20"`, `value: "soon"`), `TOTAL_CHAOS_DURATION "soon": whole seconds`},
		{with("mode: EOT", "mode: Sometimes"), `mode "Sometimes": one of SOT, EOT, Edge, Continuous, OnChaos`},
		{with("probeTimeout: 5s, interval: 1s", "interval: 1s"), "runProperties.probeTimeout: required"},
		{with(`criteria: "<="`, `criteria: "~"`), `comparator.criteria "~"`},
		{"apiVersion: litmuschaos.io/v1alpha1\nkind: ChaosExperiment\nmetadata: {name: x}\n", "no ChaosEngine"},
	} {
		_, err := Parse("e.yaml", []byte(c.text))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want %q, got %v", c.want, err)
		}
	}
}

// TestComparatorsAsLitmusGo: pkg/probe/comparator's criteria on numbers.
func TestComparatorsAsLitmusGo(t *testing.T) {
	for _, c := range []struct {
		a        float64
		criteria string
		b        string
		ok       bool
	}{
		{200, "==", "200", true}, {503, "==", "200", false}, {503, "!=", "200", true}, {0.05, "<=", "0.1", true},
		{0.2, "<=", "0.1", false}, {3, ">", "2", true}, {404, "oneOf", "200,404", true}, {500, "oneOf", "200,404", false},
		{5, "between", "1,5", true}, {6, "between", "1,5", false},
	} {
		if err := compare(c.a, c.criteria, c.b, "v"); (err == nil) != c.ok {
			t.Errorf("%v %s %s: %v", c.a, c.criteria, c.b, err)
		}
	}
}

// TestResiliencyScoreAsLitmus: probe success weighted 10 each, truncated to two decimals.
func TestResiliencyScoreAsLitmus(t *testing.T) {
	if s := Score([]Result{{ProbeSuccess: 100}, {ProbeSuccess: 66}, {ProbeSuccess: 0}}); s != 55.33 {
		t.Fatalf("score %v, want 55.33", s)
	}
	if s := Score(nil); s != 0 {
		t.Fatalf("no faults: %v", s)
	}
}

// TestOtherPeoplesEngines: ChaosEngines written by others (testdata/others, SOURCES.md).
func TestOtherPeoplesEngines(t *testing.T) {
	for file, want := range map[string]string{
		"pod-delete-engine.yaml":             "",
		"pod-delete-httpprobe.yaml":          "",
		"pod-delete-with-rbac-multidoc.yaml": "",
		"pod-delete-cmdprobe.yaml":           "cmdProbe runs a command",
		"pod-network-latency-engine.yaml":    "", // as an Istio delay on a meshed app
		"pod-cpu-hog-catalogue.yaml":         "pod-cpu-hog: gameday does not run it",
	} {
		_, err := Read("testdata/others/" + file)
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", file, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: got %v, want %q", file, err, want)
		}
	}
}

// TestLatencyFaultsRead: pod-network-latency and pod-http-latency read with litmus-go's defaults,
// and what an Istio delay cannot do is refused naming the variable.
func TestLatencyFaultsRead(t *testing.T) {
	engine := func(fault, env string) string {
		return "apiVersion: litmuschaos.io/v1alpha1\nkind: ChaosEngine\nmetadata: {name: e}\nspec:\n  appinfo: {appns: shop, applabel: app=web, appkind: deployment}\n" +
			"  experiments:\n  - name: " + fault + "\n    spec:\n      components:\n        env: [" + env + "]\n"
	}
	for _, c := range []struct {
		fault, env string
		latency    time.Duration
		toxicity   int
		want       string
	}{
		{"pod-network-latency", "", 2 * time.Second, 100, ""},
		{"pod-http-latency", "", 6 * time.Second, 100, ""},
		{"pod-http-latency", `{name: LATENCY, value: "250"}, {name: TOXICITY, value: "40"}, {name: NETWORK_LATENCY, value: "9"}`, 250 * time.Millisecond, 40, ""},
		{"pod-network-latency", `{name: NETWORK_LATENCY, value: "100"}, {name: LATENCY, value: "9"}`, 100 * time.Millisecond, 100, ""},
		{"pod-network-latency", `{name: JITTER, value: "20"}`, 0, 0, "JITTER: an Istio delay is fixed"},
		{"pod-network-latency", `{name: DESTINATION_IPS, value: "10.0.0.1"}`, 0, 0, "DESTINATION_IPS: gameday delays every request to the app's Service"},
		{"pod-http-latency", `{name: TOXICITY, value: "120"}`, 0, 0, "TOXICITY \"120\": a percentage from 0 to 100"},
		{"pod-network-loss", "", 0, 0, "pod-network-loss: gameday does not run it"},
	} {
		engines, err := Parse("e.yaml", []byte(engine(c.fault, c.env)))
		switch {
		case c.want != "":
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s %s: %v, want %q", c.fault, c.env, err, c.want)
			}
		case err != nil:
			t.Errorf("%s %s: %v", c.fault, c.env, err)
		default:
			f := engines[0].Experiments[0]
			if f.Latency != c.latency || f.Toxicity != c.toxicity || f.Duration != time.Minute {
				t.Errorf("%s %s: latency %s, toxicity %d, duration %s", c.fault, c.env, f.Latency, f.Toxicity, f.Duration)
			}
		}
	}
}
