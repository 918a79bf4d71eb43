package sim

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/gamedaylab/gameday/load"
)

// loadGen is the simulated load generator: a perfect open-loop sender whose requests join the
// offered traffic, so a burst moves rate, CPU, latency and finally the HPA.
type loadGen struct {
	active  bool
	profile load.Profile
	started time.Time
	sent    float64
	errs    float64
	checks  float64 // answered, but slower than the targets' latency check
	// The run as started: steering restarts profile and started from the change, but progress is
	// shown against the whole run.
	begun time.Time
	total time.Duration
	// users are its virtual users' sessions; leaving is the pod whose loss is being counted.
	users   vusers
	leaving string
	// failed are the sampled requests of this run that failed: their trace ids, for log probes.
	failed []failedTrace
	// last is the status as the run ended (its latencies are the simulation's at that moment), so
	// a report read after the end shows the run, not zeros.
	last load.Status
}

type failedTrace struct {
	at time.Time
	id string
}

// maxFailedTraces is how many failed requests' trace ids a run keeps (the newest).
const maxFailedTraces = 1000

// noteFailed keeps a failed request's trace id while a load runs (its requests are the offered
// traffic's, so a failure during the run is one of the load's).
func (g *loadGen) noteFailed(at time.Time, id string) {
	if !g.active {
		return
	}
	if len(g.failed) == maxFailedTraces {
		g.failed = append(g.failed[:0], g.failed[1:]...)
	}
	g.failed = append(g.failed, failedTrace{at, id})
}

// FailedTraces implements load.FailedTracer.
func (l *simLoad) FailedTraces(since time.Time, limit int) []string {
	s := (*Sim)(l)
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, f := range s.load.failed {
		if !f.at.Before(since) {
			out = append(out, f.id)
		}
	}
	return out[max(0, len(out)-limit):]
}

// rateAt is the rate the profile asks for at time now: the same shapes as the real engine (load.RateAt).
func (g *loadGen) rateAt(_ *Sim, now time.Time) float64 {
	if !g.active {
		return 0
	}
	return load.RateAt(g.profile, now.Sub(g.started))
}

func (g *loadGen) account(s *Sim, now time.Time, dt time.Duration, t *traffic) {
	if !g.active {
		return
	}
	r := g.rateAt(s, now)
	g.sent += r * dt.Seconds()
	g.errs += r * dt.Seconds() * t.errFrac
	if l := s.opts.MaxLatency; l > 0 {
		g.checks += r * dt.Seconds() * (1 - t.errFrac) * t.slowerThan(l)
	}
	if g.profile.Duration > 0 && now.Sub(g.started) >= g.profile.Duration {
		g.end(s, now)
	}
}

// end stops the run and keeps its last status.
func (g *loadGen) end(s *Sim, now time.Time) {
	if !g.active {
		return
	}
	g.last = g.status(s, now)
	g.last.Active, g.last.Requested, g.last.Achieved, g.last.InFlight = false, 0, 0, 0
	g.active = false
}

type simLoad Sim

// ErrNoLoad is returned when steering a load that is not running.
var ErrNoLoad = errors.New("no load is running: press b to start a burst")

func (l *simLoad) Start(p load.Profile) error {
	s := (*Sim)(l)
	if err := p.Validate(); err != nil {
		return err
	}
	if pk := load.Peak(p); pk > s.opts.MaxLoadRate {
		return fmt.Errorf("load rate %g is above the configured maximum %g (load.maxRate)", pk, s.opts.MaxLoadRate)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	s.load = loadGen{active: true, profile: p, started: now, begun: now, total: p.Duration}
	s.loginAll()
	return nil
}

func (l *simLoad) SetRate(rate float64) (float64, error) {
	s := (*Sim)(l)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.load.active {
		return 0, ErrNoLoad
	}
	if math.IsNaN(rate) || math.IsInf(rate, 0) {
		return 0, fmt.Errorf("rate: %s, got %g", load.Rates().Want(), rate)
	}
	rate = math.Max(0, math.Min(rate, s.opts.MaxLoadRate))
	// Live steering turns any shape into a constant rate for the rest of the run.
	el := s.Now().Sub(s.load.started)
	p := s.load.profile
	p.Kind, p.Rate, p.To = load.Constant, rate, rate
	if p.Duration > 0 {
		p.Duration -= el
	}
	s.load.profile, s.load.started = p, s.Now()
	return rate, nil
}

func (l *simLoad) Stop() {
	s := (*Sim)(l)
	s.mu.Lock()
	s.load.end(s, s.Now())
	s.mu.Unlock()
}

func (l *simLoad) Status() load.Status {
	s := (*Sim)(l)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.load.status(s, s.Now())
}

func (g *loadGen) status(s *Sim, now time.Time) load.Status {
	if !g.active && g.last.Profile.Name != "" {
		return g.last
	}
	st := load.Status{Active: g.active, Profile: g.profile, Sent: int64(g.sent), Errors: int64(g.errs + g.checks), Completed: int64(g.sent),
		CheckFailures: int64(g.checks), Sessions: g.sessions()}
	if !g.active {
		return st
	}
	st.Requested = g.rateAt(s, now)
	st.Achieved = st.Requested
	st.Success = 1
	if g.sent > 0 {
		st.Success = 1 - (g.errs+g.checks)/g.sent
	}
	t := &s.traffic
	d := func(q float64) time.Duration { return secs(t.p(q)) }
	st.P50, st.P90, st.P99, st.Max = d(0.5), d(0.9), d(0.99), d(0.999)
	st.ServiceP50, st.ServiceP99 = st.P50, st.P99 // the simulated generator never queues
	st.InFlight = int(math.Round(st.Requested * t.p(0.5)))
	st.Elapsed = now.Sub(g.begun)
	st.Profile.Duration = g.total
	return st
}
