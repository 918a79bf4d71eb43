package experiment

import (
	"cmp"
	"context"
	"errors"
	"math"
	"time"

	"github.com/gamedaylab/gameday/scenario"
	"github.com/gamedaylab/gameday/session"
	"github.com/gamedaylab/gameday/sources"
)

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
	r.record(func(j *RunRecord) {
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
