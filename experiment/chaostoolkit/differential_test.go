package chaostoolkit

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/session"
	"github.com/gamedaylab/gameday/testbed"
)

func TestMain(m *testing.M) { os.Exit(testbed.Main(m)) }

// TestSameOutcomeAsTheChaosToolkit (issue 30): each experiment of testdata/ is run by the real
// Chaos Toolkit (`chaos run`, chaosk8s and chaosprometheus against the testbed) and by gameday,
// each on its own namespace holding the same Deployment; the two journals must agree field by
// field: status, deviated, each hypothesis check and each probe's tolerance_met, each activity's
// status, the rollbacks, and how many pods the kills deleted.
func TestSameOutcomeAsTheChaosToolkit(t *testing.T) {
	k := testbed.SharedKube(t)
	ctk := testbed.ChaosToolkitFor(t, k)
	prom := testbed.StartPrometheus(t, 5*time.Second, "")
	for _, c := range []struct {
		file     string
		status   string
		deviated bool
	}{
		{"kill-one-holds.yaml", StatusCompleted, false},
		{"scale-down-deviates.yaml", StatusCompleted, true},
		{"gate-not-met.yaml", StatusCompleted, false},
		{"action-fails.json", StatusCompleted, false},
		{"prometheus-and-http.yaml", StatusCompleted, false},
		{"process.yaml", StatusCompleted, false},
	} {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			src, err := filepath.Abs(filepath.Join("testdata", c.file))
			if err != nil {
				t.Fatal(err)
			}
			differential(t, k, ctk, src, c.status, c.deviated, func(t *testing.T, ns string) []string {
				testbed.DeployApp(t, k.Client, ns, "web", 3, "10m", false, nil)
				testbed.WaitReady(t, k.Client, ns, 3, time.Minute)
				return []string{"prometheus_base_url=" + prom.URL}
			})
		})
	}
}

// differential runs the experiment file src with chaos run and with gameday, each on a namespace
// of its own that setup fills (it returns the --var values the namespace needs beside ns), and
// compares the journals.
func differential(t *testing.T, k *testbed.Kube, ctk *testbed.ChaosToolkit, src, status string, deviated bool, setup func(t *testing.T, ns string) []string) {
	t.Helper()
	stem := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(src), ".yaml"), ".json")
	extra := map[string][]string{}
	vars := func(ns string) []string { return append([]string{"ns=" + ns}, extra[ns]...) }

	theirs := k.Namespace(t, "ctk-"+stem)
	extra[theirs] = setup(t, theirs)
	dir := t.TempDir()
	args := []string{"run", "--journal-path", "journal.json"}
	for _, v := range vars(theirs) {
		args = append(args, "--var", v)
	}
	out, code := ctk.Chaos(t, dir, append(args, src)...)
	ref := readJournal(t, filepath.Join(dir, "journal.json"), out)

	ours := k.Namespace(t, "gd-"+stem)
	extra[ours] = setup(t, ours)
	s := onTestbed(t, k, ours)
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	e, err := ParseAllowing(src, data, true) // as gameday run --allow-process
	if err != nil {
		t.Fatal(err)
	}
	overrides := map[string]any{}
	for _, v := range vars(ours) {
		name, val, _ := ParseVar(v)
		overrides[name] = val
	}
	resolved, err := e.Resolve(nil, overrides)
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	j := Run(context.Background(), e, &SessionExecutor{S: s, AllowProcess: true}, Options{Out: &log, Vars: resolved, Version: "test"})
	p, err := j.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	got := readJournal(t, p, log.String())

	if ref.Status != status || ref.Deviated != deviated {
		t.Fatalf("the Chaos Toolkit ended %s (deviated %v), the test expects %s (%v): the experiment is not what it says\n%s",
			ref.Status, ref.Deviated, status, deviated, out)
	}
	if code != j.ExitCode() {
		t.Errorf("exit: chaos run %d, gameday's strict exit %d", code, j.ExitCode())
	}
	if diff := compareJournals(ref, got); diff != "" {
		var acts strings.Builder
		for _, e := range s.Timeline() {
			fmt.Fprintf(&acts, "%s %s %v %s %s %s\n", e.Action, e.Result, e.Targets, e.Detail, e.Error, e.Patch)
		}
		t.Fatalf("journals differ:\n%s\n--- chaos run:\n%s\n--- gameday:\n%s\n--- gameday's actions:\n%s", diff, out, log.String(), acts.String())
	}
	t.Logf("both %s, deviated %v; gameday:\n%s", got.Status, got.Deviated, log.String())
}

// onTestbed starts a session on the testbed in ns and waits until it has listed the namespace
// (and web, if there is one, is ready).
func onTestbed(t *testing.T, k *testbed.Kube, ns string) *session.Session {
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
	deadline := time.Now().Add(30 * time.Second)
	for {
		ready := false
		s.Store(func(c *model.Cluster) {
			d := c.Deployment(ns, "web")
			ready = c.Synced && (d == nil || d.Ready == d.Desired)
		})
		if ready {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatal("the session did not sync in 30 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func readJournal(t *testing.T, path, log string) *Journal {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no journal: %v\n%s", err, log)
	}
	var j Journal
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatalf("journal %s: %v", path, err)
	}
	return &j
}

// compareJournals lists where two journals disagree on what a run decided.
func compareJournals(want, got *Journal) string {
	var d []string
	check := func(what string, a, b any) {
		if fmt.Sprint(a) != fmt.Sprint(b) {
			d = append(d, fmt.Sprintf("%s: chaos run %v, gameday %v", what, a, b))
		}
	}
	check("status", want.Status, got.Status)
	check("deviated", want.Deviated, got.Deviated)
	check("before", steady(want.SteadyStates.Before), steady(got.SteadyStates.Before))
	check("after", steady(want.SteadyStates.After), steady(got.SteadyStates.After))
	check("during ran", len(want.SteadyStates.During) > 0, len(got.SteadyStates.During) > 0)
	check("run", runs(want.Run), runs(got.Run))
	check("rollbacks", runs(want.Rollbacks), runs(got.Rollbacks))
	return strings.Join(d, "\n")
}

