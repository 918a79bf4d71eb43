package chaostoolkit

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gamedaylab/gameday/scenario"
)

// exportFile exports a scenario of testdata/scenarios into dir and returns the file.
func exportFile(t *testing.T, name, dir string, o ExportOptions) string {
	t.Helper()
	e, err := scenario.Read(filepath.Join("testdata", "scenarios", name))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Export(e, o)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, strings.TrimSuffix(name, ".yaml")+".json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestExportWritesWhatChaosToolkitRuns: the export is a Chaos Toolkit experiment gameday reads back;
// kills are terminate_pods of the target's pods by name, a wait the pause after the step before, a
// probe step deployment_fully_available with the step's within, a Prometheus expectation PromQL's
// comparison under a jsonpath tolerance, and halt nothing.
func TestExportWritesWhatChaosToolkitRuns(t *testing.T) {
	p := exportFile(t, "export-me.yaml", t.TempDir(), ExportOptions{Namespace: "shop", PrometheusURL: "http://prom:9090"})
	e, err := Read(p)
	if err != nil {
		t.Fatalf("gameday does not read its own export: %v", err)
	}
	var doc map[string]any
	b, _ := os.ReadFile(p)
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["configuration"].(map[string]any)["ns"] != "shop" || len(e.Method) != 5 || len(e.Rollbacks) != 0 {
		t.Fatalf("export:\n%s", b)
	}
	kill := e.Method[0]
	args := kill.Provider.Arguments.(map[string]any)
	if kill.Provider.Func != "terminate_pods" || args["name_pattern"] != "^web-[a-z0-9]+-[a-z0-9]+$" || args["qty"] != int64(1) ||
		kill.PauseAfter != int64(5) {
		t.Fatalf("the first kill: %+v %v", kill, args)
	}
	if a := e.Method[2].Provider.Arguments.(map[string]any); a["mode"] != "percentage" || a["qty"] != int64(30) || a["grace_period"] != int64(0) {
		t.Fatalf("the second kill: %v", a)
	}
	if w := e.Method[1]; w.Provider.Func != "deployment_fully_available" || w.Provider.Arguments.(map[string]any)["timeout"] != int64(60) {
		t.Fatalf("the probe step: %+v", w)
	}
	q := e.Hypothesis.Probes[1].Provider.Arguments.(map[string]any)["query"]
	if q != "(vector(1)) == 1" {
		t.Fatalf("the Prometheus probe's query: %v", q)
	}
	if ok, _ := Within(e.Hypothesis.Probes[1].Tolerance, map[string]any{"data": map[string]any{"result": []any{}}}, Vars{}); ok {
		t.Fatal("an empty answer (the comparison did not hold) is within the tolerance")
	}
}

// TestExportRefusesWhatItCannotWrite: every part without a Chaos Toolkit equivalent is named.
func TestExportRefusesWhatItCannotWrite(t *testing.T) {
	e := &scenario.Experiment{Metadata: scenario.Metadata{Name: "x"}, Target: "deploy/web",
		Hypothesis: scenario.Hypothesis{Probes: []scenario.Probe{{Name: "p99", Signal: "p99", Expect: "< 0.3"},
			{Name: "pods", Kubernetes: &scenario.KubernetesProbe{Kind: "Pod", Name: "x", Expr: "true"}}}},
		Method: []scenario.Step{{Action: "load", Args: "50 1m"}, {Action: "scale", Args: "+1"}, {Action: "fault", Args: "web abort 500 50%"}}}
	_, err := Export(e, ExportOptions{})
	for _, w := range []string{"hypothesis.probes[0] (p99)", "hypothesis.probes[1] (pods): a Kubernetes probe other than",
		"method[0]: load has no Chaos Toolkit equivalent", `method[1]: scale "+1"`, "method[2]: fault has no Chaos Toolkit equivalent"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("export error %v lacks %q", err, w)
		}
	}
}
