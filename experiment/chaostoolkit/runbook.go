package chaostoolkit

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gamedaylab/gameday/experiment"
)

// Plan lists the experiment for the cockpit's runbook: the hypothesis's probes with their
// tolerances, the method's activities with what carries them out.
func (e *Experiment) Plan(vars Vars) experiment.Plan {
	p := experiment.Plan{Tool: "Chaos Toolkit", Rollbacks: len(e.Rollbacks)}
	if e.Hypothesis != nil {
		for _, a := range e.Hypothesis.Probes {
			want := "within " + brief(vars.Substitute(a.Tolerance))
			if a.Ref != "" && !a.HasTolerance {
				want = "as " + a.Ref
			}
			p.Probes = append(p.Probes, experiment.PlannedProbe{Name: a.label(), Want: want})
		}
	}
	for _, a := range e.Method {
		p.Steps = append(p.Steps, experiment.PlannedStep{Text: a.planned()})
	}
	return p
}

// planned is an activity as a runbook line: its type, name and what carries it out.
func (a Activity) planned() string {
	if a.Ref != "" {
		return "ref " + a.Ref
	}
	how := a.Provider.Type
	switch a.Provider.Type {
	case "python":
		how = a.Provider.Module + "." + a.Provider.Func
	case "http":
		how = "http " + a.Provider.Method
	}
	t := fmt.Sprintf("%s %s (%s)", a.Type, a.Name, how)
	if a.Background {
		t += " (background)"
	}
	return t
}

// board writes to the runbook, when there is one.
func (r *runner) board(f func(sn *experiment.Snapshot)) {
	if r.o.Board != nil {
		r.o.Board.Update(f)
	}
}

// gate holds the run until the facilitator starts it (Options.Gate); false when ctx ended first.
func (r *runner) gate(ctx context.Context) bool {
	if r.o.Gate == nil {
		return true
	}
	fmt.Fprintln(r.o.Out, "waiting for the facilitator to start the experiment")
	return r.o.Board.Await(ctx, r.o.Gate)
}

// probed puts a hypothesis probe's result on the runbook: a verdict before and after the method,
// the latest check during it.
func (r *runner) probed(when string, a Activity, run *RunEntry, met bool, why string) {
	if r.o.Board == nil {
		return
	}
	seen := brief(run.Output)
	if m, ok := run.Output.(map[string]any); ok && m["status"] != nil { // http and process outputs
		seen = "status " + pyStr(m["status"])
	}
	if why != "" {
		seen = why
	}
	now := r.o.Now()
	r.board(func(sn *experiment.Snapshot) {
		if when == "during" {
			c := experiment.Check{Probe: a.label(), Phase: when, Time: now, Held: met, Seen: seen, Result: "held"}
			if !met {
				c.Result = "breached"
			}
			sn.Latest[a.label()] = c
			return
		}
		v := experiment.Verdict{Probe: a.label(), Phase: when, End: now, Status: experiment.StatusHeld, Observed: seen, Met: met, Checks: 1}
		if !met {
			v.Status = experiment.StatusFailed
		}
		sn.Record.Verdicts = append(sn.Record.Verdicts, v)
	})
}

// steady puts a check of the whole hypothesis on the runbook.
func (r *runner) steady(st *SteadyState) {
	why := ""
	if n := len(st.Probes); !*st.Met && n > 0 {
		last := st.Probes[n-1]
		why = fmt.Sprintf("probe %v: %s", last.Activity["name"], firstOf(strings.Join(last.Exception, ""), "not within tolerance "+brief(last.Output)))
	}
	met := *st.Met
	r.board(func(sn *experiment.Snapshot) { sn.Steady, sn.SteadyWhy = &met, strings.TrimSpace(why) })
}

// stepped puts a method activity's start (run nil) or end on the runbook.
func (r *runner) stepped(i int, a Activity, run *RunEntry) {
	r.board(func(sn *experiment.Snapshot) {
		if run == nil {
			sn.Current = i
			if sn.StartedAt.IsZero() {
				sn.StartedAt = time.Now()
			}
			return
		}
		status := "ok"
		switch run.Status {
		case "failed":
			status = "failed"
		case "":
			status = "interrupted"
		}
		sn.Record.Steps = append(sn.Record.Steps, experiment.StepRecord{N: i + 1, Kind: a.Type, Action: a.Name, Status: status, Detail: run.Gameday})
	})
}

// ended gives the runbook the run's outcome in gameday's words.
func (r *runner) ended() {
	j := r.j
	o := experiment.Held
	switch {
	case j.Status == StatusInterrupted:
		o = experiment.Interrupted
	case j.Status == StatusAborted:
		o = experiment.Aborted
	case j.Deviated:
		o = experiment.Deviated
	case j.SteadyStates.Before != nil && !*j.SteadyStates.Before.Met:
		o = experiment.NotSteady
	case j.Status != StatusCompleted:
		o = experiment.Failed
	}
	r.board(func(sn *experiment.Snapshot) {
		sn.Outcome, sn.Current = o, len(r.e.Method)
		sn.Record.Reason = "the Chaos Toolkit's status: " + j.Outcome()
	})
}
