// Package load is what every layer knows of load: the profile (shape, rates, duration) and how its rate
// moves over time, the live status, and the driver interface that the engine (load/engine) and the
// simulated cluster implement. It imports only bounds of gameday's.
package load

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/gamedaylab/gameday/bounds"
)

// Kinds of profile.
const (
	Constant = "constant"
	Ramp     = "ramp"
	Step     = "step"
	Sine     = "sine"
	Spike    = "spike"
)

// MaxRate is the highest rate anything may ask for, whatever the configured cap: a million requests/s
// is far past what one machine sends, and past it a typo is likelier than an intent.
const MaxRate = 1e6

// Rates is the range of a requested rate: above 0 and at most MaxRate requests/s.
func Rates() bounds.Range { return bounds.Above(0, MaxRate, "requests/s") }

// ParseProfile reads a profile: constant, ramp:FROM-TO, step:FROM-TO[/STEPS], sine:LOW-HIGH[/PERIOD],
// spike:BASE-PEAK. rate is the constant rate (--rate, a step's rate), d the duration (0: until stopped).
func ParseProfile(s string, rate float64, d time.Duration) (Profile, error) {
	p := Profile{Name: "load", Kind: Constant, Rate: rate, To: rate, Duration: d}
	if s == "" || s == Constant {
		if err := Rates().Check(rate); err != nil {
			return p, fmt.Errorf("rate: %w", err)
		}
		return p, nil
	}
	kind, args, _ := strings.Cut(s, ":")
	switch kind {
	case Ramp, Step, Sine, Spike:
	default:
		return p, fmt.Errorf("profile %q: unknown shape %q (want constant, ramp:FROM-TO, step:FROM-TO[/STEPS], sine:LOW-HIGH[/PERIOD], spike:BASE-PEAK)", s, kind)
	}
	p.Kind, p.Name = kind, s
	rng, extra, _ := strings.Cut(args, "/")
	a, b, ok := strings.Cut(rng, "-")
	each := bounds.Between(0, MaxRate, "requests/s")
	from, err1 := each.Parse(a)
	to, err2 := each.Parse(b)
	if !ok || err1 != nil || err2 != nil || (from == 0 && to == 0) {
		return p, fmt.Errorf("profile %q: want %s:FROM-TO with rates %s, not both 0, e.g. %s:0-500", s, kind, each, kind)
	}
	p.Rate, p.To = from, to
	if d <= 0 {
		return p, fmt.Errorf("profile %q needs a duration", s)
	}
	if extra != "" {
		switch kind {
		case Step:
			n, err := bounds.Count(2, 1000, "steps").ParseInt(extra)
			if err != nil {
				return p, fmt.Errorf("profile %q: step:FROM-TO/STEPS: %w", s, err)
			}
			p.Steps = int(n)
		case Sine:
			per, err := periods().Parse(extra)
			if err != nil {
				return p, fmt.Errorf("profile %q: sine:LOW-HIGH/PERIOD (e.g. sine:100-300/30s): %w", s, err)
			}
			p.Period = per
		default:
			return p, fmt.Errorf("profile %q: %s takes no /option", s, kind)
		}
	}
	return p, nil
}

// periods is the range of a sine's period.
func periods() bounds.Span { return bounds.Span{Min: 100 * time.Millisecond, Max: 24 * time.Hour} }

// Validate refuses a profile whose numbers are not finite or not in range, however it was built (a
// parsed string, a config file, a scenario step, a recording).
func (p Profile) Validate() error {
	each := bounds.Between(0, MaxRate, "requests/s")
	if err := each.Check(p.Rate); err != nil {
		return fmt.Errorf("load %s: rate: %w", p.Name, err)
	}
	if p.Kind != Constant && p.Kind != "" {
		if err := each.Check(p.To); err != nil {
			return fmt.Errorf("load %s: rate: %w", p.Name, err)
		}
	}
	if Peak(p) <= 0 {
		return fmt.Errorf("load %s: rate: %s", p.Name, Rates().Want())
	}
	if p.Duration < 0 {
		return fmt.Errorf("load %s: duration: want 0 (until stopped) or more, got %s", p.Name, p.Duration)
	}
	if p.Period != 0 {
		if err := periods().Check(p.Period); err != nil {
			return fmt.Errorf("load %s: period: %w", p.Name, err)
		}
	}
	if p.Steps != 0 && (p.Steps < 2 || p.Steps > 1000) {
		return fmt.Errorf("load %s: steps: want a whole number from 2 to 1000, got %d", p.Name, p.Steps)
	}
	return nil
}

