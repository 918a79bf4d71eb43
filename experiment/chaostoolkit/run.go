package chaostoolkit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/gamedaylab/gameday/experiment"
)

// Executor carries out one activity whose provider arguments are already substituted: it returns
// the output the Chaos Toolkit's provider would return, what gameday did (for the journal), or an
// error, which fails the activity as an ActivityFailed does.
type Executor interface {
	Execute(ctx context.Context, a Activity, vars Vars) (output any, did string, err error)
}

// Options tune a run as `chaos run`'s flags do.
type Options struct {
	// Out gets one line per hypothesis, activity and outcome.
	Out io.Writer
	// Strategy and RollbackStrategy override the file's runtime (--hypothesis-strategy,
	// --rollback-strategy); empty: the file's, else default.
	Strategy, RollbackStrategy string
	// Frequency paces the hypothesis during the method (default 1 s, as --hypothesis-frequency).
	Frequency time.Duration
	// FailFast stops the method when a check during it fails (--fail-fast).
	FailFast bool
	Vars     Vars
	// Version names gameday in the journal's chaoslib-version.
	Version string
	// Reverts is the context the rollbacks run under once ctx is done (an interrupt): they are
	// skipped under the default strategy, as the Chaos Toolkit does, but always and deviated play.
	Reverts context.Context
	Now     func() time.Time
	// Board, when set, is the cockpit's runbook: the run writes its progress there.
	Board *experiment.Board
	// Gate, when set, holds the run until it receives (the facilitator started it).
	Gate <-chan struct{}
}

// runner is one run's state.
type runner struct {
	e     *Experiment
	x     Executor
	o     Options
	j     *Journal
	mu    sync.Mutex // the journal: background activities and the hypothesis during the method write it
	cache map[string]Activity
}

// Run runs the experiment as chaoslib's Runner does: the hypothesis before the method, the method
// (the hypothesis during it for during-method-only and continuously), the hypothesis after, then the
// rollbacks by their strategy; the journal says how it went.
func Run(ctx context.Context, e *Experiment, x Executor, o Options) *Journal {
	if o.Out == nil {
		o.Out = io.Discard
	}
	// The hypothesis during the method and background activities write beside the method.
	if o.Board != nil {
		o.Out = io.MultiWriter(o.Out, o.Board.Lines())
	}
	o.Out = &syncWriter{w: o.Out}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Frequency <= 0 {
		o.Frequency = time.Second
	}
	if o.Reverts == nil {
		o.Reverts = context.Background()
	}
	r := &runner{e: e, x: x, o: o, cache: map[string]Activity{}}
	started := o.Now()
	r.j = &Journal{ChaoslibVersion: "gameday " + o.Version, Platform: runtime.GOOS + "-" + runtime.GOARCH, Node: hostname(),
		Experiment: e.JSON(), Start: isoTime(started), SteadyStates: SteadyStates{During: []SteadyState{}}, Run: []*RunEntry{}, Rollbacks: []*RunEntry{}}
	// chaoslib's cache: the method's activities, then the hypothesis's probes, which win a name
	for _, a := range e.Method {
		if a.Ref == "" {
			r.cache[a.Name] = a
		}
	}
	if e.Hypothesis != nil {
		for _, a := range e.Hypothesis.Probes {
			if a.Ref == "" {
				r.cache[a.Name] = a
			}
		}
	}
	strategy := firstOf(o.Strategy, e.Runtime.Hypothesis, "default")
	rollbacks := firstOf(o.RollbackStrategy, e.Runtime.Rollbacks, "default")
	fmt.Fprintf(o.Out, "chaos toolkit experiment %q: hypothesis %s, rollbacks %s\n", o.Vars.Substitute(e.Title), strategy, rollbacks)
	withSSH := e.Hypothesis != nil && len(e.Hypothesis.Probes) > 0
	if !withSSH {
		fmt.Fprintln(o.Out, "no steady state hypothesis defined: just exploring")
	}
	began := r.gate(ctx)
	gate := began
	if !began {
		r.j.Status = StatusInterrupted
		fmt.Fprintln(o.Out, "stopped before the experiment started: nothing was done")
	}
	if gate && withSSH && (strategy == "default" || strategy == "before-method-only" || strategy == "continuously") {
		st := r.hypothesis(ctx, "before")
		r.j.SteadyStates.Before = st
		r.steady(st)
		if !*st.Met {
			gate = false
			r.j.Status = StatusCompleted
			if anyFailed(st.Probes) {
				r.j.Status = StatusFailed
			}
			fmt.Fprintln(o.Out, "the steady state was not met before the method: the method and the hypothesis after it are skipped")
		}
	}
	if gate && ctx.Err() == nil {
		var during sync.WaitGroup
		stopDuring := make(chan struct{})
		if withSSH && (strategy == "during-method-only" || strategy == "continuously") {
			during.Go(func() { r.during(ctx, stopDuring) })
		}
		r.method(ctx)
		close(stopDuring)
		during.Wait()
		if ctx.Err() != nil {
			r.j.Status = StatusInterrupted
		}
		if s := r.status(); s != StatusInterrupted && s != StatusAborted && withSSH &&
			(strategy == "default" || strategy == "after-method-only" || strategy == "continuously") {
			st := r.hypothesis(ctx, "after")
			r.j.SteadyStates.After = st
			r.steady(st)
			if !*st.Met {
				r.j.Deviated = true
				r.j.Status = StatusCompleted
				if anyFailed(st.Probes) {
					r.j.Status = StatusFailed
				}
			}
		}
	}
	if ctx.Err() != nil {
		r.j.Status = StatusInterrupted
	}
	if began {
		r.rollbacks(rollbacks)
	}
	end := o.Now()
	r.j.End, r.j.Duration = isoTime(end), end.Sub(started).Seconds()
	switch r.j.Status {
	case StatusCompleted, StatusFailed, StatusAborted, StatusInterrupted:
	default:
		r.j.Status = StatusCompleted
	}
	fmt.Fprintf(o.Out, "experiment ended with status: %s\n", r.j.Outcome())
	r.ended()
	return r.j
}

