package experiment

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/scenario"
	"github.com/gamedaylab/gameday/session"
)

func demo(t *testing.T) *session.Session {
	t.Helper()
	return demoWith(t, "")
}

// demoWith is the demo with the simulated app's sessions in memory or in redis.
func demoWith(t *testing.T, sessions string) *session.Session {
	t.Helper()
	return demoConfig(t, func(c *config.Config) { c.Demo.Sessions = sessions })
}

// demoConfig is a started demo at 20x, with the config changed by edit, once web's three pods are ready.
func demoConfig(t *testing.T, edit func(*config.Config)) *session.Session {
	t.Helper()
	cfg := config.Default()
	cfg.Demo.Speed = 20
	edit(&cfg)
	s, err := session.New(session.Options{Config: &cfg, Demo: true, Journal: filepath.Join(t.TempDir(), "j.jsonl"), Guard: &actions.Guard{MinReady: 1}})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	t.Cleanup(func() { _ = s.Close() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok := false
		s.Store(func(c *model.Cluster) { d := c.Deployment("demo", "web"); ok = c.Synced && d != nil && d.Ready == 3 })
		if ok {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatal("the demo did not sync")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestKillAndRecoverHolds: the example kills a third of web on the demo and the CEL probe sees the
// replicas back within its minute; the run ends with HALT.
func TestKillAndRecoverHolds(t *testing.T) {
	e, err := scenario.Read("../examples/kill-and-recover.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res := Run(context.Background(), demo(t), e, &out, Options{})
	if res.Outcome != Held || !strings.Contains(out.String(), "step 1: kill 30%: ok") || !strings.Contains(out.String(), "replicas-ready held after") ||
		!strings.Contains(out.String(), "HALT: ") {
		t.Fatalf("outcome %s:\n%s", res.Outcome, out.String())
	}
}

// TestDeviationAndGuard: a probe that cannot hold in time deviates, and a run in the wrong namespace
// is refused before it touches anything; both HALT.
func TestDeviationAndGuard(t *testing.T) {
	e, err := scenario.Read("../examples/kill-and-recover.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e.Hypothesis.Probes[0].Kubernetes.Expr = "object.status.readyReplicas > 5"
	e.Hypothesis.Probes[0].Phases = []string{"after"}
	e.Method[1].Within = config.Duration{Duration: 3 * time.Second}
	var out bytes.Buffer
	if res := Run(context.Background(), demo(t), e, &out, Options{}); res.Outcome != Deviated || !strings.Contains(out.String(), "did not hold within 3s") {
		t.Fatalf("outcome %s:\n%s", res.Outcome, out.String())
	}
	// A load step above guard.maxRate is refused, and nothing is sent.
	e.Guard = scenario.Guard{MaxRate: 100}
	e.Method = append([]scenario.Step{{Action: "load", Args: "ramp:0-400"}}, e.Method...)
	out.Reset()
	s := demo(t)
	if res := Run(context.Background(), s, e, &out, Options{}); res.Outcome != Refused || !strings.Contains(out.String(), "peaks at 400 requests/s, above guard.maxRate 100") ||
		s.LoadStatus().Active || len(s.Timeline()) != 1 {
		t.Fatalf("outcome %s, timeline %v:\n%s", res.Outcome, s.Timeline(), out.String())
	}
	e.Method = e.Method[1:]
	for _, g := range []scenario.Guard{{Namespace: "prod"}, {Context: "prod-eu"}} {
		e.Guard = g
		out.Reset()
		s := demo(t)
		if res := Run(context.Background(), s, e, &out, Options{}); res.Outcome != Refused || len(s.Timeline()) != 1 || s.Timeline()[0].Action != "halt" {
			t.Fatalf("guard %+v: outcome %s, timeline %v:\n%s", g, res.Outcome, s.Timeline(), out.String())
		}
	}
}

// TestSessionLessonOnTheDemo (issue 17): the examples' pair on the simulated cluster: killing a pod
// under session load loses the sessions that lived in it when they are kept in memory (deviates,
// the number said), and none when they are kept in Redis (holds).
func TestSessionLessonOnTheDemo(t *testing.T) {
	for _, tc := range []struct{ store, file, want string }{
		{"memory", "../examples/sessions-in-memory.yaml", Deviated},
		{"redis", "../examples/sessions-in-redis.yaml", Held},
	} {
		t.Run(tc.store, func(t *testing.T) {
			e, err := scenario.Read(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			res := Run(context.Background(), demoWith(t, tc.store), e, &out, Options{})
			if res.Outcome != tc.want {
				t.Fatalf("sessions in %s: outcome %s, want %s:\n%s", tc.store, res.Outcome, tc.want, out.String())
			}
			if tc.store == "memory" && !strings.Contains(out.String(), "sessions lost (of 50 virtual users) = ") {
				t.Fatalf("the deviation does not say how many sessions were lost:\n%s", out.String())
			}
			if tc.store == "redis" && !strings.Contains(out.String(), "sessions lost (of 50 virtual users) = 0") {
				t.Fatalf("the run does not say no session was lost:\n%s", out.String())
			}
		})
	}
}

// boom is a probe whose check panics, as a bug in gameday would.
type boom struct{}

func (boom) observe(context.Context, time.Time) (observation, error) { panic("index out of range") }

// TestPanicStillReverts: a panic in the method (a bug of gameday's) ends the run as an abort, and
// the reverts run all the same: the load started in the background is stopped, HALT is journaled.
func TestPanicStillReverts(t *testing.T) {
	s := demo(t)
	e := parse(t, `apiVersion: gameday.dev/v1alpha1
kind: Experiment
metadata: {name: panics}
target: deploy/web
hypothesis:
  probes:
  - name: boom
    load: {measure: failed}
    expect: "== 0"
    phases: [after]
method:
- action: load
  args: 50 5m
  background: true
- wait: 2s
- probe: boom
`)
	var out bytes.Buffer
	r := &runner{s: s, e: e, out: &out, o: Options{Tick: time.Second, Reverts: context.Background()}, outcome: Held, current: -1,
		j: &RunRecord{Experiment: "panics"}, probes: map[string]prober{"boom": boom{}}}
	res := r.do(context.Background())
	if res.Outcome != Aborted || s.LoadStatus().Active || !strings.Contains(out.String(), "gameday failed while running the method: index out of range") {
		t.Fatalf("outcome %s, load active %v:\n%s", res.Outcome, s.LoadStatus().Active, out.String())
	}
	if n := len(res.Record.Reverts); n == 0 || res.Record.Reverts[n-1].Action != "halt" || !strings.Contains(res.Record.Reverts[n-1].Detail, "stopped load") {
		t.Fatalf("reverts %+v:\n%s", res.Record.Reverts, out.String())
	}
}

// TestBreachStopsTheMonkey: a scenario runs the chaos monkey in the method and an abort probe on the
// replicas: the monkey's first kill breaches it, the HALT that follows stops the monkey, and it
// kills nothing after.
func TestBreachStopsTheMonkey(t *testing.T) {
	s := demoConfig(t, func(c *config.Config) {
		c.Monkey.MTBF, c.Monkey.MinAge = config.Duration{Duration: 20 * time.Second}, config.Duration{}
	})
	e := parse(t, `apiVersion: gameday.dev/v1alpha1
kind: Experiment
metadata: {name: monkey-breach}
target: deploy/web
hypothesis:
  probes:
  - name: all-ready
    kubernetes: {kind: Deployment, name: web, expr: "object.status.?readyReplicas.orValue(0) >= object.spec.replicas"}
    phases: [during]
    abort: true
method:
- action: monkey
  args: on for 30m
- wait: 30m
`)
	var out bytes.Buffer
	res := Run(context.Background(), s, e, &out, Options{})
	kills := s.Monkey.Status().Kills
	if res.Outcome != Aborted || s.Monkey.Running() || kills == 0 || !strings.Contains(out.String(), "ABORT: HALT: ") || !strings.Contains(out.String(), "monkey") {
		t.Fatalf("outcome %s, monkey running %v after %d kills:\n%s", res.Outcome, s.Monkey.Running(), kills, out.String())
	}
	time.Sleep(3 * time.Second) // a minute of the demo's clock: three mean times between kills
	if got := s.Monkey.Status().Kills; got != kills {
		t.Fatalf("the monkey killed %d more after the breach stopped it", got-kills)
	}
}

// TestHTTPProbeOnTheDemo: the demo's services answer http probes as the simulation stands: web
// answers 200 with its JSON before, 503 while every pod is gone, and again once the replacements
// serve.
func TestHTTPProbeOnTheDemo(t *testing.T) {
	e := parse(t, `apiVersion: gameday.dev/v1alpha1
kind: Experiment
metadata: {name: http-on-the-demo}
target: deploy/web
hypothesis:
  probes:
  - name: web-answers
    http: {url: "http://web.demo/api/items", status: [200], jsonPath: ok, equals: "true"}
  - name: healthz
    http: {url: "http://web.demo.svc.cluster.local/healthz", bodyContains: ok}
    phases: [before]
method:
- action: kill
  args: all!
- probe: web-answers
  within: 60s
`)
	var out bytes.Buffer
	res := Run(context.Background(), demo(t), e, &out, Options{})
	var step *Verdict
	for i, v := range res.Record.Verdicts {
		if v.Phase == "step 2" {
			step = &res.Record.Verdicts[i]
		}
	}
	if res.Outcome != Held || step == nil || step.Breaches == 0 || !strings.Contains(out.String(), "before probe healthz: ok (200 in") {
		t.Fatalf("outcome %s, step verdict %+v:\n%s", res.Outcome, step, out.String())
	}
}