func steady(s *SteadyState) string {
	if s == nil {
		return "none"
	}
	out := fmt.Sprintf("met=%v", s.Met != nil && *s.Met)
	for _, p := range s.Probes {
		out += fmt.Sprintf(" %v:%s:tolerance_met=%v", p.Activity["name"], p.Status, p.ToleranceMet != nil && *p.ToleranceMet)
		if o, ok := p.Output.(map[string]any); ok && o["stdout"] != nil { // a process probe's
			out += fmt.Sprintf(":exit=%v:stdout=%q", o["status"], o["stdout"])
		}
	}
	return out
}

// runs names each run entry, its status and, for a kill, how many pods it deleted.
func runs(list []*RunEntry) string {
	var out []string
	for _, r := range list {
		e := fmt.Sprintf("%v:%s", r.Activity["name"], r.Status)
		if prov, _ := r.Activity["provider"].(map[string]any); prov["type"] == "http" {
			if o, ok := r.Output.(map[string]any); ok {
				e += fmt.Sprintf(":http=%v", o["status"])
			}
		}
		if prov, _ := r.Activity["provider"].(map[string]any); prov["type"] == "process" {
			if o, ok := r.Output.(map[string]any); ok {
				e += fmt.Sprintf(":exit=%v:stdout=%q:stderr=%q", o["status"], o["stdout"], o["stderr"])
			}
		}
		if prov, _ := r.Activity["provider"].(map[string]any); prov["func"] == "terminate_pods" {
			n := 0
			if l, ok := r.Output.([]any); ok {
				n = len(l)
			}
			e += fmt.Sprintf(":killed=%d", n)
		}
		out = append(out, e)
	}
	return strings.Join(out, " ")
}

// TestValidatesAsTheChaosToolkit (issue 30): on every experiment of testdata/ and testdata/others/,
// `gameday validate`'s verdict is `chaos validate`'s: what gameday accepts the Chaos Toolkit
// accepts, and what gameday refuses here the Chaos Toolkit (with chaosk8s and chaosprometheus, and
// nothing else installed) refuses too, but for gameday's own refusals (refused, in functions.go).
func TestValidatesAsTheChaosToolkit(t *testing.T) {
	ours := map[string]string{"tutorial-kill-microservice.json": "which gameday refuses"}
	k := testbed.SharedKube(t)
	ctk := testbed.ChaosToolkitFor(t, k)
	files, _ := filepath.Glob("testdata/*.*")
	others, _ := filepath.Glob("testdata/others/*.*")
	for _, f := range append(files, others...) {
		if strings.HasSuffix(f, ".md") {
			continue
		}
		abs, _ := filepath.Abs(f)
		out, code := ctk.Chaos(t, t.TempDir(), "validate", abs)
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		e, err := ParseAllowing(f, data, true) // as gameday validate --allow-process: chaos validate looks for the executables too
		if err == nil {
			_, err = e.Resolve(nil, nil)
		}
		if why, ok := ours[filepath.Base(f)]; ok {
			if err == nil || !strings.Contains(err.Error(), why) || code != 0 {
				t.Errorf("%s: gameday's own refusal: gameday says %v, chaos validate exits %d", f, err, code)
			}
			continue
		}
		if (err == nil) != (code == 0) {
			t.Errorf("%s: gameday says %v, chaos validate exits %d:\n%s", f, err, code, lastLines(out, 3))
		}
	}
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// TestExportRunsAsTheScenarioSays (issue 30): a gameday scenario exported for the Chaos Toolkit is
// valid for `chaos validate`, and `chaos run` and gameday run it to the same journal.
func TestExportRunsAsTheScenarioSays(t *testing.T) {
	k := testbed.SharedKube(t)
	ctk := testbed.ChaosToolkitFor(t, k)
	prom := testbed.StartPrometheus(t, 5*time.Second, "")
	dir := t.TempDir()
	p := exportFile(t, "export-me.yaml", dir, ExportOptions{PrometheusURL: prom.URL})
	if out, code := ctk.Chaos(t, dir, "validate", p); code != 0 {
		t.Fatalf("chaos validate refuses the export (%d):\n%s", code, out)
	}
	differential(t, k, ctk, p, StatusCompleted, false, func(t *testing.T, ns string) []string {
		testbed.DeployApp(t, k.Client, ns, "web", 3, "10m", false, nil)
		testbed.WaitReady(t, k.Client, ns, 3, time.Minute)
		return []string{"prometheus_base_url=" + prom.URL}
	})
}

// TestIstioFaultsAsTheChaosToolkit (issue 30): chaosistio's abort, added and removed, through a
// real Envoy gateway that a real istiod configures: chaos run and gameday (whose fault is its own
// Istio fault, journaled and reverted by HALT) see the same answers: 200, 503 while aborted, 200.
func TestIstioFaultsAsTheChaosToolkit(t *testing.T) {
	k := testbed.SharedKube(t)
	ctk := testbed.ChaosToolkitFor(t, k)
	mesh := testbed.SharedMesh(t, k)
	src, err := filepath.Abs(filepath.Join("testdata", "istio-abort.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	differential(t, k, ctk, src, StatusCompleted, false, func(t *testing.T, ns string) []string {
		app := testbed.StartDemoapp(t, "web")
		gw := mesh.Expose(t, ns, "web", app.Addr, "/api/item")
		return []string{"gateway=http://" + gw.Addr}
	})
}
