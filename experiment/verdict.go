package experiment

import (
	"time"

	"github.com/gamedaylab/gameday/scenario"
	"github.com/gamedaylab/gameday/session"
)

// verdicts journals verdicts and publishes them (a recording keeps them for the session's report).
func (r *runner) verdicts(vs ...Verdict) {
	r.record(func(j *RunRecord) { j.Verdicts = append(j.Verdicts, vs...) })
	for _, v := range vs {
		r.s.Publish(session.Probe{Name: v.Probe, Phase: v.Phase, Time: v.End, Held: v.Met, Value: v.Value, Seen: v.Observed,
			Verdict: v.Status, Tolerance: v.Tolerance, Checks: v.Checks, Breaches: v.Breaches})
	}
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
