package experiment

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gamedaylab/gameday/scenario"
	"github.com/gamedaylab/gameday/session"
)

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

// finish fills the journal's recoveries, load and end, says the outcome and writes the run's files.
func (r *runner) finish() error {
	l := r.s.LoadStatus()
	recs := r.s.Recoveries()
	r.record(func(j *RunRecord) {
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
		r.record(func(j *RunRecord) { j.Budget = bud })
		if bud.Burned > 1 {
			r.set(Deviated, fmt.Sprintf("the error budget is spent: %d of %d requests failed (%.2f%%), the budget allows %.2f%%",
				bud.Failed, bud.Requests, 100*float64(bud.Failed)/float64(bud.Requests), 100*b))
		}
		r.say("error budget: %d of %d requests failed, %.0f%% of the %.2f%% budget burned", bud.Failed, bud.Requests, 100*bud.Burned, 100*b)
	}
	var o session.Outcome
	r.record(func(j *RunRecord) {
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
	r.record(func(*RunRecord) { r.finished = true })
	r.s.Publish(o)
	return werr
}
