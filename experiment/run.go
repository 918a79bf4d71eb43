// Package experiment runs a scenario against a session: the hypothesis before, the method's steps
// through the action catalog (session.Act, the path every key takes) while the during-probes are
// watched, probe steps that must become true within a time, the hypothesis after, the rollbacks, and
// always HALT at the end, whatever happened. It prints one line per step and probe as it happens and
// keeps a journal of all of it.
package experiment

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/discovery"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/scenario"
	"github.com/gamedaylab/gameday/session"
	"github.com/gamedaylab/gameday/sources"
)

// Outcomes of a run, worst last.
const (
	Held         = "held"         // every probe held before, during the steps and after
	Inconclusive = "inconclusive" // a probe could not be checked (no data, and onNoData: inconclusive)
	Deviated     = "deviated"     // a probe did not hold during or after the method, or a probe step timed out
	Aborted      = "aborted"      // a sustained breach of an abort probe HALTed the run (reverts done)
	Interrupted  = "interrupted"  // a signal stopped the method (reverts done): no verdict
	NotSteady    = "not-steady"   // the hypothesis did not hold before the method: nothing was done
	Failed       = "failed"       // a step could not be carried out (an API error, a timeout): no verdict
	Refused      = "refused"      // preflight: the guard or a step refused
	RevertFailed = "revert-failed"
)

var rank = map[string]int{Held: 0, Inconclusive: 1, Deviated: 2, Aborted: 3, Failed: 4, Interrupted: 5, NotSteady: 6, Refused: 7, RevertFailed: 8}

// Options say where the scenario came from and how the reverts may be stopped.
type Options struct {
	File, Digest, Version string
	// Reverts is the rollbacks' and HALT's context: a second interrupt cancels it, the only way to
	// skip them (nil: they always run).
	Reverts context.Context
	// Tick is how often during-probes are checked, in session time (default 1 s).
	Tick time.Duration
	// Gate, when set, holds the method until it receives (the facilitator pressed the key), and so
	// each manual step; meanwhile the steady state is checked every 5 s. Nil: no waiting, and a
	// manual step is passed with a line saying so (headless).
	Gate <-chan struct{}
	// Write, when set, writes the run's files (journal, JUnit, report) at its end, whichever way it
	// ended; the lines it returns are said ("report PATH") and the last one is the Outcome's Files.
	Write func(j *RunRecord) ([]string, error)
}

// Result is what a run found.
type Result struct {
	Outcome string
	Lines   []string
	Record  *RunRecord
	// WriteErr is Options.Write's error: the run's files are missing.
	WriteErr error
}

// Run runs e on s, writing progress to out. s must be started; Run HALTs it at the end.
func Run(ctx context.Context, s *session.Session, e *scenario.Experiment, out io.Writer, o Options) Result {
	return Start(ctx, s, e, out, o).Wait()
}

// Live is a run under way: the cockpit's runbook reads its snapshot while it runs.
type Live struct {
	r    *runner
	plan Plan
	done chan Result
}

// Start runs e on s in the background (see Run).
func Start(ctx context.Context, s *session.Session, e *scenario.Experiment, out io.Writer, o Options) *Live {
	if o.Reverts == nil {
		o.Reverts = context.Background()
	}
	if o.Tick <= 0 {
		o.Tick = time.Second
	}
	if out == nil {
		out = io.Discard
	}
	e = expand(e, s)
	clock := "wall"
	if s.Sim != nil {
		clock = "simulated"
	}
	r := &runner{s: s, e: e, out: out, o: o, outcome: Held, current: -1, j: &RunRecord{Version: RunRecordVersion, Experiment: e.Metadata.Name,
		Description: e.Metadata.Description, File: o.File, Digest: o.Digest, Gameday: o.Version, Context: s.KubeContext,
		Namespace: s.Namespace(), Target: e.Target, Clock: clock, Start: s.Now(), DryRun: s.DryRun()}}
	for _, p := range e.Hypothesis.Probes {
		r.j.Probes = append(r.j.Probes, define(p))
	}
	l := &Live{r: r, plan: planOf(e), done: make(chan Result, 1)}
	go func() { l.done <- r.do(ctx) }()
	return l
}

