package testbed

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// TestChaosToolkitOnTheTestbed (issue 30): the real Chaos Toolkit, as the testbed installs it,
// validates and runs an experiment of its own Kubernetes extension against the testbed's
// apiserver: its steady-state probe reads the pods, its action really deletes one, and its journal
// says so. The differential tests of gameday against it stand on this.
func TestChaosToolkitOnTheTestbed(t *testing.T) {
	k := SharedKube(t)
	ns := k.Namespace(t, "ctk")
	DeployApp(t, k.Client, ns, "web", 3, "10m", false, nil)
	before := PodNames(t, k.Client, ns, "app=web")
	ctk := ChaosToolkitFor(t, k)
	if out, code := ctk.Chaos(t, t.TempDir(), "--version"); code != 0 || !strings.Contains(out, "1.19.0") {
		t.Fatalf("chaos --version: %d %s", code, out)
	}
	dir := t.TempDir()
	exp := map[string]any{
		"title": "kill one pod of web", "description": "the testbed's wiring of the real Chaos Toolkit",
		"steady-state-hypothesis": map[string]any{"title": "web runs", "probes": []any{map[string]any{
			"type": "probe", "name": "web-pods-running", "tolerance": true,
			"provider": map[string]any{"type": "python", "module": "chaosk8s.pod.probes", "func": "pods_in_phase",
				"arguments": map[string]any{"label_selector": "app=web", "phase": "Running", "ns": ns}}}}},
		"method": []any{map[string]any{"type": "action", "name": "kill-one",
			"provider": map[string]any{"type": "python", "module": "chaosk8s.pod.actions", "func": "terminate_pods",
				"arguments": map[string]any{"label_selector": "app=web", "ns": ns, "qty": 1, "rand": false, "grace_period": 0}},
			"pauses": map[string]any{"after": 5}}},
	}
	b, _ := json.MarshalIndent(exp, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "experiment.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := ctk.Chaos(t, dir, "validate", "experiment.json"); code != 0 {
		t.Fatalf("chaos validate: %d\n%s", code, out)
	}
	out, code := ctk.Chaos(t, dir, "run", "--journal-path", "journal.json", "experiment.json")
	var journal struct {
		Status string `json:"status"`
		Run    []struct {
			Status   string `json:"status"`
			Activity struct {
				Name string `json:"name"`
			} `json:"activity"`
		} `json:"run"`
	}
	jb, err := os.ReadFile(filepath.Join(dir, "journal.json"))
	if err != nil || json.Unmarshal(jb, &journal) != nil {
		t.Fatalf("chaos run (exit %d) left no journal: %v\n%s", code, err, out)
	}
	if len(journal.Run) != 1 || journal.Run[0].Activity.Name != "kill-one" || journal.Run[0].Status != "succeeded" {
		t.Fatalf("journal: %+v\n%s", journal, out)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		after := PodNames(t, k.Client, ns, "app=web")
		gone := 0
		for _, p := range before {
			if !slices.Contains(after, p) {
				gone++
			}
		}
		if gone == 1 {
			t.Logf("chaos run: status %s, exit %d; one of %v deleted", journal.Status, code, before)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pods before %v, after %v: want exactly one gone", before, after)
		}
	}
}
