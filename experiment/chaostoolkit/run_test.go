package chaostoolkit

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// script answers activities by name: an output, or an error; it counts calls.
type script struct {
	mu    sync.Mutex
	out   map[string]any
	fail  map[string]bool
	calls []string
	// block, when set, makes that activity wait until ctx is done.
	block string
}

func (s *script) Execute(ctx context.Context, a Activity, _ Vars) (any, string, error) {
	s.mu.Lock()
	s.calls = append(s.calls, a.Name)
	s.mu.Unlock()
	if a.Name == s.block {
		<-ctx.Done()
		return nil, "", ctx.Err()
	}
	if s.fail[a.Name] {
		return nil, "", errors.New(a.Name + " broke")
	}
	return s.out[a.Name], "", nil
}

func (s *script) ran(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if c == name {
			n++
		}
	}
	return n
}

const flow = `title: t
description: d
steady-state-hypothesis:
  title: h
  probes:
    - type: probe
      name: up
      tolerance: true
      provider: {type: http, url: 'http://x'}
method:
  - type: action
    name: act
    provider: {type: http, url: 'http://x'}
  - ref: up
rollbacks:
  - type: action
    name: undo
    provider: {type: http, url: 'http://x'}
`

func runFlow(t *testing.T, s *script, o Options, extra string) *Journal {
	t.Helper()
	e, err := Parse("flow.yaml", []byte(flow+extra))
	if err != nil {
		t.Fatal(err)
	}
	if o.Frequency == 0 {
		o.Frequency = 10 * time.Millisecond
	}
	return Run(context.Background(), e, s, o)
}

// TestOutcomesAsChaoslib: the outcome rules of chaoslib's Runner, each the surprising way it is
// (facts §5): a gate not met skips the method and still completes; an action that fails completes;
// a probe that raised fails the run and skips the default rollbacks; checks during the method
// never deviate.
func TestOutcomesAsChaoslib(t *testing.T) {
	for _, c := range []struct {
		name          string
		s             *script
		o             Options
		extra         string
		status        string
		deviated      bool
		method, undos int
	}{
		{name: "holds", s: &script{out: map[string]any{"up": true}}, status: StatusCompleted, method: 1, undos: 1},
		{name: "gate not met", s: &script{out: map[string]any{"up": false}}, status: StatusCompleted, method: 0, undos: 1},
		{name: "gate probe raised", s: &script{fail: map[string]bool{"up": true}}, status: StatusFailed, method: 0, undos: 0},
		{name: "action failed", s: &script{out: map[string]any{"up": true}, fail: map[string]bool{"act": true}}, status: StatusCompleted, method: 1, undos: 1},
		{name: "never", s: &script{out: map[string]any{"up": true}}, o: Options{RollbackStrategy: "never"}, status: StatusCompleted, method: 1, undos: 0},
		{name: "deviated only, held", s: &script{out: map[string]any{"up": true}}, extra: "runtime:\n  rollbacks: {strategy: deviated}\n", status: StatusCompleted, method: 1, undos: 0},
		{name: "after-method-only", s: &script{out: map[string]any{"up": true}}, o: Options{Strategy: "after-method-only"}, status: StatusCompleted, method: 1, undos: 1},
		{name: "during never deviates", s: &script{out: map[string]any{"up": false}}, o: Options{Strategy: "during-method-only"}, status: StatusCompleted, method: 1, undos: 1},
		{name: "during fail-fast", s: &script{out: map[string]any{"up": false}}, o: Options{Strategy: "during-method-only", FailFast: true}, status: StatusFailed, method: -1, undos: 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			j := runFlow(t, c.s, c.o, c.extra)
			if j.Status != c.status || j.Deviated != c.deviated {
				t.Fatalf("status %s deviated %v, want %s %v", j.Status, j.Deviated, c.status, c.deviated)
			}
			if c.method >= 0 && c.s.ran("act") != c.method {
				t.Fatalf("the method's action ran %d times, want %d", c.s.ran("act"), c.method)
			}
			if c.s.ran("undo") != c.undos {
				t.Fatalf("the rollback ran %d times, want %d", c.s.ran("undo"), c.undos)
			}
		})
	}
}

// TestDeviatedAfterTheMethod: the hypothesis after the method not met deviates the run, completed,
// and the default rollbacks play; the ref in the method ran the hypothesis's probe.
func TestDeviatedAfterTheMethod(t *testing.T) {
	s := &script{out: map[string]any{"up": true}}
	e, err := Parse("flow.yaml", []byte(flow))
	if err != nil {
		t.Fatal(err)
	}
	x := &flip{script: s, after: 2}
	j := Run(context.Background(), e, x, Options{})
	if j.Status != StatusCompleted || !j.Deviated || s.ran("undo") != 1 {
		t.Fatalf("status %s deviated %v undos %d", j.Status, j.Deviated, s.ran("undo"))
	}
	if len(j.Run) != 2 || j.Run[1].Activity["name"] != "up" {
		t.Fatalf("the ref's run entry: %+v", j.Run)
	}
	if j.SteadyStates.After == nil || *j.SteadyStates.After.Met || *j.SteadyStates.After.Probes[0].ToleranceMet {
		t.Fatalf("after: %+v", j.SteadyStates.After)
	}
	if j.ExitCode() != 1 || j.Outcome() != "deviated" {
		t.Fatalf("exit %d outcome %s", j.ExitCode(), j.Outcome())
	}
}

// flip answers "up" true for its first calls, false after.
type flip struct {
	*script
	after, n int
}

func (f *flip) Execute(ctx context.Context, a Activity, v Vars) (any, string, error) {
	if a.Name == "up" {
		f.n++
		f.script.Execute(ctx, a, v)
		return f.n <= f.after, "", nil
	}
	return f.script.Execute(ctx, a, v)
}

// TestInterruptedSkipsDefaultRollbacks: an interrupt mid-method ends interrupted; the entry of the
// activity it stopped has no status; default rollbacks are skipped, always ones play on Reverts.
func TestInterruptedSkipsDefaultRollbacks(t *testing.T) {
	for _, strategy := range []string{"default", "always"} {
		s := &script{out: map[string]any{"up": true}, block: "act"}
		e, _ := Parse("flow.yaml", []byte(flow))
		ctx, cancel := context.WithCancel(context.Background())
		go func() { time.Sleep(50 * time.Millisecond); cancel() }()
		var out strings.Builder
		j := Run(ctx, e, s, Options{RollbackStrategy: strategy, Out: &out})
		want := 0
		if strategy == "always" {
			want = 1
		}
		if j.Status != StatusInterrupted || s.ran("undo") != want || len(j.Run) != 1 || j.Run[0].Status != "" {
			t.Fatalf("%s: status %s, undos %d, run %+v\n%s", strategy, j.Status, s.ran("undo"), j.Run, out.String())
		}
	}
}
