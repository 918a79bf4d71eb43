package experiment

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// gate waits for the facilitator, checking the steady state every 5 s meanwhile; false when the run
// was stopped instead.
func (r *runner) gate(ctx context.Context, what string) bool {
	r.say("waiting for the facilitator to %s", what)
	r.record(func(*RunRecord) { r.waiting = true })
	defer r.record(func(*RunRecord) { r.waiting = false })
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
	r.record(func(*RunRecord) { r.steady, r.steadyWhy, r.steadyAt = ok, why, r.s.Now() })
}
