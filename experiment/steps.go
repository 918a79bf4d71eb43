package experiment

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/scenario"
)

// stepFailed is the outcome of a step whose action returned err: refused when the safety rules (or
// the session) refused it, failed when it could not be carried out.
func stepFailed(err error) string {
	if errors.Is(err, model.ErrRefused) {
		return Refused
	}
	return Failed
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
		r.record(func(j *RunRecord) { j.Steps = append(j.Steps, rec) })
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
				if spec, _ := actions.ByCommand(st.Action); spec.Name == actions.LoadStart && res.Entry.Result == actions.ResultOK {
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
		if spec, _ := actions.ByCommand(st.Action); spec.Name == actions.LoadStart {
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
	r.record(func(j *RunRecord) {
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
	case spec.Name == actions.LoadStart && ceiling > 0:
		step, err := r.s.Prepare(spec, st.Args)
		if err == nil && step.Profile != nil && load.Peak(*step.Profile) > ceiling {
			return fmt.Sprintf("the profile peaks at %.0f requests/s, above guard.maxRate %.0f", load.Peak(*step.Profile), ceiling)
		}
	case spec.Name == actions.LoadRate && ceiling > 0:
		step, err := r.s.Prepare(spec, st.Args)
		if l := r.s.LoadStatus(); err == nil && l.Active && l.Requested+step.Rate > ceiling {
			return fmt.Sprintf("%.0f requests/s would be above guard.maxRate %.0f", l.Requested+step.Rate, ceiling)
		}
	}
	return ""
}
