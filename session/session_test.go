package session

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/testbed"
)

func TestMain(m *testing.M) { os.Exit(testbed.Main(m)) }

// killAndRecover kills one pod of the target through the session, with no terminal anywhere, and
// waits for the recovery stopwatch: the result comes back, the bus carries both the kill and the
// recovery, and the journal on disk has both entries.
func killAndRecover(t *testing.T, s *Session, within time.Duration) Recovery {
	t.Helper()
	sub := s.Bus.Subscribe("test", 4096)
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	s.Start(ctx)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	waitFor(t, within, "the target's pods to be ready", func() bool {
		ready := false
		ns, target := s.Namespace(), s.Target()
		s.Store(func(c *model.Cluster) {
			d := c.Deployment(ns, target)
			ready = c.Synced && d != nil && d.Ready > 0 && d.Ready == d.Desired
		})
		return ready
	})
	r, err := s.Act(ctx, "kill", "1")
	if err != nil || r.Entry.Action != "kill" || r.Entry.Result != actions.ResultOK || len(r.Entry.Targets) != 1 {
		t.Fatalf("kill: %+v, %v", r, err)
	}
	waitFor(t, within, "the recovery", func() bool { return len(s.Recoveries()) > 0 })
	rec := s.Recoveries()[0]
	if rec.TimedOut || rec.Recovered <= 0 || rec.Ready <= 0 || rec.Replacement == "" || rec.Kill.Targets[0] != r.Entry.Targets[0] {
		t.Fatalf("recovery %+v", rec)
	}
	var onBus []string
	for _, e := range sub.Drain() {
		if res, ok := e.Payload.(actions.Result); ok {
			onBus = append(onBus, string(res.Entry.Action))
		}
	}
	if !slices.Contains(onBus, "kill") || !slices.Contains(onBus, "recovery") {
		t.Fatalf("bus carried actions %v, want kill and recovery", onBus)
	}
	entries := readJournal(t, s.Journal())
	var kill, recovery *actions.Entry
	for i := range entries {
		switch entries[i].Action {
		case "kill":
			kill = &entries[i]
		case "recovery":
			recovery = &entries[i]
		}
	}
	if kill == nil || recovery == nil || recovery.Recovery == "" || recovery.Targets[0] != kill.Targets[0] {
		t.Fatalf("journal %+v", entries)
	}
	return rec
}

func TestHeadlessKillOnTheSimulatedCluster(t *testing.T) {
	cfg := config.Default()
	cfg.Demo.Speed = 20
	s, err := New(Options{Config: &cfg, Demo: true, Journal: filepath.Join(t.TempDir(), "journal.jsonl"),
		Guard: &actions.Guard{MinReady: 1}, User: "tester"})
	if err != nil {
		t.Fatal(err)
	}
	rec := killAndRecover(t, s, 30*time.Second)
	t.Logf("simulated recovery: scheduled +%s, ready +%s, recovered +%s (simulated time)", rec.Scheduled, rec.Ready, rec.Recovered)
}

func TestHeadlessKillOnTheTestbed(t *testing.T) {
	k := testbed.SharedKube(t)
	ns := k.Namespace(t, "session")
	testbed.DeployWeb(t, k.Client, ns, 3, "100m", false)
	s, err := New(Options{Kube: &Kube{Rest: k.Config, Context: "testbed", Namespace: ns}, Target: "web",
		Journal: filepath.Join(t.TempDir(), "journal.jsonl"), Guard: &actions.Guard{MinReady: 1}, User: "tester"})
	if err != nil {
		t.Fatal(err)
	}
	rec := killAndRecover(t, s, 90*time.Second)
	if rec.APIReady.IsZero() {
		t.Fatalf("the API's ready time is missing: %+v", rec)
	}
	t.Logf("testbed recovery: scheduled +%s, ready +%s, recovered +%s", rec.Scheduled, rec.Ready, rec.Recovered)
}

