package experiment

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/scenario"
	"github.com/gamedaylab/gameday/sources"
)

func parse(t *testing.T, doc string) *scenario.Experiment {
	t.Helper()
	e, err := scenario.Parse([]byte(strings.ReplaceAll(doc, "\t", "  ")))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// p99 is the default latency panel's p99: the simulation serves it, as Prometheus would.
func p99() string { return sources.DefaultPanels()[2].Queries[0].Expr }

// TestAbortHaltsAtOnce: a sustained breach of an abort probe during the method HALTs within 2 s of
// the breach counting (load stopped), stops the method and ends the run aborted, with the journal
// saying which probe did it.
func TestAbortHaltsAtOnce(t *testing.T) {
	e := parse(t, fmt.Sprintf(`apiVersion: gameday.dev/v1alpha1
kind: Experiment
metadata: {name: abort}
target: deploy/web
hypothesis:
  probes:
  - name: p99
    prometheus: {query: '%s'}
    expect: "< 0.000001"
    phases: [during]
    for: 3s
    abort: true
method:
- action: load
  args: 50 10m
  background: true
- wait: 10m
- note: never reached
`, p99()))
	s := demo(t)
	var out bytes.Buffer
	start := s.Now()
	res := Run(context.Background(), s, e, &out, Options{})
	j := res.Record
	if res.Outcome != Aborted || s.LoadStatus().Active || s.Now().Sub(start) > 2*time.Minute {
		t.Fatalf("outcome %s, load active %v after %s:\n%s", res.Outcome, s.LoadStatus().Active, s.Now().Sub(start), out.String())
	}
	var halt *StepRecord
	for i := range j.Reverts {
		if j.Reverts[i].Args == "abort by p99" {
			halt = &j.Reverts[i]
		}
	}
	if halt == nil || halt.Status != "ok" || halt.End.Sub(halt.Start) > 2*time.Second {
		t.Fatalf("no HALT within 2 s of the breach: %+v\n%s", j.Reverts, out.String())
	}
	if len(j.Verdicts) == 0 || j.Verdicts[len(j.Verdicts)-1].Status != StatusAborted || !strings.Contains(j.Reason, "probe p99 (abort: true) breached") {
		t.Fatalf("verdicts %+v, reason %q", j.Verdicts, j.Reason)
	}
	if st := j.Steps[len(j.Steps)-1]; st.Status != StepSkipped || j.Steps[1].Status != StepInterrupted {
		t.Fatalf("the method went on after the abort: %+v", j.Steps)
	}
}

// scripted is a probe that holds or not as its script says, one entry per check.
type scripted struct {
	mu     sync.Mutex
	held   []bool
	noData int // the first noData checks see nothing
	n      int
}

func (s *scripted) observe(context.Context, time.Time) (observation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.held[min(s.n, len(s.held)-1)]
	s.n++
	if s.n <= s.noData {
		return observation{value: math.NaN()}, fmt.Errorf("%w: the query returned no samples", errNoData)
	}
	return observation{held: h, value: math.NaN(), seen: fmt.Sprintf("check %d", s.n)}, nil
}

// TestDuringWithoutData: a during-probe with onNoData: inconclusive whose first checks saw nothing
// (a rate window not yet filled) but which held whenever it saw data holds, and says how many checks
// had none; one that never saw data is inconclusive, and so is the run.
func TestDuringWithoutData(t *testing.T) {
	for _, c := range []struct {
		name          string
		noData        int
		want, outcome string
	}{
		{"data after the start", 2, StatusHeld, Held},
		{"never any data", 100, StatusInconclusive, Inconclusive},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := demo(t)
			p := scenario.Probe{Name: "x", Expect: "< 1", Phases: []string{"during"}, OnNoData: "inconclusive"}
			r := &runner{s: s, e: &scenario.Experiment{Hypothesis: scenario.Hypothesis{Probes: []scenario.Probe{p}}}, out: &bytes.Buffer{},
				o: Options{Tick: 5 * time.Second, Reverts: context.Background()}, outcome: Held, j: &RunRecord{},
				probes: map[string]prober{"x": &scripted{held: []bool{true}, noData: c.noData}}}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			stop := r.watch(ctx, cancel)
			r.sleep(context.Background(), 30*time.Second)
			stop()
			v := r.j.Verdicts[0]
			if v.Status != c.want || r.outcome != c.outcome || c.want == StatusHeld && !strings.Contains(v.Observed, "2 of ") {
				t.Fatalf("verdict %+v, outcome %s:\n%s", v, r.outcome, strings.Join(r.j.Lines, "\n"))
			}
		})
	}
}