func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func anyFailed(runs []*RunEntry) bool {
	for _, r := range runs {
		if r.Status != "succeeded" {
			return true
		}
	}
	return false
}

func (r *runner) status() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.j.Status
}

func (r *runner) setStatus(s string) {
	r.mu.Lock()
	r.j.Status = s
	r.mu.Unlock()
}

// hypothesis checks the steady state: the probes in order, stopping at the first that fails or is
// outside its tolerance.
func (r *runner) hypothesis(ctx context.Context, when string) *SteadyState {
	met := false
	st := &SteadyState{Met: &met, Probes: []*RunEntry{}}
	out := r.o.Out
	if when == "during" { // one line per check, not one per probe: the method's lines stay readable
		out = io.Discard
		defer func() {
			if met {
				fmt.Fprintf(r.o.Out, "  steady state during the method: met\n")
			} else if n := len(st.Probes); n > 0 {
				fmt.Fprintf(r.o.Out, "  steady state during the method: NOT met (probe %v)\n", st.Probes[n-1].Activity["name"])
			}
		}()
	}
	fmt.Fprintf(out, "steady state hypothesis (%s): %s\n", when, r.e.Hypothesis.Title)
	for _, p := range r.e.Hypothesis.Probes {
		tol := p.Tolerance // a ref's own tolerance, not the referenced probe's
		run := r.execute(ctx, p, nil)
		st.Probes = append(st.Probes, run)
		f := false
		run.ToleranceMet = &f
		if run.Status != "succeeded" {
			fmt.Fprintf(out, "  probe %s failed, so its tolerance could not be checked\n", p.label())
			r.probed(when, p, run, false, "failed: "+strings.TrimSpace(strings.Join(run.Exception, "")))
			return st
		}
		ok, err := Within(tol, run.Output, r.o.Vars)
		if err != nil {
			// chaoslib stops on a Python error here; gameday reports the probe as failed instead
			run.Status, run.Exception = "failed", exception(err)
			fmt.Fprintf(out, "  probe %s: its tolerance could not be checked: %v\n", p.label(), err)
			r.probed(when, p, run, false, err.Error())
			return st
		}
		if !ok {
			fmt.Fprintf(out, "  probe %s: not within tolerance %s (output %s)\n", p.label(), brief(tol), brief(run.Output))
			r.probed(when, p, run, false, "")
			return st
		}
		t := true
		run.ToleranceMet = &t
		fmt.Fprintf(out, "  probe %s: within tolerance\n", p.label())
		r.probed(when, p, run, true, "")
	}
	met = true
	return st
}

// during checks the hypothesis every Frequency while the method runs; a failed check never sets
// deviated, but with FailFast it fails the run and the method stops after its current activity.
func (r *runner) during(ctx context.Context, stop <-chan struct{}) {
	for {
		if s := r.status(); s == StatusFailed || s == StatusInterrupted || s == StatusAborted {
			return
		}
		st := r.hypothesis(ctx, "during")
		r.mu.Lock()
		r.j.SteadyStates.During = append(r.j.SteadyStates.During, *st)
		r.mu.Unlock()
		if !*st.Met && r.o.FailFast {
			r.setStatus(StatusFailed)
			return
		}
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-time.After(r.o.Frequency):
		}
	}
}

// method plays the method's activities in order; background ones run alongside and are awaited.
func (r *runner) method(ctx context.Context) {
	fmt.Fprintln(r.o.Out, "method:")
	var bg sync.WaitGroup
	for i, a := range r.e.Method {
		if ctx.Err() != nil {
			break
		}
		r.stepped(i, a, nil)
		done := func(run *RunEntry) { r.stepped(i, a, run) }
		if a.Background {
			bg.Go(func() { r.execute(ctx, a, &r.j.Run, done) })
		} else {
			r.execute(ctx, a, &r.j.Run, done)
		}
		if s := r.status(); s == StatusAborted || s == StatusFailed || s == StatusInterrupted {
			break
		}
	}
	bg.Wait()
}