// TestCloseRunsHalt: load running when the session closes is stopped and journaled as a halt.
func TestCloseRunsHalt(t *testing.T) {
	cfg := config.Default()
	s, err := New(Options{Config: &cfg, Demo: true, Journal: filepath.Join(t.TempDir(), "journal.jsonl"), Guard: &actions.Guard{MinReady: 1}})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	if _, err := s.Act(context.Background(), "load", "ramp:0-50"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s.Env.Load.Status().Active {
		t.Fatal("load still runs after Close")
	}
	var got []string
	for _, e := range readJournal(t, s.Journal()) {
		got = append(got, string(e.Action))
	}
	if len(got) != 2 || got[0] != "load-start" || got[1] != "halt" {
		t.Fatalf("journal %v", got)
	}
}

// startDemo starts a session on the simulated cluster (speed 0: the default; target "": the demo's),
// waits until its cluster is listed, and closes it at the test's end.
func startDemo(t *testing.T, speed float64, target string) *Session {
	t.Helper()
	cfg := config.Default()
	if speed > 0 {
		cfg.Demo.Speed = speed
	}
	s, err := New(Options{Config: &cfg, Demo: true, Target: target, Journal: filepath.Join(t.TempDir(), "journal.jsonl"),
		Guard: &actions.Guard{MinReady: 1}, User: "tester"})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	t.Cleanup(func() { _ = s.Close() })
	waitFor(t, 10*time.Second, "the cluster", func() bool {
		synced := false
		s.Store(func(c *model.Cluster) { synced = c.Synced && len(c.Nodes) > 0 })
		return synced
	})
	return s
}

// startOnTestbed starts a session on the testbed's namespace ns aimed at deploy/web (cfg nil: the
// defaults) and closes it at the test's end.
func startOnTestbed(t *testing.T, k *testbed.Kube, ns string, cfg *config.Config) *Session {
	t.Helper()
	s, err := New(Options{Config: cfg, Kube: &Kube{Rest: k.Config, Context: "testbed", Namespace: ns}, Target: "web",
		Journal: filepath.Join(t.TempDir(), "journal.jsonl"), Guard: &actions.Guard{}, User: "tester"})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func readJournal(t *testing.T, path string) []actions.Entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []actions.Entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e actions.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// TestEveryCommandRunsHeadless: every action of the catalog runs through Act, the path scenario steps
// take, on the simulated cluster with no terminal: each is journaled with the catalog's name, a drain
// continues by itself until its evictions are done, and HALT reverts the cordon.
func TestEveryCommandRunsHeadless(t *testing.T) {
	s := startDemo(t, 20, "")
	ctx := context.Background()
	var zone string
	s.View(func(w actions.World) { zone = actions.Zones(w.Cluster)[0] })
	steps := [][2]string{{"scale", "+1"}, {"kill", "1"}, {"restart", ""}, {"load", "ramp:0-40"}, {"rate", "+10"}, {"unload", ""},
		{"cordon", "zone " + zone}, {"uncordon", "zone " + zone}, {"drain", "zone " + zone + "!"}, {"note", "zone " + zone + " drained by hand"}}
	for _, st := range steps {
		r, err := s.Act(ctx, st[0], st[1])
		if err != nil || r.Entry.Result != actions.ResultOK {
			t.Fatalf(":%s %s: %+v, %v", st[0], st[1], r, err)
		}
	}
	waitFor(t, 20*time.Second, "the drain to end by itself", func() bool {
		for _, e := range s.Timeline() {
			if e.Action == "drain-done" {
				return true
			}
		}
		return false
	})
	if _, err := s.Act(ctx, "halt", ""); err != nil {
		t.Fatal(err)
	}
	if n := s.Injected.Len(); n != 0 {
		t.Fatalf("HALT left %d injected", n)
	}
	if _, err := s.Act(ctx, "kill", "lots"); err == nil {
		t.Fatal(":kill lots was accepted")
	}
	// The simulated cluster has no Istio: a fault is refused saying so (TestFaultThroughARealMesh
	// runs it through a real istiod and Envoy), and there is none to revert.
	if r, _ := s.Act(ctx, "fault", "web abort 500 30%"); r.Entry.Result != actions.ResultRefused || !strings.Contains(r.Entry.Error, "Istio") {
		t.Fatalf(":fault in the demo: %+v", r)
	}
	if r, _ := s.Act(ctx, "unfault", "all"); r.Entry.Result != actions.ResultError || !strings.Contains(r.Entry.Error, "no active fault") {
		t.Fatalf(":unfault in the demo: %+v", r)
	}
	// The demo's monkey names its target: a skip while it is off is refused; on, skip, off.
	if r, _ := s.Act(ctx, "monkey", "skip"); r.Entry.Result != actions.ResultRefused {
		t.Fatalf(":monkey skip while off: %+v", r)
	}
	if r, _ := s.Act(ctx, "monkey", "on for 1m"); r.Entry.Result != actions.ResultOK || !s.Monkey.Running() {
		t.Fatalf(":monkey on in the demo: %+v", r)
	}
	waitFor(t, 5*time.Second, "the monkey's first kill to be scheduled", func() bool { return s.Monkey.Status().Next != "" })
	if r, _ := s.Act(ctx, "monkey", "skip"); r.Entry.Result != actions.ResultOK || !strings.Contains(r.Entry.Detail, "demo/web") {
		t.Fatalf(":monkey skip in the demo: %+v", r)
	}
	if r, _ := s.Act(ctx, "monkey", "off"); r.Entry.Result != actions.ResultOK || s.Monkey.Running() {
		t.Fatalf(":monkey off in the demo: %+v", r)
	}
	var got []string
	for _, e := range readJournal(t, s.Journal()) {
		got = append(got, string(e.Action))
	}
	if s.LoadStatus().Active {
		t.Fatal(":unload left the load running")
	}
	want := []string{"scale", "kill", "restart", "load-start", "load-rate", "load-stop", "cordon", "uncordon", "drain", "drain-done", "halt"}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Fatalf("journal %v lacks %s", got, w)
		}
	}
	for _, spec := range actions.Catalog() {
		if spec.Command != "" && !slices.Contains(got, string(spec.Name)) {
			t.Errorf("command :%s (%s) was not exercised", spec.Command, spec.Name)
		}
	}
}

