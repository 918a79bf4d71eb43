// Package experiment runs a scenario against a session: the hypothesis before, the method's steps
// through the action catalog (session.Act, the path every key takes), probe steps that must become
// true within a time, the hypothesis after, the rollbacks, and always HALT at the end, whatever
// happened. It prints one line per step and probe as it happens.
package experiment

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/scenario"
	"github.com/gamedaylab/gameday/session"
)

// Outcomes of a run, worst last.
const (
	Held         = "held"         // every probe held before, during the steps and after
	Deviated     = "deviated"     // a probe did not hold after the method, or a probe step timed out
	Inconclusive = "inconclusive" // a probe could not be checked (no data, or a kind not run yet)
	NotSteady    = "not-steady"   // the hypothesis did not hold before the method: nothing was done
	Refused      = "refused"      // preflight: the guard or a step refused
	RevertFailed = "revert-failed"
)

// Result is what a run found.
type Result struct {
	Outcome string
	Lines   []string
}

// Run runs e on s, writing progress to out. s must be started; Run HALTs it at the end.
func Run(ctx context.Context, s *session.Session, e *scenario.Experiment, out io.Writer) Result {
	r := &runner{s: s, e: e, out: out, res: Result{Outcome: Held}}
	r.run(ctx)
	r.revert() // always: success, deviation, refusal, interruption
	r.say("outcome: %s", r.res.Outcome)
	return r.res
}

func (r *runner) run(ctx context.Context) {
	s, e := r.s, r.e
	if g := e.Guard.Context; g != "" && g != s.KubeContext {
		r.set(Refused)
		r.say("refused: the experiment may run in kube context %q, the session is on %q (--context %s)", g, s.KubeContext, g)
		return
	}
	if g := e.Guard.Namespace; g != "" && g != s.Namespace() {
		r.set(Refused)
		r.say("refused: the experiment may run in namespace %q, the session is in %q (-n %s)", g, s.Namespace(), g)
		return
	}
	if e.Target != "" {
		s.SetTarget(strings.TrimPrefix(e.Target, "deploy/"))
	}
	probes := map[string]*kubeProbe{}
	for _, p := range e.Hypothesis.Probes {
		if p.Kubernetes != nil {
			k, err := compileKube(*p.Kubernetes)
			if err != nil {
				r.set(Refused)
				r.say("refused: probe %s: %v", p.Name, err)
				return
			}
			probes[p.Name] = k
		}
	}
	r.probes = probes
	if !r.hypothesis(ctx, "before") {
		r.set(NotSteady)
		r.say("the hypothesis does not hold before the method: nothing was done")
		return
	}
	for i, st := range e.Method {
		if ctx.Err() != nil {
			r.say("interrupted before step %d", i+1)
			break
		}
		if !r.step(ctx, i, st) {
			break
		}
	}
	if r.res.Outcome == Held || r.res.Outcome == Inconclusive {
		if !r.hypothesis(ctx, "after") {
			r.set(Deviated)
		}
	}
}

type runner struct {
	s      *session.Session
	e      *scenario.Experiment
	out    io.Writer
	probes map[string]*kubeProbe
	res    Result
}

var rank = map[string]int{Held: 0, Inconclusive: 1, Deviated: 2, NotSteady: 3, Refused: 4, RevertFailed: 5}

// set makes the outcome worse, never better.
func (r *runner) set(o string) {
	if rank[o] > rank[r.res.Outcome] {
		r.res.Outcome = o
	}
}

func (r *runner) say(format string, a ...any) {
	line := fmt.Sprintf(format, a...)
	r.res.Lines = append(r.res.Lines, line)
	fmt.Fprintln(r.out, line)
}

