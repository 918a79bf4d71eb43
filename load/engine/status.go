package engine

import (
	"math"
	"time"

	"github.com/gamedaylab/gameday/load"
)

// Status is a live snapshot for the cockpit.
func (e *Engine) Status() load.Status {
	e.mu.Lock()
	r := e.cur
	e.mu.Unlock()
	if r == nil {
		return load.Status{}
	}
	res := r.result()
	sending := true
	select {
	case <-r.schedDone:
		sending = false
	default:
	}
	st := load.Status{Active: sending, Profile: r.profile, Sent: res.Requests, Errors: res.Failed,
		P50: res.Latency.P50, P90: res.Latency.P90, P99: res.Latency.P99, Max: res.Latency.Max,
		ServiceP50: res.ServiceLatency.P50, ServiceP99: res.ServiceLatency.P99,
		InFlight: int(r.inflight.Load()), Elapsed: time.Since(r.start), Diagnostics: res.Diagnostics,
		Completed: res.Completed, Timeout: e.opts.Timeout, CheckFailures: sum(res.Checks), Sessions: res.Sessions}
	if st.Active {
		st.Requested = math.Float64frombits(r.requestedAt.Load())
		if s := int(time.Since(r.start)/time.Second) - 1; s >= 0 {
			st.Achieved = float64(r.perSecond[s%len(r.perSecond)].Load())
		}
	}
	if res.Completed > 0 {
		st.Success = float64(res.Success) / float64(res.Completed)
	}
	return st
}
