package litmus

import (
	"context"
	"fmt"
	"strings"

	"github.com/gamedaylab/gameday/experiment"
	"github.com/gamedaylab/gameday/session"
)

// Plan lists the engines' faults for the cockpit's runbook, one step each, and their probes.
func Plan(engines []Engine) experiment.Plan {
	p := experiment.Plan{Tool: "Litmus"}
	for _, e := range engines {
		for _, f := range e.Experiments {
			what := "one pod"
			switch {
			case len(f.Targets) > 0:
				what = fmt.Sprint(f.Targets)
			case f.Percent > 0:
				what = fmt.Sprintf("%d%% of the pods", f.Percent)
			}
			text := fmt.Sprintf("%s/%s: delete %s every %s for %s", e.Name, f.Name, what, f.Interval, f.Duration)
			if f.Latency > 0 {
				text = fmt.Sprintf("%s/%s: delay %s's requests by %s (toxicity %d%%) for %s, as an Istio fault", e.Name, f.Name, what, f.Latency, f.Toxicity, f.Duration)
			}
			p.Steps = append(p.Steps, experiment.PlannedStep{Text: text})
			for _, pr := range f.Probes {
				p.Probes = append(p.Probes, experiment.PlannedProbe{Name: pr.Name, Want: pr.Type + " passes (" + pr.Mode + ")"})
			}
		}
	}
	return p
}

// RunOnBoard is Run for the cockpit's runbook: it waits for the facilitator (gate), then runs the
// faults one by one, each a step on the board with its probes' verdicts; HALT (ctx) stops it.
func RunOnBoard(ctx context.Context, s *session.Session, engines []Engine, o Options, board *experiment.Board, gate <-chan struct{}) []Result {
	board.Await(ctx, gate) // HALT before N: ctx is done, nothing runs
	o.Out = board.Lines()
	var out []Result
	outcome, why, n := experiment.Held, "", 0
	for _, e := range engines {
		for _, f := range e.Experiments {
			if ctx.Err() != nil {
				break
			}
			i := n
			n++
			board.Update(func(sn *experiment.Snapshot) { sn.Current = i })
			one := e
			one.Experiments = []Fault{f}
			r := Run(ctx, s, []Engine{one}, o)[0]
			out = append(out, r)
			status := "ok"
			switch {
			case r.Err != nil:
				status = "failed"
				if outcome == experiment.Held || outcome == experiment.Deviated {
					outcome, why = experiment.Failed, fmt.Sprintf("%s/%s: %v", r.Engine, r.Fault, r.Err)
				}
			case r.Verdict != "Pass" && outcome == experiment.Held:
				outcome, why = experiment.Deviated, fmt.Sprintf("%s/%s: verdict %s", r.Engine, r.Fault, r.Verdict)
			}
			board.Update(func(sn *experiment.Snapshot) {
				sn.Record.Steps = append(sn.Record.Steps, experiment.StepRecord{N: i + 1, Kind: "action", Action: f.Name, Status: status,
					Detail: fmt.Sprintf("verdict %s, probe success %d%%", r.Verdict, r.ProbeSuccess)})
				for _, p := range r.Probes {
					v := experiment.Verdict{Probe: p.Name, Phase: p.Mode, Status: experiment.StatusHeld, Observed: fmt.Sprintf("%d checks", p.Checks), Met: p.Passed, Checks: p.Checks}
					if !p.Passed {
						v.Status, v.Observed = experiment.StatusFailed, p.Detail
					}
					sn.Record.Verdicts = append(sn.Record.Verdicts, v)
				}
			})
		}
	}
	if ctx.Err() != nil {
		outcome, why = experiment.Interrupted, "stopped (HALT or the cockpit's exit)"
	} else {
		why = strings.TrimPrefix(fmt.Sprintf("%s; resiliency score %.2f", why, Score(out)), "; ")
	}
	board.Update(func(sn *experiment.Snapshot) { sn.Outcome, sn.Current, sn.Record.Reason = outcome, n, why })
	return out
}