// do runs the experiment, then its reverts and its files, whatever happened: a panic in the method
// (a bug of gameday's) stops it like an abort, and the reverts run all the same.
func (r *runner) do(ctx context.Context) Result {
	if m := r.e.Guard.MaxDisrupted; m != "" {
		// The session's guard holds the cap, so every action that takes pods meets it: the method's
		// kills, scale-downs and drains, and the monkey's kills in the background.
		if c, err := actions.ParseCount(m); err == nil {
			r.s.Env.Guard.SetMaxDisrupted(&c)
			defer r.s.Env.Guard.SetMaxDisrupted(nil)
		}
	}
	stopSampling := r.sampleSignals(context.WithoutCancel(ctx), 2*time.Second)
	func() {
		defer func() {
			if p := recover(); p != nil {
				r.set(Aborted, fmt.Sprintf("gameday failed while running the method (a bug, please report it): %v", p))
				r.say("ABORT: gameday failed while running the method: %v; the reverts run", p)
			}
		}()
		r.run(ctx)
	}()
	r.revert()
	stopSampling()
	werr := r.finish()
	return Result{Outcome: r.outcome, Lines: r.j.Lines, Record: r.j, WriteErr: werr}
}

// Wait waits for the run's end.
func (l *Live) Wait() Result {
	res := <-l.done
	l.done <- res
	return res
}

// Snapshot is what a run has done and seen so far.
type Snapshot struct {
	Plan    Plan
	Record  RunRecord // copies of its slices: safe to keep
	Outcome string    // "" while it runs
	Current int       // the method step under way (-1 before the method, len(method) after)
	// Waiting is set while the run waits for the facilitator (Options.Gate): before the method, or at
	// a manual step.
	Waiting bool
	// Latest is each probe's last check.
	Latest map[string]Check
	// Steady is the latest steady-state check (nil before the first): the hypothesis' before-probes.
	Steady    *bool
	SteadyWhy string
	StartedAt time.Time // the method's start (zero before it)
}

// Snapshot copies the run's state.
func (l *Live) Snapshot() Snapshot {
	r := l.r
	r.mu.Lock()
	defer r.mu.Unlock()
	j := *r.j
	j.Verdicts = append([]Verdict(nil), j.Verdicts...)
	j.Steps = append([]StepRecord(nil), j.Steps...)
	j.Reverts = append([]StepRecord(nil), j.Reverts...)
	j.Lines = append([]string(nil), j.Lines...)
	j.Checks = nil // the charts' data: not for the runbook
	sn := Snapshot{Plan: l.plan, Record: j, Current: r.current, Waiting: r.waiting, SteadyWhy: r.steadyWhy, StartedAt: r.methodAt,
		Latest: make(map[string]Check, len(r.latest))}
	for k, v := range r.latest {
		sn.Latest[k] = v
	}
	if r.finished {
		sn.Outcome = r.outcome
	}
	if r.steadyAt != (time.Time{}) {
		v := r.steady
		sn.Steady = &v
	}
	return sn
}

type runner struct {
	s      *session.Session
	e      *scenario.Experiment
	out    io.Writer
	o      Options
	probes map[string]prober

	mu        sync.Mutex
	outcome   string
	j         *RunRecord
	bg        sync.WaitGroup
	current   int
	waiting   bool
	finished  bool
	steady    bool
	steadyWhy string
	steadyAt  time.Time
	methodAt  time.Time
	latest    map[string]Check // each probe's last check (the runbook shows it live)
}