// TestForWindow: breaches shorter than the probe's `for` do not count (the verdict holds and says
// they happened); one that lasts counts once, and without abort the method is not stopped.
func TestForWindow(t *testing.T) {
	for _, c := range []struct {
		name   string
		script []bool
		want   string
	}{
		{"short breaches", []bool{true, false, false, true, false, true, true, true, true, true, true, true}, StatusHeld},
		{"sustained", []bool{true, false, false, false, false, false, true, true, true, true, true, true}, StatusFailed},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := demo(t)
			// Ticks of 5 s of the demo's clock (250 ms of wall time) and a window of 2.5 ticks: a loaded
			// machine delaying a check by up to half a tick does not change the verdict.
			p := scenario.Probe{Name: "x", Expect: "< 1", Phases: []string{"during"}, For: config.Duration{Duration: 12500 * time.Millisecond}}
			r := &runner{s: s, e: &scenario.Experiment{Hypothesis: scenario.Hypothesis{Probes: []scenario.Probe{p}}}, out: &bytes.Buffer{},
				o: Options{Tick: 5 * time.Second, Reverts: context.Background()}, outcome: Held, j: &RunRecord{},
				probes: map[string]prober{"x": &scripted{held: c.script}}}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			stop := r.watch(ctx, cancel)
			r.sleep(context.Background(), 57*time.Second)
			stop()
			v := r.j.Verdicts[0]
			if v.Status != c.want || ctx.Err() != nil || (c.want == StatusHeld) != (r.outcome == Held) || v.Breaches == 0 {
				t.Fatalf("verdict %+v, outcome %s, method stopped %v:\n%s", v, r.outcome, ctx.Err() != nil, strings.Join(r.j.Lines, "\n"))
			}
		})
	}
}

// TestMaxDisrupted: a kill that would leave more of the target's pods down than guard.maxDisrupted
// is refused before it runs; within the limit it runs.
func TestMaxDisrupted(t *testing.T) {
	doc := `apiVersion: gameday.dev/v1alpha1
kind: Experiment
metadata: {name: blast}
guard: {maxDisrupted: "%s"}
target: deploy/web
method:
- action: kill
  args: "2"
`
	s := demo(t)
	var out bytes.Buffer
	res := Run(context.Background(), s, parse(t, fmt.Sprintf(doc, "1")), &out, Options{})
	if res.Outcome != Refused || !strings.Contains(out.String(), "above the experiment's guard.maxDisrupted (1)") ||
		len(s.Timeline()) != 2 || s.Timeline()[0].Result != actions.ResultRefused {
		t.Fatalf("outcome %s, timeline %v:\n%s", res.Outcome, s.Timeline(), out.String())
	}
	// A scale-down takes pods too (it was not counted).
	out.Reset()
	s = demo(t)
	res = Run(context.Background(), s, parse(t, strings.Replace(fmt.Sprintf(doc, "1"), "action: kill\n  args: \"2\"", "action: scale\n  args: \"1\"", 1)), &out, Options{})
	if res.Outcome != Refused || !strings.Contains(out.String(), "2 of deploy/web's 3 pods would be disrupted") {
		t.Fatalf("scale-down: outcome %s:\n%s", res.Outcome, out.String())
	}
	out.Reset()
	s = demo(t)
	if res := Run(context.Background(), s, parse(t, fmt.Sprintf(doc, "67%")), &out, Options{}); res.Outcome != Held || s.Timeline()[0].Action != "kill" {
		t.Fatalf("outcome %s, timeline %v:\n%s", res.Outcome, s.Timeline(), out.String())
	}
}