// TestHaltStopsADrainUnderWay: a drain that a disruption budget holds back goes on by itself until
// HALT, which ends it (journaled as stopped by HALT, no eviction after) and uncordons its nodes. On a
// control plane of its own: it cordons nodes.
func TestHaltStopsADrainUnderWay(t *testing.T) {
	k := testbed.PrivateKube(t)
	ns := k.Namespace(t, "drainhalt")
	testbed.DeployWeb(t, k.Client, ns, 3, "50m", true)
	ctx := context.Background()
	testbed.GuardWeb(t, k.Client, ns, 3, 0)
	s, err := New(Options{Kube: &Kube{Rest: k.Config, Context: "testbed", Namespace: ns}, Target: "web",
		Journal: filepath.Join(t.TempDir(), "journal.jsonl"), Guard: &actions.Guard{MinReady: 1}, User: "tester"})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(ctx)
	defer s.Close()
	var zone string
	waitFor(t, 30*time.Second, "the target ready and its zones", func() bool {
		ok := false
		s.View(func(w actions.World) {
			d := w.Cluster.Deployment(ns, "web")
			if zs := actions.Zones(w.Cluster); len(zs) > 0 && d != nil && d.Ready == 3 && len(w.Cluster.PDBs) > 0 {
				zone, ok = zs[0], true
			}
		})
		return ok
	})
	sub := s.Bus.Subscribe("test", 4096)
	if r, err := s.Act(ctx, "drain", "zone "+zone+"!"); err != nil || r.Entry.Result != actions.ResultOK {
		t.Fatalf("drain: %+v, %v", r, err)
	}
	blocked := 0
	waitFor(t, 30*time.Second, "two eviction rounds held back by the budget", func() bool {
		for _, e := range sub.Drain() {
			if p, ok := e.Payload.(actions.DrainProgress); ok && len(p.Blocked) > 0 {
				blocked++
			}
		}
		return blocked >= 2
	})
	if _, err := s.Act(ctx, "halt", ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the drain to stop", func() bool {
		for _, e := range s.Timeline() {
			if e.Action == "drain-done" {
				return true
			}
		}
		return false
	})
	var done actions.Entry
	for _, e := range s.Timeline() {
		if e.Action == "drain-done" {
			done = e
		}
	}
	if !strings.Contains(done.Detail, "stopped: HALT") {
		t.Fatalf("drain-done %+v, want stopped by HALT", done)
	}
	time.Sleep(2 * time.Second) // a drain still stepping would publish again
	for _, e := range sub.Drain() {
		if p, ok := e.Payload.(actions.DrainProgress); ok && !p.Done {
			t.Fatalf("the drain went on after HALT: %+v", p)
		}
	}
	nodes, err := k.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes.Items {
		if n.Spec.Unschedulable {
			t.Fatalf("HALT left %s cordoned", n.Name)
		}
	}
}

// TestTargetThatDoesNotExist (issue 13 item 6): --target naming no Deployment is said once the cluster
// is listed, and load aimed at it is refused (the graphs would plot someone else's traffic).
func TestTargetThatDoesNotExist(t *testing.T) {
	s := startDemo(t, 0, "nosuch")
	ctx := context.Background()
	if got := s.CheckWhere(ctx); !strings.Contains(got, `deploy/nosuch not found in namespace "demo"`) {
		t.Fatalf("CheckWhere: %q", got)
	}
	r, err := s.Act(ctx, "load", "")
	if !errors.Is(err, model.ErrRefused) || r.Entry.Result != actions.ResultRefused || s.Env.Load.Status().Active {
		t.Fatalf("load at a missing target: %+v, %v", r, err)
	}
	s.SetTarget("web")
	if got := s.CheckWhere(ctx); got != "" {
		t.Fatalf("CheckWhere with deploy/web: %q", got)
	}
}

