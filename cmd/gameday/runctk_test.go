package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/testbed"
)

// TestRunAChaosToolkitExperiment (issue 30): gameday run, the real binary, takes a Chaos Toolkit
// experiment as it takes a scenario: the run's namespace comes from the file's ns (given by --var),
// the scale goes through the catalog into gameday's journal, --out gets the Chaos Toolkit's
// journal.json, and the exit is gameday's (3 deviated) or, with --ctk-strict, chaos run's (1).
func TestRunAChaosToolkitExperiment(t *testing.T) {
	t.Parallel() // mostly waits on real servers and its own binary: it runs beside the others that do
	k := testbed.SharedKube(t)
	bin := gamedayBinary(t)
	file, err := filepath.Abs("../../experiment/chaostoolkit/testdata/scale-down-deviates.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		flags []string
		exit  int
	}{
		{"gameday", nil, exitDeviated},
		{"strict", []string{"--ctk-strict"}, exitFailed},
	} {
		t.Run(c.name, func(t *testing.T) {
			ns := k.Namespace(t, "ctk-run")
			deployWeb(t, k.Client, ns, 3, "50m", false)
			waitReady(t, k.Client, ns, 3, 60e9)
			dir := t.TempDir()
			journal := filepath.Join(dir, "actions.jsonl")
			args := append([]string{"run", "--kubeconfig", k.Kubeconfig, "--out", dir, "--journal", journal, "--var", "ns=" + ns}, c.flags...)
			cmd := exec.Command(bin, append(args, file)...)
			cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir, "XDG_STATE_HOME="+dir)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != c.exit {
				t.Fatalf("exit %v, want %d:\n%s", err, c.exit, out)
			}
			for _, w := range []string{"namespace " + ns, "action scale-to-one: succeeded (scale 1)", "experiment ended with status: deviated",
				"action scale-back: succeeded (scale 3)", "journal " + filepath.Join(dir, "journal.json")} {
				if !strings.Contains(string(out), w) {
					t.Fatalf("output lacks %q:\n%s", w, out)
				}
			}
			var j struct {
				Status   string `json:"status"`
				Deviated bool   `json:"deviated"`
			}
			b, err := os.ReadFile(filepath.Join(dir, "journal.json"))
			if err != nil || json.Unmarshal(b, &j) != nil || j.Status != "completed" || !j.Deviated {
				t.Fatalf("journal.json: %v %+v", err, j)
			}
			scales := 0
			for _, e := range readEntries(t, journal) {
				if e.Action == actions.Scale && e.Result == actions.ResultOK {
					scales++
				}
			}
			if scales != 2 {
				t.Fatalf("%d scales in gameday's journal, want 2 (the method's, the rollback's)", scales)
			}
		})
	}
}

func readEntries(t *testing.T, path string) []actions.Entry {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []actions.Entry
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var e actions.Entry
		if json.Unmarshal([]byte(l), &e) == nil {
			out = append(out, e)
		}
	}
	return out
}