// RateAt is the requests/s a profile asks for at elapsed time t (0 after a timed profile ends).
func RateAt(p Profile, t time.Duration) float64 {
	if t < 0 || (p.Duration > 0 && t >= p.Duration) {
		return 0
	}
	frac := 0.0
	if p.Duration > 0 {
		frac = float64(t) / float64(p.Duration)
	}
	switch p.Kind {
	case Ramp:
		return p.Rate + (p.To-p.Rate)*frac
	case Step:
		n := p.Steps
		if n < 2 {
			n = 4
		}
		i := math.Min(math.Floor(frac*float64(n)), float64(n-1))
		return p.Rate + (p.To-p.Rate)*i/float64(n-1)
	case Sine:
		per := p.Period
		if per <= 0 {
			per = p.Duration
		}
		ph := 2 * math.Pi * float64(t) / float64(per)
		return p.Rate + (p.To-p.Rate)*(0.5-0.5*math.Cos(ph))
	case Spike:
		// A short burst (the middle fifth) on top of the base rate.
		if frac >= 0.4 && frac < 0.6 {
			return p.To
		}
		return p.Rate
	}
	return p.Rate
}

// Peak is the highest rate the profile reaches (checked against the configured maximum).
func Peak(p Profile) float64 {
	if p.Kind == Constant || p.Kind == "" {
		return p.Rate
	}
	return math.Max(p.Rate, p.To)
}

// Profile is what a load run sends: a shape, a rate and a duration. The cockpit's burst is constant; the
// engine (load/engine) and the simulation run every shape from the one RateAt.
type Profile struct {
	Name     string        `json:"name"`     // shown in the header and journal ("burst", "ramp:0-500", ...)
	Kind     string        `json:"kind"`     // constant, ramp, step, sine, spike
	Rate     float64       `json:"rate"`     // requests per second (the start rate for shapes)
	To       float64       `json:"to"`       // the end / peak rate for shapes
	Duration time.Duration `json:"duration"` // 0 means until stopped
	Steps    int           `json:"steps,omitempty"`
	Period   time.Duration `json:"period,omitempty"`
}

// String is the profile as the journal and header print it.
func (p Profile) String() string {
	d := "until stopped"
	if p.Duration > 0 {
		d = p.Duration.String()
	}
	if p.Kind == "" || p.Kind == "constant" {
		return fmt.Sprintf("%s %.0f/s for %s", p.Name, p.Rate, d)
	}
	return fmt.Sprintf("%s %s %.0f->%.0f/s for %s", p.Name, p.Kind, p.Rate, p.To, d)
}

// Status is a live snapshot of the running load, for the header and the load panel.
type Status struct {
	Active    bool
	Profile   Profile
	Requested float64 // the rate the schedule asks for now
	Achieved  float64 // the rate actually sent over the last second
	Success   float64 // 0..1 over the run
	P50, P90  time.Duration
	P99, Max  time.Duration
	// ServiceP50 and ServiceP99 count from each request's actual send (vegeta's and k6's definition);
	// P50..Max count from the intended send, so the generator's own queueing is in them.
	ServiceP50, ServiceP99 time.Duration
	InFlight               int
	Sent                   int64
	Errors                 int64 // failed requests, failed checks included
	// CheckFailures are the answers that came back but failed a target's check (a 200 with the wrong body).
	CheckFailures int64
	// Completed requests have an answer (or an error); Success is over them, so it means nothing at 0.
	Completed int64
	// Timeout is the per-request timeout (0: the driver has none).
	Timeout time.Duration
	Elapsed time.Duration
	// Diagnostics say when the generator itself is the bottleneck (late sends, worker or fd limits).
	Diagnostics []string
	// Sessions are the virtual users' sessions, for targets that log in (nil: none does).
	Sessions *Sessions `json:",omitempty"`
}

// Sessions count what happened to virtual users' sessions during a run: the users, how many hold a
// session now, the logins made and the sessions found lost (each user then logged in again).
type Sessions struct {
	Users    int   `json:"users"`
	LoggedIn int   `json:"loggedIn"`
	Logins   int64 `json:"logins"`
	Lost     int64 `json:"lost"`
}

// FailedTracer is a Driver whose requests carry trace ids (B3 headers) and that keeps the ids of
// its failed requests, so a probe can look for their log lines.
type FailedTracer interface {
	// FailedTraces are the trace ids of the requests sent at or after since that failed (a status,
	// an error or a check), oldest first, at most the last max.
	FailedTraces(since time.Time, max int) []string
}

// Driver runs load. The simulation implements it for demos; the load engine for real targets.
type Driver interface {
	Start(p Profile) error
	// SetRate changes the running load's rate (clamped to the configured maximum); it returns the rate set.
	SetRate(rate float64) (float64, error)
	// Stop stops sending at once; it is what HALT calls.
	Stop()
	Status() Status
}
