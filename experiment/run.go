// Package experiment runs a scenario against a session: the hypothesis before, the method's steps
// through the action catalog (session.Act, the path every key takes) while the during-probes are
// watched, probe steps that must become true within a time, the hypothesis after, the rollbacks, and
// always HALT at the end, whatever happened. It prints one line per step and probe as it happens and
// keeps a journal of all of it.
package experiment

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/discovery"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/model"
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

// stepFailed is the outcome of a step whose action returned err: refused when the safety rules (or
// the session) refused it, failed when it could not be carried out.
func stepFailed(err error) string {
	if errors.Is(err, model.ErrRefused) {
		return Refused
	}
	return Failed
}

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
	Write func(j *Journal) ([]string, error)
}

// Result is what a run found.
type Result struct {
	Outcome string
	Lines   []string
	Journal *Journal
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
	r := &runner{s: s, e: e, out: out, o: o, outcome: Held, current: -1, j: &Journal{Version: JournalVersion, Experiment: e.Metadata.Name,
		Description: e.Metadata.Description, File: o.File, Digest: o.Digest, Gameday: o.Version, Context: s.KubeContext,
		Namespace: s.Namespace(), Target: e.Target, Clock: clock, Start: s.Now(), DryRun: s.DryRun()}}
	for _, p := range e.Hypothesis.Probes {
		r.j.Probes = append(r.j.Probes, define(p))
	}
	l := &Live{r: r, done: make(chan Result, 1)}
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
	return Result{Outcome: r.outcome, Lines: r.j.Lines, Journal: r.j, WriteErr: werr}
}

// Wait waits for the run's end.
func (l *Live) Wait() Result {
	res := <-l.done
	l.done <- res
	return res
}