// TestKillOfManyReportsEveryReplacement (issue 13 item 9): a kill of two pods waits for two
// replacements and says when the first and when all were ready.
func TestKillOfManyReportsEveryReplacement(t *testing.T) {
	s := startDemo(t, 20, "")
	ctx := context.Background()
	waitFor(t, 10*time.Second, "the target ready", func() bool {
		ok := false
		s.Store(func(c *model.Cluster) { d := c.Deployment("demo", "web"); ok = c.Synced && d != nil && d.Ready == 3 })
		return ok
	})
	if r, err := s.Act(ctx, "kill", "2"); err != nil || len(r.Entry.Targets) != 2 {
		t.Fatalf("kill 2: %+v, %v", r, err)
	}
	waitFor(t, 30*time.Second, "the recovery", func() bool { return len(s.Recoveries()) > 0 })
	rec := s.Recoveries()[0]
	if rec.Killed != 2 || rec.Replacements != 2 || rec.AllReady < rec.Ready || rec.AllReady <= 0 {
		t.Fatalf("recovery %+v", rec)
	}
	var detail string
	for _, e := range s.Timeline() {
		if e.Action == "recovery" {
			detail = e.Detail
		}
	}
	if !strings.HasPrefix(detail, "recovered in ") || !strings.Contains(detail, "2 replacements, first ready +") || !strings.Contains(detail, "all ready +") {
		t.Fatalf("recovery detail %q", detail)
	}
}

// TestWhatAPaneOpensComesOnTheBus (issue 12): a waterfall, its log lines and span names are fetched by
// the session and published, so every subscriber (a recorder) sees what the cockpit looked at; each
// answer names who asked.
func TestWhatAPaneOpensComesOnTheBus(t *testing.T) {
	s := startDemo(t, 0, "")
	ctx := context.Background()
	traces, err := s.TracesBackend.Recent(ctx, sources.TraceQuery{Service: "web", Limit: 1, Lookback: time.Hour})
	if err != nil || len(traces) == 0 {
		t.Fatalf("no trace to open: %v", err)
	}
	sub := s.Bus.Subscribe("recorder", 4096)
	id := traces[0].TraceID
	a := func(seq uint64) sources.Asked { return sources.Asked{By: "c1", Pane: "Traces", Seq: seq} }
	s.FetchTrace(a(1), id)
	s.FetchTraceLogs(a(2), id)
	s.FetchSpanNames(a(3), "web")
	got := map[string]bool{}
	waitFor(t, 10*time.Second, "the three answers", func() bool {
		for _, e := range sub.Drain() {
			switch m := e.Payload.(type) {
			case sources.TraceMsg:
				got["trace"] = m.TraceID == id && len(m.Spans) > 0 && m.Asked == a(1)
			case sources.TraceLogsMsg:
				got["logs"] = m.TraceID == id && m.Err == "" && m.Asked == a(2)
			case sources.SpanNamesMsg:
				got["names"] = m.Service == "web" && len(m.Names) > 0 && m.Asked == a(3)
			}
		}
		return got["trace"] && got["logs"] && got["names"]
	})
}

// TestTimedLoadEndsByItself: a timed load that ends by itself is journaled as load-finished, and the
// session still answers afterwards. Before, journaling it polled the load again under the poll lock:
// the session's ticker deadlocked and the next HALT hung for ever.
func TestTimedLoadEndsByItself(t *testing.T) {
	cfg := config.Default()
	cfg.Demo.Speed = 20
	s, err := New(Options{Config: &cfg, Demo: true, Journal: filepath.Join(t.TempDir(), "journal.jsonl"), Guard: &actions.Guard{MinReady: 1}})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	defer s.Close()
	if _, err := s.Act(context.Background(), "load", "50 1s"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		found := false
		for _, e := range s.Timeline() {
			found = found || e.Action == "load-finished"
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no load-finished: %v", s.Timeline())
		}
		time.Sleep(20 * time.Millisecond)
	}
	done := make(chan struct{})
	go func() {
		_, _ = s.Halt(context.Background())
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("HALT hung after a timed load ended by itself")
	}
}

