package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"
)

// TestExitCodes (issue 13 items 3 and 4): each exit code of the table, from the real binary. Before,
// all of these exited 1, and an interrupted run said PASS and exited 0.
func TestExitCodes(t *testing.T) {
	t.Parallel() // mostly waits on real servers and its own binary: it runs beside the others that do
	bin := gamedayBinary(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(2 * time.Millisecond)
	}))
	defer srv.Close()
	dir := t.TempDir()
	allowed := filepath.Join(dir, "allowed.yaml")
	if err := os.WriteFile(allowed, []byte("load:\n  targets:\n  - name: api\n    url: "+srv.URL+"/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../../examples/kill-under-load.yaml")
	if err != nil {
		t.Fatal(err)
	}
	badScenario := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badScenario, []byte(strings.Replace(string(example), "kind: Experiment", "kind: Exp", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	abort := filepath.Join(dir, "abort.yaml")
	if err := os.WriteFile(abort, []byte(abortScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	runs := filepath.Join(dir, "runs")
	badConfig, deadKube := filepath.Join(dir, "nan.yaml"), filepath.Join(dir, "dead.kubeconfig")
	if err := os.WriteFile(badConfig, []byte("load: {maxRate: .nan}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// An apiserver that refuses every connection (nothing listens on port 1).
	if err := os.WriteFile(deadKube, []byte(`apiVersion: v1
kind: Config
clusters: [{name: dead, cluster: {server: "https://127.0.0.1:1"}}]
contexts: [{name: dead, context: {cluster: dead, user: u, namespace: demo}}]
current-context: dead
users: [{name: u, user: {token: t}}]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir, "XDG_STATE_HOME="+dir)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), string(out)
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"pass", []string{"load", "--rate", "20", "--duration", "1s", "--max-p99", "5s", srv.URL + "/"}, 0, "result       PASS"},
		{"typo", []string{"lod"}, 2, `unknown command "lod" for "gameday": did you mean "load"?`},
		{"unknown command", []string{"explode"}, 2, `unknown command "explode"`},
		{"bad URL", []string{"load", "--duration", "1s", "127.0.0.1:8080"}, 2, "want an http:// or https:// URL"},
		{"bad flag", []string{"load", "--rate", "lots", srv.URL}, 2, "want a number"},
		{"breached", []string{"load", "--rate", "20", "--duration", "1s", "--max-p99", "1ns", srv.URL + "/"}, 3, "result       FAIL"},
		{"refused target", []string{"load", "--config", allowed, "--duration", "1s", "http://127.0.0.1:9/other"}, 4, "not in load.targets of the config; load goes only to configured targets (allowed: " + srv.URL + "/)"},
		{"allowed without the slash", []string{"load", "--config", allowed, "--duration", "1s", strings.ToUpper(srv.URL[:4]) + srv.URL[4:]}, 0, "nothing checked"},
		{"refused rate", []string{"load", "--rate", "900", "--max-rate", "100", "--duration", "1s", srv.URL + "/"}, 4, "above the configured maximum"},
		{"valid scenario", []string{"validate", "../../examples/kill-under-load.yaml"}, 0, "valid: experiment kill-under-load"},
		{"invalid scenario", []string{"validate", badScenario}, 2, badScenario + ": line 5: kind: want Experiment"},
		// Issue 30: Chaos Toolkit experiments, and scenarios exported as one.
		{"valid Chaos Toolkit experiment", []string{"validate", "../../experiment/chaostoolkit/testdata/kill-one-holds.yaml"}, 0, `valid: Chaos Toolkit experiment "Killing one pod`},
		{"refused Chaos Toolkit experiment", []string{"validate", "../../experiment/chaostoolkit/testdata/others/godemo8-process-kubectl.yaml"}, 2, "runs a process (kubectl): gameday runs processes only with --allow-process"},
		{"processes allowed", []string{"validate", "--allow-process", "../../experiment/chaostoolkit/testdata/process.yaml"}, 0, `valid: Chaos Toolkit experiment "Process probes`},
		{"valid Chaos Mesh pod-kill", []string{"validate", "../../experiment/chaosmesh/testdata/others/podchaos-pod-kill-fixed-percent.yaml"}, 0, "valid: Chaos Mesh PodChaos pg-pod-kill-fixed-percent (pod-kill, mode fixed-percent)"},
		{"refused Chaos Mesh kind", []string{"validate", "../../experiment/chaosmesh/testdata/others/stresschaos-burn-cpu.yaml"}, 2, "gameday does not run StressChaos"},
		{"valid Litmus engine", []string{"validate", "../../experiment/litmus/testdata/others/pod-delete-httpprobe.yaml"}, 0, "valid: Litmus ChaosEngine scoring-service-pod-kill (pod-delete, 1 probes)"},
		{"refused Litmus probe", []string{"validate", "../../experiment/litmus/testdata/others/pod-delete-cmdprobe.yaml"}, 2, "cmdProbe runs a command"},
		{"export", []string{"export", "--format", "chaostoolkit", "../../examples/kill-and-recover.yaml"}, 0, `"func": "terminate_pods"`},
		{"export refused", []string{"export", "--format", "chaostoolkit", "../../examples/kill-under-load.yaml"}, 2, "method[0]: load has no Chaos Toolkit equivalent"},
		{"export without a format", []string{"export", "../../examples/kill-and-recover.yaml"}, 2, "--format is required: chaostoolkit"},
		{"experiment held", []string{"run", "--demo", "--demo-speed", "20", "--out", runs, "--journal", filepath.Join(dir, "run.jsonl"), "../../examples/kill-and-recover.yaml"}, 0, "outcome: held"},
		// At 10x, not 20x: the breach lasts a few simulated seconds and each check takes real time, so
		// under a loaded machine 20x left one check inside it (seen: "1 breaching checks, none lasting 2s").
		{"experiment deviated", []string{"run", "--demo", "--demo-speed", "10", "--out", runs, "../../examples/kill-all-deviates.yaml"}, 3, "outcome: deviated"},
		{"experiment aborted", []string{"run", "--demo", "--demo-speed", "20", "--out", runs, abort}, 5, "ABORT: HALT: stopped load"},
		{"report of no journal", []string{"report", badScenario}, 2, "not a gameday run record"},
		{"experiment invalid", []string{"run", "--demo", badScenario}, 2, "line 5: kind: want Experiment"},
		{"could not run", []string{"load", "--duration", "1s", "--body", "@" + filepath.Join(dir, "missing"), srv.URL + "/"}, 1, "--body"},
		// Issue 29: each of these exited with another code before.
		{"unreachable target", []string{"load", "--rate", "20", "--duration", "1s", "http://127.0.0.1:9/"}, 1, "no target answered: all 20 requests failed (connection refused×20)"},
		{"bad config", []string{"run", "--demo", "--config", badConfig, "../../examples/kill-and-recover.yaml"}, 2, "line 1: load.maxRate: want a finite number, got .nan"},
		{"unwritable --out", []string{"run", "--demo", "--out", filepath.Join(allowed, "sub"), "../../examples/kill-and-recover.yaml"}, 2, "could not be written; nothing ran"},
		{"dead apiserver", []string{"run", "--kubeconfig", deadKube, "--out", runs, "../../examples/kill-and-recover.yaml"}, 1, "cannot reach the cluster (dead) for 15s"},
		{"dry run", []string{"run", "--demo", "--dry-run", "--demo-speed", "20", "--out", filepath.Join(dir, "dry"), "../../examples/kill-and-recover.yaml"}, 0, "outcome: held (DRY RUN: the actions were validated by the API server, nothing was changed)"},
	} {
		code, out := run(c.args...)
		if code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("%s: gameday %v: exit %d, want %d with %q:\n%s", c.name, c.args, code, c.code, c.want, out)
		}
	}

	// gameday report renders a run's report again from its journal.
	journals, _ := filepath.Glob(filepath.Join(runs, "kill-and-recover-*.json"))
	if len(journals) != 1 {
		t.Fatalf("journals %v", journals)
	}
	again := filepath.Join(dir, "again")
	if code, out := run("report", "--out", again, journals[0]); code != 0 || !strings.Contains(out, filepath.Join(again, strings.TrimSuffix(filepath.Base(journals[0]), ".json")+".md")) {
		t.Fatalf("gameday report: exit %d:\n%s", code, out)
	}
	first, _ := os.ReadFile(strings.TrimSuffix(journals[0], ".json") + ".md")
	second, _ := os.ReadFile(filepath.Join(again, strings.TrimSuffix(filepath.Base(journals[0]), ".json")+".md"))
	if len(first) == 0 || string(first) != string(second) {
		t.Fatalf("the report rendered again differs from the run's:\n%s\n---\n%s", first, second)
	}

	// Each run recorded its session (XDG_STATE_HOME), each in its own file though several started in
	// the same second; gameday report turns the held run's recording into a report with its verdicts
	// and the kill's recovery.
	recs, _ := filepath.Glob(filepath.Join(dir, "gameday", "sessions", "*.gdr"))
	if len(recs) < 3 {
		t.Fatalf("recordings %v: want one per experiment run", recs)
	}
	found := false
	for _, r := range recs {
		code, out := run("report", "--out", filepath.Join(dir, "sessions-report"), r)
		if code != 0 {
			t.Fatalf("gameday report %s: exit %d:\n%s", r, code, out)
		}
		md, err := os.ReadFile(strings.TrimSpace(out))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(md), "# Game day report: kill-and-recover") && !strings.Contains(string(md), "**DRY RUN**") {
			found = true
			for _, want := range []string{"**Outcome: HELD**", "| Scenario | ../../examples/kill-and-recover.yaml |", "## Hypothesis", "## Recovery", "## Signals"} {
				if !strings.Contains(string(md), want) {
					t.Errorf("the recording's report lacks %q:\n%s", want, md)
				}
			}
		}
	}
	if !found {
		t.Errorf("no recording's report is kill-and-recover's")
	}

	// The table is in both --help texts and in the README, with every code.
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--help"}, {"load", "--help"}} {
		if _, out := run(args...); !strings.Contains(out, exitCodesHelp) {
			t.Errorf("gameday %v lacks the exit codes:\n%s", args, out)
		}
	}
	for _, code := range []int{exitOK, exitFailed, exitUsage, exitBreached, exitRefused, exitInterrupted} {
		if !strings.Contains(string(readme), fmt.Sprintf("| %d | ", code)) {
			t.Errorf("README's exit code table lacks %d", code)
		}
	}

	// Interrupted: Ctrl-C 2 s into a 30 s run prints the partial report, says so, and exits 130.
	cmd := exec.Command(bin, "load", "--rate", "20", "--duration", "30s", "--max-p99", "5s", srv.URL+"/")
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir, "XDG_STATE_HOME="+dir)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	_ = cmd.Process.Signal(syscall.SIGINT)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 || !strings.Contains(out.String(), "INTERRUPTED after 2s of 30s") ||
		strings.Contains(out.String(), "PASS") || !strings.Contains(out.String(), "requests ") {
		t.Fatalf("interrupted run: %v:\n%s", err, out.String())
	}
}

// TestRunInterrupted: Ctrl-C in the middle of a run with a cordon and load active stops the method,
// runs the reverts (load stopped, the zone uncordoned) and exits 130; a second Ctrl-C skips the
// reverts, says so on the screen and in the journal, and exits 6 (a person must look).
func TestRunInterrupted(t *testing.T) {
	bin := gamedayBinary(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "cordon.yaml")
	scenario := `apiVersion: gameday.dev/v1alpha1
kind: Experiment
metadata: {name: cordon}
target: deploy/web
method:
- action: load
  args: 20 10m
  background: true
- action: cordon
  args: zone eu-west-1a
- wait: 10m
`
	for _, c := range []struct {
		signals int
		code    int
		want    string
		skipped bool
	}{
		{1, 130, "HALT: stopped load; reverted 1: cordon node-a-1,node-a-2", false},
		// A rollback that waits gives the second Ctrl-C something to cut short, as a hung revert would.
		{2, 6, "reverts SKIPPED by a second interrupt", true},
	} {
		doc := scenario
		if c.signals == 2 {
			doc += "rollbacks:\n- wait: 10m\n"
		}
		if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		runs := filepath.Join(dir, fmt.Sprint("runs", c.signals))
		cmd := exec.Command(bin, "run", "--demo", "--out", runs, file)
		cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir, "XDG_STATE_HOME="+dir)
		var out syncBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(out.String(), "step 3: wait 10m") {
			if time.Now().After(deadline) {
				t.Fatalf("the run did not reach its wait:\n%s", out.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		_ = cmd.Process.Signal(syscall.SIGINT)
		if c.signals == 2 {
			for !strings.Contains(out.String(), "rollback 1: wait 10m") {
				if time.Now().After(deadline) {
					t.Fatalf("the rollbacks did not start:\n%s", out.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			_ = cmd.Process.Signal(syscall.SIGINT)
		}
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != c.code || !strings.Contains(out.String(), c.want) {
			t.Fatalf("%d interrupts: %v, want exit %d and %q:\n%s", c.signals, err, c.code, c.want, out.String())
		}
		journals, _ := filepath.Glob(filepath.Join(runs, "cordon-*.json"))
		if len(journals) != 1 {
			t.Fatalf("%d interrupts: journals %v", c.signals, journals)
		}
		b, _ := os.ReadFile(journals[0])
		if strings.Contains(string(b), `"revertsSkipped": true`) != c.skipped {
			t.Fatalf("%d interrupts: the journal's revertsSkipped is not %v:\n%s", c.signals, c.skipped, b)
		}
	}
}

// abortScenario breaches its abort probe as soon as load runs: the run HALTs and exits 5.
const abortScenario = `apiVersion: gameday.dev/v1alpha1
kind: Experiment
metadata: {name: abort}
target: deploy/web
hypothesis:
  probes:
  - name: p99
    prometheus:
      query: histogram_quantile(0.99, sum by (le) (rate(demoapp_http_request_duration_seconds_bucket{namespace="$namespace",app="$workload"}[$interval])))
    expect: "< 0.000001"
    phases: [during]
    for: 2s
    abort: true
method:
- action: load
  args: 50 10m
  background: true
- wait: 10m
`

// TestReadmeListsEveryFlag (issue 13, docs): every flag gameday and gameday load define (not the
// kubectl ones, listed as a group) is in the README.
func TestReadmeListsEveryFlag(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	kube := map[string]bool{}
	fs := pflag.NewFlagSet("kube", pflag.ContinueOnError)
	genericclioptions.NewConfigFlags(true).AddFlags(fs)
	fs.VisitAll(func(f *pflag.Flag) { kube[f.Name] = true })
	for _, cmd := range []*cobra.Command{newRoot(), newLoadCmd()} {
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Hidden || kube[f.Name] || f.Name == "help" {
				return
			}
			if !strings.Contains(string(readme), "--"+f.Name) {
				t.Errorf("README lacks %s --%s", cmd.Name(), f.Name)
			}
		})
	}
}

// syncBuffer is an output both the process and the test read.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
