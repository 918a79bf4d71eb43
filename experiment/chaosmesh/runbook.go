package chaosmesh

import (
	"context"
	"fmt"
	"strings"

	"github.com/gamedaylab/gameday/experiment"
	"github.com/gamedaylab/gameday/session"
)

// Plan lists the file's resources for the cockpit's runbook, one step each.
func (f *File) Plan() experiment.Plan {
	p := experiment.Plan{Tool: "Chaos Mesh"}
	for _, r := range f.Resources {
		mode := r.Mode
		if r.Value != "" {
			mode += " " + r.Value
		}
		p.Steps = append(p.Steps, experiment.PlannedStep{Text: fmt.Sprintf("%s %s: pod-kill, mode %s, grace %ds", r.Kind, r.Name, mode, r.GracePeriod)})
	}
	return p
}

// RunOnBoard is Run for the cockpit's runbook: it waits for the facilitator (gate), then carries
// the resources out one by one, each a step on the board; HALT (ctx) stops it between kills.
func RunOnBoard(ctx context.Context, s *session.Session, f *File, board *experiment.Board, gate <-chan struct{}) []Outcome {
	board.Await(ctx, gate) // HALT before N: ctx is done, nothing runs
	var res []Outcome
	outcome, why := experiment.Held, ""
	for i, r := range f.Resources {
		if ctx.Err() != nil {
			break
		}
		board.Update(func(sn *experiment.Snapshot) { sn.Current = i })
		o := Run(ctx, s, &File{Resources: []Resource{r}}, board.Lines(), nil)[0]
		res = append(res, o)
		status, detail := "ok", fmt.Sprintf("killed %s", strings.Join(o.Killed, ", "))
		if o.Err != nil {
			status, detail = "failed", o.Err.Error()
			if outcome == experiment.Held {
				outcome, why = experiment.Failed, o.Resource+": "+o.Err.Error()
				if strings.Contains(detail, "refused") {
					outcome = experiment.Refused
				}
			}
		}
		board.Update(func(sn *experiment.Snapshot) {
			sn.Record.Steps = append(sn.Record.Steps, experiment.StepRecord{N: i + 1, Kind: "action", Action: r.Kind, Status: status, Detail: detail})
		})
	}
	if ctx.Err() != nil {
		outcome, why = experiment.Interrupted, "stopped (HALT or the cockpit's exit)"
	}
	board.Update(func(sn *experiment.Snapshot) {
		sn.Outcome, sn.Current, sn.Record.Reason = outcome, len(f.Resources), why
	})
	return res
}