// TestWindowPivotComesOnTheBus (issue 17): a window picked on a graph is answered with the target
// service's traces that began in it, slowest first, and the window's log lines, in one event.
func TestWindowPivotComesOnTheBus(t *testing.T) {
	s := startDemo(t, 0, "")
	ctx := context.Background()
	waitFor(t, 20*time.Second, "traces in the demo", func() bool {
		l, _ := s.TracesBackend.Recent(ctx, sources.TraceQuery{Service: "web", Limit: 50, Lookback: time.Hour, End: s.Clock.Now()})
		return len(l) >= 20
	})
	end := s.Clock.Now()
	start := end.Add(-30 * time.Second)
	sub := s.Bus.Subscribe("recorder", 4096)
	asked := sources.Asked{By: "c1", Pane: "Traces", Seq: 7}
	s.FetchWindow(asked, start, end)
	var w *sources.WindowMsg
	waitFor(t, 10*time.Second, "the window's answer", func() bool {
		for _, e := range sub.Drain() {
			if m, ok := e.Payload.(sources.WindowMsg); ok {
				w = &m
			}
		}
		return w != nil
	})
	if w.Asked != asked {
		t.Fatalf("the answer is addressed to %+v, not to the asker %+v", w.Asked, asked)
	}
	if w.TracesErr != "" || w.LogsErr != "" || len(w.Traces) == 0 || len(w.Lines) == 0 {
		t.Fatalf("window answer: %d traces (%s), %d lines (%s)", len(w.Traces), w.TracesErr, len(w.Lines), w.LogsErr)
	}
	for i, tr := range w.Traces {
		if tr.Start.Before(start) || tr.Start.After(end) || !slices.Contains(tr.Services, "web") {
			t.Fatalf("trace %d %+v is not web's in the window %s–%s", i, tr, start, end)
		}
		if i > 0 && tr.Duration > w.Traces[i-1].Duration {
			t.Fatalf("not slowest first at %d: %s after %s", i, tr.Duration, w.Traces[i-1].Duration)
		}
	}
	for _, l := range w.Lines {
		if l.Time.Before(start) || l.Time.After(end) {
			t.Fatalf("line %+v outside the window", l)
		}
	}
}

// TestASessionWithoutAGuardKeepsTheConfigsRules (issue 29): a session built without a guard allowed
// everything; it now has the config's safety rules (protected namespaces, the ready minimum, unarmed
// production contexts).
func TestASessionWithoutAGuardKeepsTheConfigsRules(t *testing.T) {
	cfg := config.Default()
	cfg.Safety.ProtectedNamespaces = []string{"payments"}
	s, err := New(Options{Config: &cfg, Demo: true, Journal: filepath.Join(t.TempDir(), "journal.jsonl")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	g := s.Env.Guard
	for _, ns := range []string{"kube-system", "payments"} {
		if err := g.Check(ns); !errors.Is(err, model.ErrRefused) {
			t.Errorf("namespace %s: %v, want refused", ns, err)
		}
	}
	if err := g.CheckRemaining(0, 3, false); !errors.Is(err, model.ErrRefused) {
		t.Errorf("below the ready minimum: %v", err)
	}
	g.Context = "prod-eu"
	if err := g.Check("demo"); !errors.Is(err, model.ErrRefused) {
		t.Errorf("an unarmed production context: %v", err)
	}
}

// TestTheLogSaysWhatHappenedAndNoSecret (issue 29): the operational log has every backend error, each
// action with its result (a refusal, HALT), the session's id on every line, and no credential.
func TestTheLogSaysWhatHappenedAndNoSecret(t *testing.T) {
	cfg := config.Default()
	var buf syncBuf
	s, err := New(Options{Config: &cfg, Demo: true, Journal: filepath.Join(t.TempDir(), "journal.jsonl"),
		Log: slog.New(slog.NewJSONHandler(&buf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s.Start(ctx)
	s.Publish(sources.ErrorMsg{Source: "metrics", Err: `Get "https://admin:hunter2@prom:9090/api": Authorization: Bearer abcdefghijklmnop refused`})
	if _, err := s.Act(ctx, "kill", "pod/nosuch"); err == nil {
		t.Fatal("a kill of no pod was not refused")
	}
	if _, err := s.Act(ctx, "halt", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	log := buf.String()
	for _, want := range []string{`"msg":"session started"`, `"msg":"backend error"`, `"source":"metrics"`, `"action":"halt"`, `"msg":"session ended"`, `"session":"` + s.ID() + `"`} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %s:\n%s", want, log)
		}
	}
	for _, secret := range []string{"hunter2", "abcdefghijklmnop"} {
		if strings.Contains(log, secret) {
			t.Errorf("the log holds a credential (%s):\n%s", secret, log)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		if !strings.Contains(line, `"session":"`+s.ID()+`"`) {
			t.Errorf("a line without the session id: %s", line)
		}
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
