package engine

import (
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/gamedaylab/gameday/load"
)

// histogram range: 1 µs to 2 minutes, 3 significant digits.
const histMin, histMax, histDigits = 1, int64(2 * time.Minute / time.Microsecond), 3

func newHist() *hdr.Histogram { return hdr.New(histMin, histMax, histDigits) }

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// Result is a run's report.
type Result struct {
	Profile  load.Profile  `json:"profile"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration"`
	// Interrupted says how a timed run was cut short ("interrupted after 3s of 30s"): a partial report.
	Interrupted   string  `json:"interrupted,omitempty"`
	Scheduled     int64   `json:"scheduled"`
	Requests      int64   `json:"requests"`
	Completed     int64   `json:"completed"`
	Success       int64   `json:"success"`
	Failed        int64   `json:"failed"`
	Dropped       int64   `json:"dropped"`
	RequestedRate float64 `json:"requestedRate"`
	AchievedRate  float64 `json:"achievedRate"`
	SuccessRatio  float64 `json:"successRatio"`
	Latency       Latency `json:"latency"`
	// ServiceLatency counts from each request's actual send, leaving out the generator's own
	// queueing: what tools that measure that way (vegeta, k6) report, for comparison.
	ServiceLatency Latency          `json:"serviceLatency"`
	Codes          map[int]int64    `json:"codes"`
	Errors         map[string]int64 `json:"errors"`
	// Checks counts responses that failed a target's check, by the check failed.
	Checks      map[string]int64 `json:"checks,omitempty"`
	BytesIn     int64            `json:"bytesIn"`
	BytesOut    int64            `json:"bytesOut"`
	Diagnostics []string         `json:"diagnostics,omitempty"`
	// Sessions are the virtual users' sessions (targets with a session only).
	Sessions *load.Sessions `json:"sessions,omitempty"`
	// Histogram is the merged latency histogram (µs), encoded: workers ship it to be merged.
	Histogram        string         `json:"histogram,omitempty"`
	ServiceHistogram string         `json:"serviceHistogram,omitempty"`
	hist, svcHist    *hdr.Histogram `json:"-"`
}

// Latency percentiles, measured from intended send times.
type Latency struct {
	Min  time.Duration `json:"min"`
	Mean time.Duration `json:"mean"`
	P50  time.Duration `json:"p50"`
	P90  time.Duration `json:"p90"`
	P95  time.Duration `json:"p95"`
	P99  time.Duration `json:"p99"`
	P999 time.Duration `json:"p999"`
	Max  time.Duration `json:"max"`
}

func (r *run) result() Result {
	h, sh := newHist(), newHist()
	res := Result{Profile: r.profile, Started: r.start, Codes: map[int]int64{}, Errors: map[string]int64{}, Checks: map[string]int64{}}
	r.wmu.Lock()
	ws := append([]*worker(nil), r.workers...)
	r.wmu.Unlock()
	for _, w := range ws {
		w.mu.Lock()
		h.Merge(w.hist)
		sh.Merge(w.svc)
		res.Success += w.ok
		res.Failed += w.fail
		addCounts(res.Codes, w.codes)
		addCounts(res.Errors, w.errs)
		addCounts(res.Checks, w.checks)
		res.BytesIn += w.bytesIn
		res.BytesOut += w.bytesOut
		w.mu.Unlock()
	}
	res.Completed = res.Success + res.Failed
	res.Scheduled, res.Dropped = r.scheduled.Load(), r.dropped.Load()
	res.Requests = r.sent.Load()
	res.Duration = time.Since(r.start)
	if end := r.endAt(); end > 0 && res.Duration > end {
		res.Duration = end
	}
	if secs := res.Duration.Seconds(); secs > 0 {
		res.RequestedRate = float64(res.Scheduled+res.Dropped) / secs
		res.AchievedRate = float64(res.Requests) / secs
	}
	if res.Completed > 0 {
		res.SuccessRatio = float64(res.Success) / float64(res.Completed)
	}
	res.hist, res.svcHist = h, sh
	for _, t := range r.e.opts.Targets {
		if t.users != nil {
			if res.Sessions == nil {
				res.Sessions = &load.Sessions{}
			}
			res.Sessions.Users += len(t.users.users)
			res.Sessions.LoggedIn += t.users.loggedIn()
		}
	}
	if res.Sessions != nil {
		res.Sessions.Logins, res.Sessions.Lost = r.logins.Load(), r.sessionsLost.Load()
	}
	res.fillLatency()
	res.Diagnostics = r.diagnose(res)
	return res
}

func (res *Result) fillLatency() {
	res.Latency, res.ServiceLatency = latencyOf(res.hist), latencyOf(res.svcHist)
}

func latencyOf(h *hdr.Histogram) Latency {
	us := func(v int64) time.Duration { return time.Duration(v) * time.Microsecond }
	if h == nil || h.TotalCount() == 0 {
		return Latency{}
	}
	return Latency{Min: us(h.Min()), Mean: time.Duration(h.Mean() * float64(time.Microsecond)),
		P50: us(h.ValueAtQuantile(50)), P90: us(h.ValueAtQuantile(90)), P95: us(h.ValueAtQuantile(95)),
		P99: us(h.ValueAtQuantile(99)), P999: us(h.ValueAtQuantile(99.9)), Max: us(h.Max())}
}