// hypothesis checks the probes of a phase (a probe without phases is checked before and after).
func (r *runner) hypothesis(ctx context.Context, phase string) bool {
	ok := true
	for _, p := range r.e.Hypothesis.Probes {
		if !inPhase(p, phase) {
			continue
		}
		held, checked := r.check(ctx, p, phase)
		if !checked {
			r.set(Inconclusive)
			continue
		}
		ok = ok && held
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

// check runs one probe once and says what it saw.
func (r *runner) check(ctx context.Context, p scenario.Probe, phase string) (held, checked bool) {
	k, ok := r.probes[p.Name]
	if !ok {
		r.say("%-6s probe %s: not checked: only kubernetes probes run in this version", phase, p.Name)
		return false, false
	}
	held, seen, err := k.eval(ctx, r.s.Env.Client, r.s.Namespace())
	switch {
	case err != nil && p.OnNoData == "inconclusive":
		r.say("%-6s probe %s: inconclusive: %v", phase, p.Name, err)
		return false, false
	case err != nil:
		r.say("%-6s probe %s: FAILED: %v (no data is a failure: onNoData)", phase, p.Name, err)
		return false, true
	case held:
		r.say("%-6s probe %s: ok (%s)", phase, p.Name, seen)
	default:
		r.say("%-6s probe %s: FAILED (%s)", phase, p.Name, seen)
	}
	return held, true
}

// step runs one method step; false stops the method.
func (r *runner) step(ctx context.Context, i int, st scenario.Step) bool {
	n := i + 1
	switch {
	case st.Action != "":
		if why := r.overGuard(st); why != "" {
			r.say("step %d: %s %s: refused by the experiment's guard: %s", n, st.Action, st.Args, why)
			r.set(Refused)
			return false
		}
		res, err := r.s.Act(ctx, st.Action, st.Args)
		if err != nil {
			r.say("step %d: %s %s: %s", n, st.Action, st.Args, err)
			r.set(Refused)
			return false
		}
		r.say("step %d: %s %s: %s %s", n, st.Action, st.Args, res.Entry.Result, res.Entry.Detail)
	case st.Wait.Duration > 0:
		r.say("step %d: wait %s", n, st.Wait.Duration)
		r.sleep(ctx, st.Wait.Duration)
	case st.Probe != "":
		within := st.Within.Duration
		if within <= 0 {
			within = time.Minute
		}
		p := r.probe(st.Probe)
		deadline := r.s.Now().Add(within)
		start := r.s.Now()
		for {
			held, checked := r.check(ctx, p, fmt.Sprintf("step %d", n))
			if !checked {
				r.set(Inconclusive)
				return true
			}
			if held {
				r.say("step %d: %s held after %s (within %s)", n, st.Probe, r.s.Now().Sub(start).Round(100*time.Millisecond), within)
				return true
			}
			if !r.s.Now().Before(deadline) || ctx.Err() != nil {
				r.say("step %d: %s did not hold within %s", n, st.Probe, within)
				r.set(Deviated)
				return false
			}
			r.sleep(ctx, time.Second)
		}
	case st.Note != "":
		r.say("step %d: note: %s", n, st.Note)
	}
	return true
}

// overGuard says why a step would go past the experiment's guard ("" when it would not): load above
// guard.maxRate.
func (r *runner) overGuard(st scenario.Step) string {
	ceiling := r.e.Guard.MaxRate
	if ceiling <= 0 {
		return ""
	}
	spec, ok := actions.ByCommand(st.Action)
	if !ok {
		return ""
	}
	switch spec.Name {
	case "load-start":
		step, err := r.s.Prepare(spec, st.Args)
		if err == nil && step.Profile != nil && load.Peak(*step.Profile) > ceiling {
			return fmt.Sprintf("the profile peaks at %.0f requests/s, above guard.maxRate %.0f", load.Peak(*step.Profile), ceiling)
		}
	case "load-rate":
		step, err := r.s.Prepare(spec, st.Args)
		if l := r.s.LoadStatus(); err == nil && l.Active && l.Requested+step.Rate > ceiling {
			return fmt.Sprintf("%.0f requests/s would be above guard.maxRate %.0f", l.Requested+step.Rate, ceiling)
		}
	}
	return ""
}

func (r *runner) probe(name string) scenario.Probe {
	for _, p := range r.e.Hypothesis.Probes {
		if p.Name == name {
			return p
		}
	}
	return scenario.Probe{Name: name}
}

// sleep waits d of the session's clock (the simulation's in the demo).
func (r *runner) sleep(ctx context.Context, d time.Duration) {
	until := r.s.Now().Add(d)
	for r.s.Now().Before(until) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
}

// revert runs the rollbacks and HALT.
func (r *runner) revert() {
	for i, st := range r.e.Rollbacks {
		if st.Action == "" {
			continue
		}
		res, err := r.s.Act(context.Background(), st.Action, st.Args)
		if err != nil {
			r.say("rollback %d: %s %s: %s", i+1, st.Action, st.Args, err)
			r.set(RevertFailed)
			continue
		}
		r.say("rollback %d: %s: %s %s", i+1, st.Action, res.Entry.Result, res.Entry.Detail)
	}
	res, err := r.s.Halt(context.Background())
	if err != nil {
		r.say("HALT: %s: a person must look", err)
		r.set(RevertFailed)
		return
	}
	r.say("HALT: %s", res.Entry.Detail)
}