// Snapshot is what a run has done and seen so far.
type Snapshot struct {
	Experiment *scenario.Experiment
	Journal    Journal // copies of its slices: safe to keep
	Outcome    string  // "" while it runs
	Current    int     // the method step under way (-1 before the method, len(method) after)
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
	sn := Snapshot{Experiment: r.e, Journal: j, Current: r.current, Waiting: r.waiting, SteadyWhy: r.steadyWhy, StartedAt: r.methodAt,
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
	j         *Journal
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
	r.record(func(j *Journal) { j.Kubernetes = kv })
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
	r.record(func(*Journal) { r.methodAt = r.s.Now() })
	watched := sync.OnceFunc(r.watch(method, stop))
	defer watched() // also when the method panics: the watch stops and its verdicts are kept
	for i, st := range e.Method {
		r.record(func(*Journal) { r.current = i })
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
	r.record(func(*Journal) { r.current = len(e.Method) })
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

// verdicts journals verdicts and publishes them (a recording keeps them for the session's report).
func (r *runner) verdicts(vs ...Verdict) {
	r.record(func(j *Journal) { j.Verdicts = append(j.Verdicts, vs...) })
	for _, v := range vs {
		r.s.Publish(session.Probe{Name: v.Probe, Phase: v.Phase, Time: v.End, Held: v.Met, Value: v.Value, Seen: v.Observed,
			Verdict: v.Status, Tolerance: v.Tolerance, Checks: v.Checks, Breaches: v.Breaches})
	}
}

func (r *runner) record(f func(j *Journal)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(r.j)
}

// hypothesis checks the probes of a phase (a probe without phases is checked before and after).
func (r *runner) hypothesis(ctx context.Context, phase string) bool {
	ok := true
	for _, p := range r.e.Hypothesis.Probes {
		if !inPhase(p, phase) || phase == "during" {
			continue
		}
		start := r.s.Now()
		c := r.check(ctx, p, phase)
		v := verdict(p, phase, start, r.s.Now(), []Check{c})
		r.verdicts(v)
		switch v.Status {
		case StatusInconclusive:
			r.set(Inconclusive, fmt.Sprintf("probe %s could not be checked %s the method: %s", p.Name, phase, c.Err))
		case StatusFailed:
			ok = false
		}
	}
	return ok
}

func inPhase(p scenario.Probe, phase string) bool {
	if len(p.Phases) == 0 {
		return phase == "before" || phase == "after"
	}
	for _, ph := range p.Phases {
		if ph == phase {
			return true
		}
	}
	return false
}

// check runs one probe once, journals the check and says what it saw (quiet: only a breach is said).
func (r *runner) check(ctx context.Context, p scenario.Probe, phase string) Check {
	return r.checkQuiet(ctx, p, phase, false)
}

func (r *runner) checkQuiet(ctx context.Context, p scenario.Probe, phase string, quiet bool) Check {
	now := r.s.Now()
	ctx, cancel := context.WithTimeout(ctx, checkTimeout(p))
	defer cancel()
	o, err := r.probes[p.Name].observe(ctx, now)
	c := Check{Probe: p.Name, Phase: phase, Time: now, Held: o.held && err == nil, Seen: o.seen, Result: CheckBreached}
	if !math.IsNaN(o.value) && err == nil {
		v := o.value
		c.Value = &v
	}
	switch {
	case errors.Is(err, errNoData):
		c.Result, c.Err = CheckNoData, err.Error()
	case err != nil:
		c.Result, c.Err = CheckError, err.Error()
	case c.Held:
		c.Result = CheckHeld
	}
	r.record(func(j *Journal) {
		j.Checks = append(j.Checks, c)
		if r.latest == nil {
			r.latest = map[string]Check{}
		}
		r.latest[p.Name] = c
	})
	r.s.Publish(session.Probe{Name: c.Probe, Phase: c.Phase, Time: c.Time, Held: c.Held, Value: c.Value, Seen: c.Seen, Err: c.Err})
	switch {
	case quiet:
	case gap(p, c):
		r.say("%-6s probe %s: inconclusive (%s): %v", phase, p.Name, c.Result, err)
	case c.Result == CheckNoData:
		r.say("%-6s probe %s: FAILED: %v (no data is a failure: onNoData)", phase, p.Name, err)
	case c.Result == CheckError:
		r.say("%-6s probe %s: FAILED: error: %v (an error is a failure: onError)", phase, p.Name, err)
	case o.held:
		r.say("%-6s probe %s: ok (%s)", phase, p.Name, o.seen)
	case !o.held:
		r.say("%-6s probe %s: FAILED (%s)", phase, p.Name, o.seen)
	}
	return c
}

// checkTimeout bounds one check of p: an HTTP probe's own timeout, else a backend call's; a backend
// that does not answer is an error (onError), never a stop that waits for it.
func checkTimeout(p scenario.Probe) time.Duration {
	if p.HTTP != nil {
		return cmp.Or(p.HTTP.Timeout.Duration, 5*time.Second) + time.Second
	}
	return sources.CallTimeout
}

// gap reports whether a check judges nothing, neither for nor against: no data when the probe's
// onNoData says inconclusive, an error unless its onError says fail.
func gap(p scenario.Probe, c Check) bool {
	switch c.Result {
	case CheckNoData:
		return p.OnNoData == "inconclusive"
	case CheckError:
		return p.OnError != "fail"
	}
	return false
}

// verdict sums the checks of one probe in one phase.
func verdict(p scenario.Probe, phase string, start, end time.Time, checks []Check) Verdict {
	v := Verdict{Probe: p.Name, Phase: phase, Start: start, End: end, Tolerance: tolerance(p), Checks: len(checks), Status: StatusHeld, Met: true}
	var last *Check
	for i := range checks {
		c := &checks[i]
		switch {
		case gap(p, *c):
			if v.Status == StatusHeld {
				v.Status = StatusInconclusive
			}
		case !c.Held:
			v.Breaches++
			if v.Status != StatusFailed {
				v.Status, v.Met, v.Observed, v.Value = StatusFailed, false, seenOf(*c), c.Value
			}
		}
		last = c
	}
	if v.Status == StatusInconclusive {
		v.Met, v.Observed = false, seenOf(*last)
	}
	if v.Status == StatusHeld && last != nil {
		v.Observed, v.Value = seenOf(*last), last.Value
	}
	return v
}

func seenOf(c Check) string {
	switch {
	case c.Result == CheckError:
		return "error: " + c.Err // no data's own text says "no data: ..."
	case c.Err != "":
		return c.Err
	}
	return c.Seen
}

// step runs one method step; false stops the method.
func (r *runner) step(ctx context.Context, i int, st scenario.Step) bool {
	n := i + 1
	rec := StepRecord{N: n, Kind: kindOf(st), Action: st.Action, Args: st.Args, Probe: st.Probe, Background: st.Background, Start: r.s.Now(), Status: actions.ResultOK}
	if st.Wait.Duration > 0 {
		rec.Args = st.Wait.Duration.String()
	}
	done := func(status, detail string) {
		rec.End, rec.Status, rec.Detail = r.s.Now(), status, detail
		r.record(func(j *Journal) { j.Steps = append(j.Steps, rec) })
	}
	if st.Manual {
		if r.o.Gate == nil {
			r.say("step %d: manual step, passed (headless): %s", n, cmp.Or(st.Note, st.Action))
		} else if !r.gate(ctx, fmt.Sprintf("step %d", n)) {
			done(StepInterrupted, "")
			return false
		}
	}
	switch {
	case st.Action != "":
		if why := r.overGuard(st); why != "" {
			r.say("step %d: %s %s: refused by the experiment's guard: %s", n, st.Action, st.Args, why)
			r.set(Refused, fmt.Sprintf("step %d: %s", n, why))
			done(actions.ResultRefused, why)
			return false
		}
		if st.Background {
			r.say("step %d: %s %s: started in the background", n, st.Action, st.Args)
			r.bg.Add(1)
			go func() {
				defer r.bg.Done()
				res, err := r.s.Act(ctx, st.Action, st.Args)
				if err != nil {
					r.say("step %d (background): %s %s: %s", n, st.Action, st.Args, err)
					r.set(stepFailed(err), fmt.Sprintf("step %d: %v", n, err))
					done(res.Entry.Result, err.Error())
					return
				}
				r.say("step %d (background): %s %s: %s %s", n, st.Action, st.Args, res.Entry.Result, res.Entry.Detail)
				if spec, _ := actions.ByCommand(st.Action); spec.Name == "load-start" && res.Entry.Result == actions.ResultOK {
					r.watchScaling(ctx, n)
				}
				done(res.Entry.Result, res.Entry.Detail)
			}()
			return true
		}
		res, err := r.s.Act(ctx, st.Action, st.Args)
		if err != nil {
			r.say("step %d: %s %s: %s", n, st.Action, st.Args, err)
			r.set(stepFailed(err), fmt.Sprintf("step %d: %v", n, err))
			done(cmp.Or(res.Entry.Result, actions.ResultError), err.Error())
			return false
		}
		r.say("step %d: %s %s: %s %s", n, st.Action, st.Args, res.Entry.Result, res.Entry.Detail)
		if spec, _ := actions.ByCommand(st.Action); spec.Name == "load-start" {
			r.watchScaling(ctx, n)
			r.awaitLoad(ctx, n)
		}
		done(res.Entry.Result, res.Entry.Detail)
	case st.Wait.Duration > 0:
		r.say("step %d: wait %s", n, st.Wait.Duration)
		r.sleep(ctx, st.Wait.Duration)
		done(statusOf(ctx), "")
	case st.Probe != "":
		return r.probeStep(ctx, n, st, &rec, done)
	case st.Note != "":
		// Through the catalog, so the note is journaled and marks the graphs and the report like :note.
		res, err := r.s.Act(ctx, "note", st.Note)
		if err != nil {
			r.say("step %d: note: %s", n, err)
			done(cmp.Or(res.Entry.Result, actions.ResultError), err.Error())
			return ctx.Err() == nil
		}
		r.say("step %d: note: %s", n, st.Note)
		done(actions.ResultOK, st.Note)
	}
	return ctx.Err() == nil
}

// probeStep checks a probe at once and then every second until it holds or its time is up.
func (r *runner) probeStep(ctx context.Context, n int, st scenario.Step, rec *StepRecord, done func(string, string)) bool {
	within := st.Within.Duration
	if within <= 0 {
		within = time.Minute
	}
	p := probeOf(r.e, st.Probe)
	phase := fmt.Sprintf("step %d", n)
	start := r.s.Now()
	deadline := start.Add(within)
	var checks []Check
	var first time.Time // when it first held
	for {
		c := r.checkQuiet(ctx, p, phase, true)
		checks = append(checks, c)
		if !c.Held {
			first = time.Time{}
		}
		switch {
		case gap(p, c):
			v := verdict(p, phase, start, r.s.Now(), checks[len(checks)-1:])
			r.verdicts(v)
			r.set(Inconclusive, fmt.Sprintf("step %d: probe %s could not be checked: %s", n, p.Name, c.Err))
			done(StatusInconclusive, c.Err)
			return true
		case c.Held && first.IsZero():
			// Confirmed a second later: right after an action the API may still show the state before
			// it (a Deployment's status lags its pods), and that must not pass for a recovery.
			first = c.Time
		case c.Held:
			took := first.Sub(start).Round(100 * time.Millisecond)
			v := verdict(p, phase, start, r.s.Now(), checks[len(checks)-1:])
			v.Checks, v.Breaches = len(checks), len(checks)-1
			r.verdicts(v)
			r.say("step %d: %s held after %s (within %s; still held 1s later): %s", n, st.Probe, took, within, c.Seen)
			done(actions.ResultOK, fmt.Sprintf("held after %s", took))
			return true
		}
		if first.IsZero() && !r.s.Now().Before(deadline) || ctx.Err() != nil {
			v := verdict(p, phase, start, r.s.Now(), checks)
			r.verdicts(v)
			if ctx.Err() != nil {
				done(StepInterrupted, "")
				return false
			}
			r.say("step %d: %s did not hold within %s (%s)", n, st.Probe, within, seenOf(c))
			r.set(Deviated, fmt.Sprintf("step %d: %s did not hold within %s", n, st.Probe, within))
			done(StepDeviated, fmt.Sprintf("did not hold within %s: %s", within, seenOf(c)))
			return false
		}
		r.sleep(ctx, time.Second)
	}
}

func (r *runner) skip(i int, st scenario.Step) {
	r.record(func(j *Journal) {
		j.Steps = append(j.Steps, StepRecord{N: i + 1, Kind: kindOf(st), Action: st.Action, Args: st.Args, Status: StepSkipped})
	})
}

func kindOf(st scenario.Step) string {
	switch {
	case st.Action != "":
		return "action"
	case st.Wait.Duration > 0:
		return "wait"
	case st.Probe != "":
		return "probe"
	}
	return "note"
}

func statusOf(ctx context.Context) string {
	if ctx.Err() != nil {
		return StepInterrupted
	}
	return actions.ResultOK
}

// gate waits for the facilitator, checking the steady state every 5 s meanwhile; false when the run
// was stopped instead.
func (r *runner) gate(ctx context.Context, what string) bool {
	r.say("waiting for the facilitator to %s", what)
	r.record(func(*Journal) { r.waiting = true })
	defer r.record(func(*Journal) { r.waiting = false })
	steady := time.NewTicker(5 * time.Second)
	defer steady.Stop()
	r.checkSteady(ctx)
	for {
		select {
		case <-r.o.Gate:
			return true
		case <-ctx.Done():
			return false
		case <-steady.C:
			r.checkSteady(ctx)
		}
	}
}

// checkSteady checks the before-probes quietly and keeps the answer for the runbook and the gate.
func (r *runner) checkSteady(ctx context.Context) {
	ok, why := true, ""
	for _, p := range r.e.Hypothesis.Probes {
		if !inPhase(p, "before") {
			continue
		}
		now := r.s.Now()
		cctx, cancel := context.WithTimeout(ctx, checkTimeout(p))
		o, err := r.probes[p.Name].observe(cctx, now)
		cancel()
		c := Check{Result: CheckError}
		if errors.Is(err, errNoData) {
			c.Result = CheckNoData
		}
		switch {
		case err != nil && !gap(p, c):
			ok, why = false, fmt.Sprintf("%s: %v", p.Name, err)
		case err == nil && !o.held:
			ok, why = false, fmt.Sprintf("%s: %s", p.Name, o.seen)
		}
		if !ok {
			break
		}
	}
	r.record(func(*Journal) { r.steady, r.steadyWhy, r.steadyAt = ok, why, r.s.Now() })
}

// watchScaling times the target's HPA reacting to a load step, until the method ends: desired
// replicas changed, then ready replicas up to the new desired.
func (r *runner) watchScaling(ctx context.Context, n int) {
	ns, target := r.s.Namespace(), r.s.Target()
	var hpa string
	var from int32
	r.s.Store(func(c *model.Cluster) {
		if h := c.HPAFor(ns, target); h != nil {
			hpa, from = h.Name, h.Desired
		}
	})
	if hpa == "" {
		return
	}
	sc := Scaling{Step: n, HPA: hpa, Start: r.s.Now(), From: from}
	r.bg.Add(1)
	go func() {
		defer r.bg.Done()
		defer r.record(func(j *Journal) { j.Scaling = append(j.Scaling, sc) })
		for ctx.Err() == nil && (sc.DesiredChanged == 0 || sc.Ready == 0) {
			var desired, ready int32
			found := false
			r.s.Store(func(c *model.Cluster) {
				h, d := c.HPAFor(ns, target), c.Deployment(ns, target)
				if h != nil && d != nil {
					desired, ready, found = h.Desired, d.Ready, true
				}
			})
			now := r.s.Now()
			if found && desired != from && sc.DesiredChanged == 0 {
				sc.DesiredChanged = now.Sub(sc.Start)
				r.say("HPA %s: desired %d -> %d after %s", hpa, from, desired, sc.DesiredChanged.Round(100*time.Millisecond))
			}
			sc.To = max(sc.To, desired)
			if sc.DesiredChanged > 0 && sc.Ready == 0 && ready >= desired && desired > from {
				sc.Ready = now.Sub(sc.Start)
				r.say("HPA %s: %d pods ready after %s", hpa, ready, sc.Ready.Round(100*time.Millisecond))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
}

// restores times each breach of each probe to its next held check.
func restores(e *scenario.Experiment, checks []Check) []Restore {
	var out []Restore
	open := map[string]int{} // probe -> index in out of its open breach
	for _, c := range checks {
		i, inBreach := open[c.Probe]
		switch {
		case gap(probeOf(e, c.Probe), c):
		case !c.Held && !inBreach:
			open[c.Probe] = len(out)
			out = append(out, Restore{Probe: c.Probe, Breach: c.Time, Open: true, Checks: 1})
		case !c.Held:
			out[i].Checks++
		case inBreach:
			out[i].Green, out[i].Took, out[i].Open = c.Time, c.Time.Sub(out[i].Breach), false
			delete(open, c.Probe)
		}
	}
	return out
}

func probeOf(e *scenario.Experiment, name string) scenario.Probe {
	for _, p := range e.Hypothesis.Probes {
		if p.Name == name {
			return p
		}
	}
	return scenario.Probe{}
}

// awaitLoad waits for a load run with an end to finish (a step in the foreground); load until
// stopped, or in the background, does not hold the method up.
func (r *runner) awaitLoad(ctx context.Context, n int) {
	l := r.s.LoadStatus()
	if l.Profile.Duration <= 0 {
		return
	}
	r.say("step %d: waiting for the load to finish (%s)", n, l.Profile.Duration)
	for ctx.Err() == nil {
		r.sleep(ctx, 200*time.Millisecond)
		if !r.s.LoadStatus().Active {
			return
		}
	}
}

// overGuard says why a step would go past the experiment's guard ("" when it would not): load above
// guard.maxRate, a kill or drain that would leave more of the target's pods disrupted than
// guard.maxDisrupted.
func (r *runner) overGuard(st scenario.Step) string {
	spec, ok := actions.ByCommand(st.Action)
	if !ok {
		return ""
	}
	ceiling := r.e.Guard.MaxRate
	switch {
	case spec.Name == "load-start" && ceiling > 0:
		step, err := r.s.Prepare(spec, st.Args)
		if err == nil && step.Profile != nil && load.Peak(*step.Profile) > ceiling {
			return fmt.Sprintf("the profile peaks at %.0f requests/s, above guard.maxRate %.0f", load.Peak(*step.Profile), ceiling)
		}
	case spec.Name == "load-rate" && ceiling > 0:
		step, err := r.s.Prepare(spec, st.Args)
		if l := r.s.LoadStatus(); err == nil && l.Active && l.Requested+step.Rate > ceiling {
			return fmt.Sprintf("%.0f requests/s would be above guard.maxRate %.0f", l.Requested+step.Rate, ceiling)
		}
	}
	return ""
}

// sleep waits d of the session's clock (the simulation's in the demo).
func (r *runner) sleep(ctx context.Context, d time.Duration) {
	until := r.s.Now().Add(d)
	for r.s.Now().Before(until) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
}

// revert runs the rollbacks and HALT, unless a second interrupt cancels o.Reverts.
func (r *runner) revert() {
	r.bg.Wait()
	ctx := r.o.Reverts
	skipped := func() bool {
		if ctx.Err() == nil {
			return false
		}
		r.record(func(j *Journal) { j.RevertsSkipped = true })
		r.say("reverts SKIPPED by a second interrupt: load, cordons and faults may be left behind; run gameday revert")
		r.set(RevertFailed, "the reverts were skipped by a second interrupt")
		return true
	}
	for i, st := range r.e.Rollbacks {
		if skipped() {
			return
		}
		rec := StepRecord{N: i + 1, Kind: kindOf(st), Action: st.Action, Args: st.Args, Start: r.s.Now()}
		if st.Wait.Duration > 0 { // e.g. let the cluster settle between two rollback actions
			r.say("rollback %d: wait %s", i+1, st.Wait.Duration)
			r.sleep(ctx, st.Wait.Duration)
			rec.Args, rec.End, rec.Status = st.Wait.Duration.String(), r.s.Now(), statusOf(ctx)
			r.record(func(j *Journal) { j.Reverts = append(j.Reverts, rec) })
			continue
		}
		if st.Action == "" {
			continue
		}
		res, err := r.s.Act(ctx, st.Action, st.Args)
		rec.End, rec.Status, rec.Detail = r.s.Now(), res.Entry.Result, res.Entry.Detail
		if err != nil {
			r.say("rollback %d: %s %s: %s", i+1, st.Action, st.Args, err)
			r.set(RevertFailed, fmt.Sprintf("rollback %d: %v", i+1, err))
			rec.Status, rec.Detail = actions.ResultError, err.Error()
		} else {
			r.say("rollback %d: %s: %s %s", i+1, st.Action, res.Entry.Result, res.Entry.Detail)
		}
		r.record(func(j *Journal) { j.Reverts = append(j.Reverts, rec) })
	}
	if skipped() {
		return
	}
	rec := StepRecord{N: len(r.e.Rollbacks) + 1, Kind: "halt", Action: "halt", Start: r.s.Now()}
	res, err := r.s.Halt(ctx)
	rec.End, rec.Status, rec.Detail = r.s.Now(), res.Entry.Result, res.Entry.Detail
	if err != nil {
		r.say("HALT: %s: a person must look", err)
		r.set(RevertFailed, fmt.Sprintf("HALT: %v", err))
		rec.Status, rec.Detail = actions.ResultError, err.Error()
	} else {
		r.say("HALT: %s", res.Entry.Detail)
	}
	r.record(func(j *Journal) { j.Reverts = append(j.Reverts, rec) })
}

// finish fills the journal's recoveries, load and end, says the outcome and writes the run's files.
func (r *runner) finish() error {
	l := r.s.LoadStatus()
	recs := r.s.Recoveries()
	r.record(func(j *Journal) {
		for _, rc := range recs {
			if rc.Kill.Time.Before(j.Start) {
				continue
			}
			j.Recoveries = append(j.Recoveries, Recovery{Kill: strings.Join(rc.Kill.Targets, " "), Time: rc.Kill.Time, Killed: rc.Killed,
				Replacements: rc.Replacements, FirstReady: rc.Ready, AllReady: rc.AllReady, Recovered: rc.Recovered, TimedOut: rc.TimedOut})
		}
		if l.Sent > 0 {
			j.Load = &Load{Profile: l.Profile.String(), Sent: l.Sent, Completed: l.Completed, Errors: l.Errors, Checks: l.CheckFailures, Success: l.Success,
				P50: l.P50, P99: l.P99, Max: l.Max, ServiceP50: l.ServiceP50, ServiceP99: l.ServiceP99, Elapsed: l.Elapsed}
		}
		sort.SliceStable(j.Checks, func(a, b int) bool { return j.Checks[a].Time.Before(j.Checks[b].Time) })
		j.Restores = restores(r.e, j.Checks)
		j.End = r.s.Now()
		if st, ok := r.s.Recording(); ok {
			j.Recording = st.Incomplete()
		}
	})
	if b := r.e.Hypothesis.ErrorBudget; b > 0 && l.Completed > 0 {
		bud := &Budget{Allowed: b, Requests: l.Completed, Failed: l.Errors, Burned: float64(l.Errors) / (b * float64(l.Completed))}
		r.record(func(j *Journal) { j.Budget = bud })
		if bud.Burned > 1 {
			r.set(Deviated, fmt.Sprintf("the error budget is spent: %d of %d requests failed (%.2f%%), the budget allows %.2f%%",
				bud.Failed, bud.Requests, 100*float64(bud.Failed)/float64(bud.Requests), 100*b))
		}
		r.say("error budget: %d of %d requests failed, %.0f%% of the %.2f%% budget burned", bud.Failed, bud.Requests, 100*bud.Burned, 100*b)
	}
	var o session.Outcome
	r.record(func(j *Journal) {
		j.Outcome = r.outcome
		o = session.Outcome{Experiment: j.Experiment, File: j.File, Outcome: j.Outcome, Reason: j.Reason, DryRun: j.DryRun}
	})
	if r.j.DryRun {
		r.say("outcome: %s (DRY RUN: the actions were validated by the API server, nothing was changed)", r.outcome)
	} else {
		r.say("outcome: %s", r.outcome)
	}
	var werr error
	if r.o.Write != nil {
		// Nothing else writes the journal now (the background steps are done): reading it is safe.
		var lines []string
		lines, werr = r.o.Write(r.j)
		for _, l := range lines {
			r.say("%s", l)
		}
		if werr != nil {
			r.say("the run's files were not written: %v", werr)
		}
		o.Files = strings.Join(lines, "; ")
	}
	r.record(func(*Journal) { r.finished = true })
	r.s.Publish(o)
	return werr
}
