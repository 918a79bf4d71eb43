package engine

import (
	"fmt"
	"math"
	"time"

	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/model"
)

type overrideRate struct {
	rate float64
	at   time.Duration
	left time.Duration // remaining timed duration when the override started (0 = none)
}

// rateAt is the rate the run asks for at elapsed t: the profile, or a live override.
func (r *run) rateAt(t time.Duration) float64 {
	var rate float64
	if o := r.override.Load(); o != nil {
		if o.left > 0 && t-o.at >= o.left {
			return 0
		}
		rate = o.rate
	} else {
		rate = load.RateAt(r.profile, t)
	}
	return math.Min(rate, r.e.opts.MaxRate)
}

func (r *run) over(t time.Duration) bool {
	if o := r.override.Load(); o != nil {
		return o.left > 0 && t-o.at >= o.left
	}
	return r.profile.Duration > 0 && t >= r.profile.Duration
}

// schedule emits intended send times: each tick it integrates the rate since the last tick and queues
// that many sends, spread evenly over the interval. It never waits on workers (open loop).
func (r *run) schedule() {
	defer close(r.schedDone)
	defer r.closeWorkers()
	tick := r.e.opts.Tick
	acc := 0.0
	last := r.start
	var svc svcWindow
	timer := time.NewTimer(tick)
	defer timer.Stop()
	lastSecond := -1
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-timer.C:
		}
		now := time.Now()
		if now.Sub(last) > tick+5*time.Millisecond {
			r.lateTicks.Add(1)
		}
		el := now.Sub(r.start)
		if s := int(el / time.Second); s != lastSecond {
			lastSecond = s
			r.perSecond[(s+2)%len(r.perSecond)].Store(0) // the slot two seconds ahead is reused next
		}
		if r.over(el) {
			// Emit what is due up to the end, then stop.
			now = r.start.Add(r.endAt())
			el = now.Sub(r.start)
		}
		dt := now.Sub(last)
		if dt > 0 {
			mid := last.Add(dt / 2).Sub(r.start)
			rate := r.rateAt(mid)
			r.requestedAt.Store(math.Float64bits(r.rateAt(el)))
			acc += rate * dt.Seconds()
			n := int(acc + 1e-6) // float sums fall a hair short of whole requests
			acc -= float64(n)
			for i := 0; i < n; i++ {
				at := last.Add(time.Duration(float64(dt) * float64(i+1) / float64(n)))
				r.dispatch(at.UnixNano())
			}
			// Add workers only when the oldest waiting send is 20 ms late, a few at a time. Short
			// backlogs are normal (a tick dispatches a batch; GC pauses a few ms) and every new worker
			// means a new connection: reacting to jitter opened connections by the thousand and slowed
			// both sides until the schedule collapsed. A real stall (a slow server) still grows the pool
			// within tens of ms, and latency counts from the intended time either way.
			if age := r.backlogAge(now); age > growAfter {
				r.spawn(r.growBy(rate, r.poolSize(), &svc))
			}
			last = now
		}
		if r.over(el) {
			return
		}
		timer.Reset(tick)
	}
}

func (r *run) endAt() time.Duration {
	if o := r.override.Load(); o != nil {
		return o.at + o.left
	}
	return r.profile.Duration
}

// SetRate steers the running load: a constant rate from now on, for the rest of a timed profile.
func (e *Engine) SetRate(rate float64) (float64, error) {
	e.mu.Lock()
	r := e.cur
	e.mu.Unlock()
	if r == nil || r.isDone() {
		return 0, fmt.Errorf("%w: no load is running: press b to start a burst", model.ErrRefused)
	}
	if math.IsNaN(rate) || math.IsInf(rate, 0) {
		return 0, fmt.Errorf("rate: %s, got %g", load.Rates().Want(), rate)
	}
	rate = math.Max(0, math.Min(rate, e.opts.MaxRate))
	el := time.Since(r.start)
	o := &overrideRate{rate: rate, at: el}
	if end := r.endAt(); end > 0 {
		o.left = end - el
	}
	r.override.Store(o)
	return rate, nil
}