// TestExpand: the file's vars and $namespace / $workload reach probes and steps; $interval is left
// for the Prometheus backend; a longer name wins over its prefix.
func TestExpand(t *testing.T) {
	e := parse(t, `apiVersion: gameday.dev/v1alpha1
kind: Experiment
metadata: {name: vars}
target: deploy/web
vars: {port: "8080", workload_port: "9090", kill: "30%"}
hypothesis:
  probes:
  - name: h
    http: {url: "http://$workload.$namespace:${port}/x/$workload_port"}
  - name: q
    prometheus: {query: 'rate(x{ns="$namespace"}[$interval])'}
    expect: "> 0"
method:
- action: kill
  args: $kill
`)
	x := expand(e, fakeWhere{})
	if got := x.Hypothesis.Probes[0].HTTP.URL; got != "http://web.shop:8080/x/9090" {
		t.Errorf("url %q", got)
	}
	if got := x.Hypothesis.Probes[1].Prometheus.Query; got != `rate(x{ns="shop"}[$interval])` {
		t.Errorf("query %q", got)
	}
	if x.Method[0].Args != "30%" || e.Method[0].Args != "$kill" {
		t.Errorf("args %q (the original: %q)", x.Method[0].Args, e.Method[0].Args)
	}
}

type fakeWhere struct{}

func (fakeWhere) Namespace() string { return "shop" }
func (fakeWhere) Target() string    { return "web" }

// TestJournalAndJUnit: a run's journal survives a round trip through its file, and its JUnit XML
// has one case per probe per phase and per step, with the failure's observed value.
func TestJournalAndJUnit(t *testing.T) {
	e, err := scenario.Read("../examples/kill-and-recover.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e.Hypothesis.Probes[0].Phases = []string{"before", "after"}
	e.Method[1].Within = config.Duration{Duration: 2 * time.Second}
	e.Hypothesis.Probes[0].Kubernetes.Expr = "object.status.readyReplicas > 5"
	e.Hypothesis.Probes[0].Phases = []string{"after"}
	var out bytes.Buffer
	res := Run(context.Background(), demo(t), e, &out, Options{File: "kill.yaml", Digest: "abc"})
	path := t.TempDir() + "/j.json"
	if err := WriteRunRecord(path, res.Record); err != nil {
		t.Fatal(err)
	}
	back, err := ReadRunRecord(path)
	if err != nil || back.Outcome != Deviated || len(back.Steps) != 3 || back.Steps[2].Status != StepSkipped || back.Digest != "abc" {
		t.Fatalf("%v %+v", err, back)
	}
	b, err := JUnit(back)
	if err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Suites[0]
	names := []string{}
	for _, c := range s.Cases {
		names = append(names, c.Name)
	}
	if s.Tests != 6 || s.Fail != 3 || s.Skipped != 1 || !strings.Contains(strings.Join(names, ","), "probe replicas-ready (step 2),probe replicas-ready (after),step 1: kill 30%,step 2: probe replicas-ready,step 3: note,HALT") {
		t.Fatalf("cases %v, tests %d failures %d skipped %d\n%s", names, s.Tests, s.Fail, s.Skipped, b)
	}
	if !strings.Contains(string(b), `message="observed object.status.readyReplicas &gt; 5 Deployment/web: false; want object.status.readyReplicas &gt; 5"`) ||
		!strings.Contains(string(b), `<property name="sha256" value="abc">`) {
		t.Fatalf("the failure's message or the digest is missing:\n%s", b)
	}
}
