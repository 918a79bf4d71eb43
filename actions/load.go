package actions

import (
	"fmt"
	"time"
)

// LoadProfile is what a burst sends: a shape, a rate and a duration. The spine uses constant bursts;
// the load engine (actions/load) adds ramps, steps, sines and spikes behind the same type.
type LoadProfile struct {
	Name     string        `json:"name"`     // shown in the header and journal ("burst", "ramp:0-500", ...)
	Kind     string        `json:"kind"`     // constant, ramp, step, sine, spike
	Rate     float64       `json:"rate"`     // requests per second (the start rate for shapes)
	To       float64       `json:"to"`       // the end / peak rate for shapes
	Duration time.Duration `json:"duration"` // 0 means until stopped
	Steps    int           `json:"steps,omitempty"`
	Period   time.Duration `json:"period,omitempty"`
}

// String is the profile as the journal and header print it.
func (p LoadProfile) String() string {
	d := "until stopped"
	if p.Duration > 0 {
		d = p.Duration.String()
	}
	if p.Kind == "" || p.Kind == "constant" {
		return fmt.Sprintf("%s %.0f/s for %s", p.Name, p.Rate, d)
	}
	return fmt.Sprintf("%s %s %.0f->%.0f/s for %s", p.Name, p.Kind, p.Rate, p.To, d)
}

// LoadStatus is a live snapshot of the running load, for the header and the load panel.
type LoadStatus struct {
	Active    bool
	Profile   LoadProfile
	Requested float64 // the rate the schedule asks for now
	Achieved  float64 // the rate actually sent over the last second
	Success   float64 // 0..1 over the run
	P50, P90  time.Duration
	P99, Max  time.Duration
	InFlight  int
	Sent      int64
	Errors    int64
	Elapsed   time.Duration
	// Diagnostics say when the generator itself is the bottleneck (late sends, worker or fd limits).
	Diagnostics []string
}

// LoadDriver runs load. The simulation implements it for demos; the load engine for real targets.
type LoadDriver interface {
	Start(p LoadProfile) error
	// SetRate changes the running load's rate (clamped to the configured maximum); it returns the rate set.
	SetRate(rate float64) (float64, error)
	// Stop stops sending at once; it is what HALT calls.
	Stop()
	Status() LoadStatus
}
