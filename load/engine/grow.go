package engine

import "time"

// svcWindow is what the pool's growth looks at: completions and service time over ~100 ms.
type svcWindow struct {
	at      time.Time
	ns, n   int64
	stalled bool      // nothing completed in the last window
	need    float64   // Little's law: rate x mean service time, doubled, plus the initial pool
	x       float64   // completions per second in the last window
	lastX   float64   // ... when the pool last grew
	holdTil time.Time // growth did not raise throughput: wait before trying again
}

// growBy is how many workers to add while sends wait for one (0: none). A stalled server (nothing
// completes) gets more workers at once, so the schedule keeps its times. Otherwise the pool grows at
// most once per window, by a quarter, while it is below rate x service time (Little's law) and only
// while growing raised throughput: when this process or the machine is short of CPU, more workers
// only add connections and contention, and service times rise with the pool: a spiral from a small
// pool and a low p99 to thousands of workers and seconds.
func (r *run) growBy(rate float64, pool int, w *svcWindow) int {
	now := time.Now()
	if !w.at.IsZero() && now.Sub(w.at) < 100*time.Millisecond {
		if w.stalled {
			return 8
		}
		return 0
	}
	ns, n := r.svcNs.Load(), r.svcN.Load()
	dn := n - w.n
	first := w.at.IsZero()
	if !first {
		w.x = float64(dn) / now.Sub(w.at).Seconds()
	}
	w.stalled = !first && dn == 0
	if dn > 0 {
		w.need = rate*time.Duration((ns-w.ns)/dn).Seconds()*2 + initialWorkers
	}
	w.at, w.ns, w.n = now, ns, n
	switch {
	case w.stalled:
		return 8
	case first || float64(pool) >= w.need || now.Before(w.holdTil):
		return 0
	case w.lastX > 0 && w.x < w.lastX*1.05:
		// The last growth bought nothing: hold, then try again from here.
		w.holdTil, w.lastX = now.Add(time.Second), 0
		return 0
	}
	w.lastX = w.x
	return max(8, pool/4)
}

// poolSize is how many workers the run has.
func (r *run) poolSize() int {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	return len(r.workers)
}

// growAfter is how late the oldest waiting send must be before the pool grows.
const growAfter = 20 * time.Millisecond

// initialWorkers is the pool a run starts with.
const initialWorkers = 32