// rollbacks plays the rollbacks if the strategy says so: default unless the run failed or was
// interrupted, always, never, or deviated only. A failed rollback does not stop the rest.
func (r *runner) rollbacks(strategy string) {
	play := false
	switch strategy {
	case "always":
		play = true
	case "default":
		play = r.j.Status != StatusFailed && r.j.Status != StatusInterrupted
	case "deviated":
		play = r.j.Deviated
	}
	if !play || len(r.e.Rollbacks) == 0 {
		if len(r.e.Rollbacks) > 0 {
			fmt.Fprintf(r.o.Out, "rollbacks not played (strategy %s, status %s)\n", strategy, firstOf(r.j.Status, "running"))
		}
		return
	}
	fmt.Fprintln(r.o.Out, "rollbacks:")
	var bg sync.WaitGroup
	for _, a := range r.e.Rollbacks {
		if r.o.Reverts.Err() != nil {
			r.setStatus(StatusInterrupted)
			break
		}
		if a.Background {
			bg.Go(func() { r.execute(r.o.Reverts, a, &r.j.Rollbacks) })
		} else {
			r.execute(r.o.Reverts, a, &r.j.Rollbacks)
		}
	}
	bg.Wait()
}

// execute runs one activity (a ref resolved) with its pauses, and appends its entry to runs.
// done, when set, hears of the run before its pause after.
func (r *runner) execute(ctx context.Context, a Activity, runs *[]*RunEntry, done ...func(*RunEntry)) *RunEntry {
	if a.Ref != "" {
		ref, ok := r.cache[a.Ref]
		if !ok {
			run := r.failed(a, runs, fmt.Errorf("could not find referenced activity '%s'", a.Ref))
			for _, f := range done {
				f(run)
			}
			return run
		}
		a = ref
	}
	vars := r.o.Vars
	if d := seconds(vars.Substitute(a.PauseBefore)); d > 0 {
		fmt.Fprintf(r.o.Out, "  pausing %s before %s\n", d, a.label())
		sleep(ctx, d)
	}
	start := r.o.Now()
	run := &RunEntry{Activity: maps.Clone(a.Raw), Start: isoTime(start)}
	if runs != nil {
		r.mu.Lock()
		*runs = append(*runs, run)
		r.mu.Unlock()
	}
	out, did, err := r.x.Execute(ctx, a, vars)
	end := r.o.Now()
	r.mu.Lock()
	run.Output, run.Gameday = out, did
	run.End, run.Duration = isoTime(end), end.Sub(start).Seconds()
	switch {
	case err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()):
		// interrupted: the entry keeps no status, as the Chaos Toolkit's
	case err != nil:
		run.Status, run.Exception = "failed", exception(err)
	default:
		run.Status = "succeeded"
	}
	r.mu.Unlock()
	if a.Type == "action" || runs != nil {
		line := fmt.Sprintf("  %s %s: %s", a.Type, a.label(), firstOf(run.Status, "interrupted"))
		if did != "" {
			line += " (" + did + ")"
		}
		if err != nil {
			line += ": " + err.Error()
		}
		fmt.Fprintln(r.o.Out, line)
	}
	for _, f := range done {
		f(run)
	}
	if d := seconds(vars.Substitute(a.PauseAfter)); d > 0 && ctx.Err() == nil {
		fmt.Fprintf(r.o.Out, "  pausing %s after %s\n", d, a.label())
		sleep(ctx, d)
	}
	return run
}

func (r *runner) failed(a Activity, runs *[]*RunEntry, err error) *RunEntry {
	now := isoTime(r.o.Now())
	run := &RunEntry{Activity: maps.Clone(a.Raw), Start: now, End: now, Status: "failed", Exception: exception(err)}
	if runs != nil {
		r.mu.Lock()
		*runs = append(*runs, run)
		r.mu.Unlock()
	}
	return run
}

// exception is the journal's traceback lines of an ActivityFailed.
func exception(err error) []string {
	return []string{"chaoslib.exceptions.ActivityFailed: " + err.Error() + "\n"}
}

func (a Activity) label() string {
	if a.Ref != "" {
		return "ref " + a.Ref
	}
	return a.Name
}

// seconds reads a pause (a number of seconds after substitution).
func seconds(x any) time.Duration {
	switch t := x.(type) {
	case int64:
		return time.Duration(t) * time.Second
	case float64:
		return time.Duration(t * float64(time.Second))
	}
	return 0
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// brief writes a value short, for a line of output.
func brief(x any) string {
	s := pyStr(x)
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return strings.ReplaceAll(s, "\n", " ")
}

// syncWriter serialises writes of several goroutines to one writer.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