func (r *runner) run(ctx context.Context) {
	s, e := r.s, r.e
	kv := "simulated"
	if s.Sim == nil && s.Env.Client != nil {
		vctx, cancel := context.WithTimeout(ctx, sources.CallTimeout)
		v, err := discovery.ToDiscoveryInterfaceWithContext(s.Env.Client.Discovery()).ServerVersionWithContext(vctx)
		cancel()
		if err == nil {
			kv = v.GitVersion
		} else {
			kv = "unknown (" + err.Error() + ")"
		}
	}
	r.record(func(j *RunRecord) { j.Kubernetes = kv })
	if g := e.Guard.Context; g != "" && g != s.KubeContext {
		r.set(Refused, fmt.Sprintf("the experiment may run in kube context %q, the session is on %q", g, s.KubeContext))
		r.say("refused: the experiment may run in kube context %q, the session is on %q (--context %s)", g, s.KubeContext, g)
		return
	}
	if g := e.Guard.Namespace; g != "" && g != s.Namespace() {
		r.set(Refused, fmt.Sprintf("the experiment may run in namespace %q, the session is in %q", g, s.Namespace()))
		r.say("refused: the experiment may run in namespace %q, the session is in %q (-n %s)", g, s.Namespace(), g)
		return
	}
	if e.Target != "" {
		s.SetTarget(strings.TrimPrefix(e.Target, "deploy/"))
	}
	if r.probes == nil {
		r.probes = map[string]prober{}
	}
	for _, p := range e.Hypothesis.Probes {
		if r.probes[p.Name] != nil {
			continue // given (a test's)
		}
		pr, err := compile(s, p)
		if err != nil {
			r.set(Refused, fmt.Sprintf("probe %s: %v", p.Name, err))
			r.say("refused: probe %s: %v", p.Name, err)
			return
		}
		r.probes[p.Name] = pr
	}
	if r.o.Gate != nil && !r.gate(ctx, "start the method") {
		r.set(Interrupted, "stopped before the method started")
		for i, st := range e.Method {
			r.skip(i, st)
		}
		return
	}
	if !r.hypothesis(ctx, "before") {
		r.set(NotSteady, "the hypothesis did not hold before the method")
		r.say("the hypothesis does not hold before the method: nothing was done")
		for i, st := range e.Method {
			r.skip(i, st)
		}
		return
	}
	method, stop := context.WithCancel(ctx)
	defer stop()
	r.record(func(*RunRecord) { r.methodAt = r.s.Now() })
	watched := sync.OnceFunc(r.watch(method, stop))
	defer watched() // also when the method panics: the watch stops and its verdicts are kept
	for i, st := range e.Method {
		r.record(func(*RunRecord) { r.current = i })
		if method.Err() != nil {
			r.skip(i, st)
			continue
		}
		if !r.step(method, i, st) {
			for k := i + 1; k < len(e.Method); k++ {
				r.skip(k, e.Method[k])
			}
			break
		}
	}
	watched()
	r.record(func(*RunRecord) { r.current = len(e.Method) })
	if ctx.Err() != nil {
		r.set(Interrupted, "interrupted by a signal: the method stopped, the reverts ran")
		r.say("interrupted: the method stopped, the reverts run")
		return
	}
	r.mu.Lock()
	o := r.outcome
	r.mu.Unlock()
	if o == Held || o == Inconclusive || o == Deviated {
		if !r.hypothesis(ctx, "after") {
			r.set(Deviated, "the hypothesis did not hold after the method")
		}
	}
}

// set makes the outcome worse, never better; the first reason is kept.
func (r *runner) set(o, why string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rank[o] > rank[r.outcome] {
		r.outcome = o
		if r.j.Reason == "" || o == Aborted || o == RevertFailed {
			r.j.Reason = why
		}
	}
}

func (r *runner) say(format string, a ...any) {
	line := fmt.Sprintf(format, a...)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.j.Lines = append(r.j.Lines, line)
	fmt.Fprintln(r.out, line)
}

func (r *runner) record(f func(j *RunRecord)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(r.j)
}

// sleep waits d of the session's clock (the simulation's in the demo).
func (r *runner) sleep(ctx context.Context, d time.Duration) {
	until := r.s.Now().Add(d)
	for r.s.Now().Before(until) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
}
