package experiment

import (
	"context"
	"fmt"

	"github.com/gamedaylab/gameday/scenario"
)

// hypothesis checks the probes of a phase (a probe without phases is checked before and after).
func (r *runner) hypothesis(ctx context.Context, phase string) bool {
	ok := true
	for _, p := range r.e.Hypothesis.Probes {
		if !inPhase(p, phase) || phase == "during" {
			continue
		}
		start := r.s.Now()
		c := r.check(ctx, p, phase)
		v := verdict(p, phase, start, r.s.Now(), []Check{c})
		r.verdicts(v)
		switch v.Status {
		case StatusInconclusive:
			r.set(Inconclusive, fmt.Sprintf("probe %s could not be checked %s the method: %s", p.Name, phase, c.Err))
		case StatusFailed:
			ok = false
		}
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

func probeOf(e *scenario.Experiment, name string) scenario.Probe {
	for _, p := range e.Hypothesis.Probes {
		if p.Name == name {
			return p
		}
	}
	return scenario.Probe{}
}
