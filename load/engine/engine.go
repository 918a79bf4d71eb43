// Package engine is gameday's open-loop load generator: requests leave on schedule whether or not earlier
// ones returned, latency is measured from each request's intended send time (no coordinated omission)
// into HDR histograms, the rate can be steered live, and the generator says when it cannot keep the
// schedule so the system under test is not blamed for the generator's limits.
package engine

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/tidwall/gjson"
	"github.com/valyala/fasthttp"

	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/model"
)

// Target is one configured request. Load goes only to configured targets.
type Target struct {
	Name   string
	Method string
	URL    string
	Header http.Header
	Body   []byte
	// Check is what every response must pass beyond a 2xx/3xx status (nil: the status only).
	Check *Check
	// Session, when set, sends each request as one of the target's logged-in virtual users.
	Session *Session

	hdrs  [][2]string // Header flattened once: every request copies these
	users *sessions
	// ownTrace: the target's headers carry a trace context of their own (sent as configured).
	ownTrace bool
}

// Check is what a response must be: a function check, not only "it answers". A response that
// fails one is failed and counted as a failed check (Result.Checks), apart from status codes.
type Check struct {
	Status       []int         `json:"status,omitempty"` // allowed codes (default: 2xx and 3xx)
	BodyContains string        `json:"bodyContains,omitempty"`
	JSONPath     string        `json:"jsonPath,omitempty"` // gjson syntax: data.items.#, status
	Equals       string        `json:"equals,omitempty"`   // what JSONPath must give
	MaxLatency   time.Duration `json:"maxLatency,omitempty"`
}

// Failed names the first check a response fails ("" when it passes); lat is from the intended send.
func (c *Check) Failed(code int, body []byte, lat time.Duration) string {
	if len(c.Status) > 0 && !slices.Contains(c.Status, code) {
		return fmt.Sprintf("status %d not in %v", code, c.Status)
	}
	if c.BodyContains != "" && !bytes.Contains(body, []byte(c.BodyContains)) {
		return fmt.Sprintf("body lacks %q", c.BodyContains)
	}
	if c.JSONPath != "" {
		if got := gjson.GetBytes(body, c.JSONPath); !got.Exists() || got.String() != c.Equals {
			return fmt.Sprintf("%s != %q", c.JSONPath, c.Equals)
		}
	}
	if c.MaxLatency > 0 && lat > c.MaxLatency {
		return fmt.Sprintf("slower than %s", c.MaxLatency)
	}
	return ""
}

// Options configure an engine.
type Options struct {
	Targets    []Target
	MaxRate    float64       // never exceeded (load.maxRate)
	MaxWorkers int           // concurrent requests at most (default 4096)
	Timeout    time.Duration // per request (default 10 s)
	// Tick is the scheduler's resolution (default 1 ms): sends are due at most this late.
	Tick time.Duration
	// OnRun, when set, is told when a run starts (true) and when it has finished (false): the
	// cockpit gives the process every core only while it sends load.
	OnRun func(active bool)
	// NoTraceHeaders sends no B3 trace context. By default every request carries a new trace id
	// (X-B3-TraceId, X-B3-SpanId, no sampling decision: the app's sampler decides), so the logs of a
	// failed request can be found by its id.
	NoTraceHeaders bool
	// RootCAs verifies https targets (nil: the system's roots), as a private cluster's CA signs them.
	RootCAs *x509.CertPool
}

// Engine runs one load at a time and implements load.Driver.
type Engine struct {
	opts Options
	mu   sync.Mutex
	cur  *run
	last *Result
}

// histogram range: 1 µs to 2 minutes, 3 significant digits.
const histMin, histMax, histDigits = 1, int64(2 * time.Minute / time.Microsecond), 3

func newHist() *hdr.Histogram { return hdr.New(histMin, histMax, histDigits) }

// New builds an engine. The transport keeps a connection per worker alive and never follows redirects.
func New(o Options) (*Engine, error) {
	if len(o.Targets) == 0 {
		return nil, errors.New("no load target is configured (load.targets in the config, or a URL on the command line)")
	}
	for i, t := range o.Targets {
		u, err := url.Parse(t.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("load target %d: want an http:// or https:// URL, got %q", i, t.URL)
		}
		if o.Targets[i].Method == "" {
			o.Targets[i].Method = http.MethodGet
		}
		if o.Targets[i].Header == nil {
			o.Targets[i].Header = http.Header{}
		}
		if s := o.Targets[i].Session; s != nil {
			if lu, err := url.Parse(s.Login); err != nil || (lu.Scheme != "http" && lu.Scheme != "https") || lu.Host == "" {
				return nil, fmt.Errorf("load target %d: session.login: want an http:// or https:// URL, got %q", i, s.Login)
			}
			o.Targets[i].users = newSessions(s)
		}
		for k, vs := range o.Targets[i].Header {
			switch strings.ToLower(k) {
			case "x-b3-traceid", "b3", "traceparent":
				o.Targets[i].ownTrace = true
			}
			for _, v := range vs {
				o.Targets[i].hdrs = append(o.Targets[i].hdrs, [2]string{k, v})
			}
		}
	}
	if o.MaxWorkers <= 0 {
		o.MaxWorkers = 4096
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Tick <= 0 {
		o.Tick = time.Millisecond
	}
	if math.IsNaN(o.MaxRate) || math.IsInf(o.MaxRate, 0) || o.MaxRate < 0 {
		return nil, fmt.Errorf("load.maxRate: %w", load.Rates().Check(o.MaxRate))
	}
	if o.MaxRate == 0 {
		o.MaxRate = load.MaxRate
	}
	return &Engine{opts: o}, nil
}

// newClient is a run's HTTP client. fasthttp rather than net/http: net/http's client spends much of
// its CPU per request in the hand-offs between its per-connection read and write goroutines, and the
// generator, competing with the server for the same cores, fell behind its schedule first; fasthttp
// sends and reads on the caller's goroutine (numbers in docs/ARCHITECTURE.md).
// It has no per-request context, so a run tracks its connections and HALT closes them, which ends
// every request in flight; a run's client dials nothing after that.
func newClient(o Options, conns *connSet) *fasthttp.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &fasthttp.Client{
		Name:                          "gameday-load",
		MaxConnsPerHost:               o.MaxWorkers,
		MaxIdleConnDuration:           90 * time.Second,
		ConnPoolStrategy:              fasthttp.LIFO,
		DisableHeaderNamesNormalizing: true,
		DisablePathNormalizing:        true,
		// A failed request is a result, never retried: a retry would hide the error and send more than
		// the schedule asked for (and after HALT, send again).
		MaxIdemponentCallAttempts: 1,
		RetryIfErr:                func(*fasthttp.Request, int, error) (bool, bool) { return false, false },
		TLSConfig: &tls.Config{RootCAs: o.RootCAs},
		Dial: func(addr string) (net.Conn, error) {
			c, err := dialer.Dial("tcp", addr)
			if err != nil {
				return nil, err
			}
			return conns.add(c)
		},
	}
}

// connSet is every open connection of the engine's client, so HALT can close them.
type connSet struct {
	mu     sync.Mutex
	m      map[*trackedConn]struct{}
	closed bool
}

type trackedConn struct {
	net.Conn
	set  *connSet
	once sync.Once
}

func (s *connSet) add(c net.Conn) (net.Conn, error) {
	tc := &trackedConn{Conn: c, set: s}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		_ = c.Close()
		return nil, errHalted
	}
	if s.m == nil {
		s.m = map[*trackedConn]struct{}{}
	}
	s.m[tc] = struct{}{}
	return tc, nil
}

var errHalted = errors.New("load stopped")

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.set.mu.Lock()
		delete(c.set.m, c)
		c.set.mu.Unlock()
	})
	return c.Conn.Close()
}

// closeAll ends every connection: requests in flight on them fail at once.
func (s *connSet) closeAll() {
	s.mu.Lock()
	s.closed = true
	cs := make([]*trackedConn, 0, len(s.m))
	for c := range s.m {
		cs = append(cs, c)
	}
	s.mu.Unlock()
	for _, c := range cs {
		_ = c.Close()
	}
}

// Allow refuses a URL that is not a configured target.
func (e *Engine) Allow(raw string) error {
	for _, t := range e.opts.Targets {
		if load.SameURL(t.URL, raw) {
			return nil
		}
	}
	names := make([]string, len(e.opts.Targets))
	for i, t := range e.opts.Targets {
		names[i] = t.URL
	}
	return fmt.Errorf("%w: %s is not a configured load target (allowed: %s)", model.ErrRefused, raw, strings.Join(names, ", "))
}

// run is one load run.
type run struct {
	e       *Engine
	client  *fasthttp.Client
	conns   connSet
	profile load.Profile
	start   time.Time
	ctx     context.Context
	cancel  context.CancelFunc
	// Dispatch is LIFO: a send goes to the most recently idle worker, so a small hot set of workers
	// (and connections) does the work and the rest stay parked. With FIFO wake-ups every connection
	// is kept busy, and the generator and the server both slow down as the pool grows.
	dmu     sync.Mutex
	idleW   []*worker
	backlog []int64 // intended send times waiting for a worker, oldest first
	closed  bool

	override atomic.Pointer[overrideRate]
	workers  []*worker
	wmu      sync.Mutex
	wg       sync.WaitGroup
	idle     atomic.Int64
	inflight atomic.Int64
	rr       atomic.Uint64

	scheduled   atomic.Int64
	dropped     atomic.Int64 // the queue was full: never sent
	lateTicks   atomic.Int64 // scheduler woke more than 5 ms late
	lateSends   atomic.Int64 // left more than 5 ms after their intended time
	sent        atomic.Int64
	perSecond   [8]atomic.Int64 // sends per second, a ring the scheduler clears ahead of use
	schedDone   chan struct{}
	stopped     chan struct{} // every worker has returned: nothing is being sent
	finished    chan struct{} // the report is computed
	finishOnce  sync.Once
	requestedAt atomic.Uint64 // math.Float64bits of the rate asked for now
	// Service time (send to response read) summed over completions, for the growth cap.
	svcNs atomic.Int64
	svcN  atomic.Int64
	// Virtual users' sessions: logins made and sessions found lost during the run.
	logins       atomic.Int64
	sessionsLost atomic.Int64
	failed       failedRing
}

// failedRing keeps the trace ids of the newest failed requests.
type failedRing struct {
	mu  sync.Mutex
	ids [maxFailedTraces]failedTrace
	n   int // written so far; the ring holds the last min(n, len(ids))
}

type failedTrace struct {
	at int64 // send time, unix ns
	id [16]byte
}

// maxFailedTraces is how many failed requests' trace ids a run keeps.
const maxFailedTraces = 1000

func (f *failedRing) add(at time.Time, id [16]byte) {
	f.mu.Lock()
	f.ids[f.n%len(f.ids)] = failedTrace{at.UnixNano(), id}
	f.n++
	f.mu.Unlock()
}

// since lists the ids of failures sent at or after t, oldest first, at most the last limit.
func (f *failedRing) since(t time.Time, limit int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for i := max(0, f.n-len(f.ids)); i < f.n; i++ {
		if e := f.ids[i%len(f.ids)]; e.at >= t.UnixNano() {
			out = append(out, hex.EncodeToString(e.id[:]))
		}
	}
	return out[max(0, len(out)-limit):]
}

// FailedTraces implements load.FailedTracer for the current (or last) run.
func (e *Engine) FailedTraces(since time.Time, limit int) []string {
	e.mu.Lock()
	r := e.cur
	e.mu.Unlock()
	if r == nil {
		return nil
	}
	return r.failed.since(since, limit) // empty without trace headers: nothing was kept
}

// traceHeaders gives a request a new trace (128-bit id) and root span id, as B3 headers.
func traceHeaders(req *fasthttp.Request) (id [16]byte) {
	binary.BigEndian.PutUint64(id[:8], rand.Uint64())
	binary.BigEndian.PutUint64(id[8:], rand.Uint64())
	var span [8]byte
	binary.BigEndian.PutUint64(span[:], rand.Uint64()|1)
	var tb [32]byte
	var sb [16]byte
	hex.Encode(tb[:], id[:])
	hex.Encode(sb[:], span[:])
	req.Header.SetBytesV("X-B3-TraceId", tb[:])
	req.Header.SetBytesV("X-B3-SpanId", sb[:])
	return id
}

type overrideRate struct {
	rate float64
	at   time.Duration
	left time.Duration // remaining timed duration when the override started (0 = none)
}

type worker struct {
	ch       chan int64
	mu       sync.Mutex
	hist     *hdr.Histogram
	svc      *hdr.Histogram // from the actual send: what vegeta and k6 report
	ok, fail int64
	codes    map[int]int64
	errs     map[string]int64
	checks   map[string]int64
	bytesIn  int64
	bytesOut int64
}

// Start begins a profile against every configured target (round robin).
func (e *Engine) Start(p load.Profile) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if pk := load.Peak(p); pk > e.opts.MaxRate {
		return fmt.Errorf("%w: the profile peaks at %.0f requests/s, above the configured maximum %.0f (load.maxRate)", model.ErrRefused, pk, e.opts.MaxRate)
	}
	if load.Peak(p) <= 0 {
		return errors.New("the profile's rate is 0")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cur != nil && !e.cur.schedulerDone() {
		return fmt.Errorf("%w: a load is already running (steer it with + / -, or HALT)", model.ErrRefused)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &run{e: e, profile: p, start: time.Now(), ctx: ctx, cancel: cancel,
		schedDone: make(chan struct{}), stopped: make(chan struct{}), finished: make(chan struct{})}
	r.client = newClient(e.opts, &r.conns)
	e.cur = r
	if e.opts.OnRun != nil {
		e.opts.OnRun(true)
	}
	r.spawn(initialWorkers)
	go r.schedule()
	go func() {
		<-r.schedDone
		r.wg.Wait()
		r.conns.closeAll() // the run's keep-alive connections
		close(r.stopped)
		r.finish()
	}()
	return nil
}

func (r *run) schedulerDone() bool {
	select {
	case <-r.schedDone:
		return true
	default:
		return false
	}
}

func (r *run) isDone() bool {
	select {
	case <-r.finished:
		return true
	default:
		return false
	}
}

func (r *run) finish() {
	r.finishOnce.Do(func() {
		res := r.result()
		r.e.mu.Lock()
		r.e.last = &res
		r.e.mu.Unlock()
		if r.e.opts.OnRun != nil {
			r.e.opts.OnRun(false) // before Wait returns: a caller that waited sees the run over
		}
		close(r.finished)
	})
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

func (r *run) endAt() time.Duration {
	if o := r.override.Load(); o != nil {
		return o.at + o.left
	}
	return r.profile.Duration
}

// growAfter is how late the oldest waiting send must be before the pool grows.
const growAfter = 20 * time.Millisecond

// initialWorkers is the pool a run starts with.
const initialWorkers = 32

// maxBacklog bounds sends waiting for a worker; beyond it they are dropped (and reported).
const maxBacklog = 1 << 20

// dispatch hands a send to the most recently idle worker, or queues it; it returns the backlog length.
func (r *run) dispatch(at int64) int {
	r.dmu.Lock()
	if n := len(r.idleW); n > 0 {
		w := r.idleW[n-1]
		r.idleW = r.idleW[:n-1]
		r.dmu.Unlock()
		r.scheduled.Add(1)
		w.ch <- at
		return 0
	}
	if len(r.backlog) >= maxBacklog {
		r.dmu.Unlock()
		r.dropped.Add(1)
		return maxBacklog
	}
	r.backlog = append(r.backlog, at)
	n := len(r.backlog)
	r.dmu.Unlock()
	r.scheduled.Add(1)
	return n
}

// backlogAge is how late the oldest waiting send already is.
func (r *run) backlogAge(now time.Time) time.Duration {
	r.dmu.Lock()
	defer r.dmu.Unlock()
	if len(r.backlog) == 0 {
		return 0
	}
	return now.Sub(time.Unix(0, r.backlog[0]))
}

// next is what a worker does after a send: take the oldest waiting send (got), or park (idle) until
// dispatch hands it one or closeWorkers closes its channel. Once the schedule is over it does neither
// and the worker ends.
func (r *run) next(w *worker) (at int64, got, parked bool) {
	r.dmu.Lock()
	defer r.dmu.Unlock()
	if len(r.backlog) > 0 {
		at := r.backlog[0]
		r.backlog = r.backlog[1:]
		if len(r.backlog) == 0 {
			r.backlog = nil // let the array go
		}
		return at, true, false
	}
	if r.closed {
		return 0, false, false
	}
	r.idleW = append(r.idleW, w)
	r.idle.Add(1)
	return 0, false, true
}

// closeWorkers ends every parked worker once the schedule is over; busy ones end after their send.
func (r *run) closeWorkers() {
	r.dmu.Lock()
	defer r.dmu.Unlock()
	r.closed = true
	for _, w := range r.idleW {
		close(w.ch)
	}
	r.idleW = nil
	if r.ctx.Err() != nil {
		r.dropped.Add(int64(len(r.backlog)))
		r.backlog = nil
	}
}

func (r *run) spawn(n int) {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	for i := 0; i < n && len(r.workers) < r.e.opts.MaxWorkers; i++ {
		w := &worker{hist: newHist(), svc: newHist(), codes: map[int]int64{}, errs: map[string]int64{}, checks: map[string]int64{}, ch: make(chan int64, 1)}
		r.workers = append(r.workers, w)
		r.wg.Add(1)
		go r.work(w)
	}
}

func (r *run) work(w *worker) {
	defer r.wg.Done()
	// A worker starts by looking for work like after a send: one spawned just before the schedule
	// ended must not wait on a channel nobody will close (it was never parked).
	for {
		at, got, parked := r.next(w)
		if !got {
			if !parked {
				return
			}
			var open bool
			if at, open = <-w.ch; !open {
				return
			}
			r.idle.Add(-1)
		}
		if r.ctx.Err() == nil { // HALT: drain without sending
			r.inflight.Add(1)
			r.send(w, time.Unix(0, at))
			r.inflight.Add(-1)
		}
	}
}

func (r *run) send(w *worker, intended time.Time) {
	if d := time.Until(intended); d > 0 {
		time.Sleep(d)
	}
	start := time.Now()
	lag := start.Sub(intended)
	if lag > 5*time.Millisecond {
		r.lateSends.Add(1)
	}
	r.sent.Add(1)
	if s := int(start.Sub(r.start) / time.Second); s >= 0 {
		r.perSecond[s%len(r.perSecond)].Add(1)
	}
	t := &r.e.opts.Targets[int(r.rr.Add(1)-1)%len(r.e.opts.Targets)]
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	req.SetRequestURI(t.URL)
	req.Header.SetMethod(t.Method)
	for _, h := range t.hdrs {
		req.Header.Add(h[0], h[1])
	}
	if len(t.Body) > 0 {
		req.SetBodyRaw(t.Body)
	}
	var tid [16]byte
	traced := !r.e.opts.NoTraceHeaders && !t.ownTrace
	if traced {
		tid = traceHeaders(req)
	}
	var u *vuser
	var cookie *string
	var err error
	if t.users != nil {
		u = t.users.pick()
		if cookie, err = r.cookie(t, u); err == nil {
			req.Header.Set("Cookie", *cookie)
		}
	}
	if err == nil {
		err = r.client.DoDeadline(req, resp, start.Add(r.e.opts.Timeout))
	}
	code := resp.StatusCode()
	in := int64(len(resp.Body()))
	// Latency from the intended send time: a stalled server delays everything queued behind it, and
	// that delay is what a user would have waited.
	lat := time.Since(intended)
	check := ""
	switch {
	case err != nil:
	case r.lost(t, u, cookie, code):
		check = "session lost"
	case t.Check != nil:
		check = t.Check.Failed(code, resp.Body(), lat)
	}
	fasthttp.ReleaseRequest(req)
	fasthttp.ReleaseResponse(resp)
	took := time.Since(start)
	r.svcNs.Add(int64(took))
	r.svcN.Add(1)
	if err != nil && r.ctx.Err() != nil {
		return // stopped by HALT (its connections were closed): not a result
	}
	if traced && (err != nil || check != "" || code < 200 || code >= 400) {
		r.failed.add(start, tid)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	_ = w.hist.RecordValue(max(lat.Microseconds(), 1))
	_ = w.svc.RecordValue(max(took.Microseconds(), 1))
	w.bytesIn += in
	w.bytesOut += int64(len(t.Body))
	switch {
	case err != nil:
		w.fail++
		if strings.HasPrefix(err.Error(), "login: ") {
			w.errs[err.Error()]++
		} else {
			w.errs[errKind(err)]++
		}
	case check != "":
		w.fail++
		w.codes[code]++
		w.checks[check]++
	case code >= 200 && code < 400:
		w.ok++
		w.codes[code]++
	default:
		w.fail++
		w.codes[code]++
	}
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// errKind names an error class for the report.
func errKind(err error) string {
	var ne net.Error
	var ce *tls.CertificateVerificationError
	var de *net.DNSError
	switch {
	case errors.As(err, &de):
		return "DNS lookup failed"
	case errors.As(err, &ce):
		return "TLS certificate not trusted"
	case errors.Is(err, syscall.EMFILE), strings.Contains(err.Error(), "too many open files"):
		return "file descriptors exhausted"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "ephemeral ports exhausted"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, fasthttp.ErrConnectionClosed):
		return "connection closed"
	}
	return "other"
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

// Stop stops sending at once (HALT): queued sends are dropped and in-flight requests canceled.
func (e *Engine) Stop() {
	e.mu.Lock()
	r := e.cur
	e.mu.Unlock()
	if r == nil {
		return
	}
	r.cancel()
	r.conns.closeAll()
	// HALT returns once nothing more will be sent (the scheduler has stopped and every queued send is
	// dropped); in-flight requests are canceled and the report is computed in the background.
	select {
	case <-r.schedDone:
	case <-time.After(time.Second):
	}
}

// Wait blocks until the current run ends (a timed profile) and returns its result.
func (e *Engine) Wait(ctx context.Context) (Result, error) {
	e.mu.Lock()
	r := e.cur
	e.mu.Unlock()
	if r == nil {
		return Result{}, errors.New("no load was started")
	}
	select {
	case <-r.finished:
	case <-ctx.Done():
		e.Stop()
		<-r.finished
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return *e.last, nil
}

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

// diagnose says when the generator, not the target, is the limit.
func (r *run) diagnose(res Result) []string {
	var d []string
	total := max(res.Scheduled, 1)
	if late := r.lateSends.Load(); float64(late)/float64(total) > 0.01 {
		n := r.poolSize()
		why := "the machine running gameday is short of CPU"
		if n >= r.e.opts.MaxWorkers {
			why = fmt.Sprintf("all %d workers were busy (worker limit)", n)
		}
		d = append(d, fmt.Sprintf("generator behind schedule: %.1f%% of requests left more than 5 ms late (%s); latencies include that wait", 100*float64(late)/float64(total), why))
	}
	if lt := r.lateTicks.Load(); lt > 0 {
		d = append(d, fmt.Sprintf("the scheduler woke late %d times (CPU starved or GC)", lt))
	}
	if dr := res.Dropped; dr > 0 {
		d = append(d, fmt.Sprintf("%d requests were never sent: the send queue was full", dr))
	}
	for kind, n := range res.Errors {
		switch kind {
		case "file descriptors exhausted":
			d = append(d, fmt.Sprintf("%d requests failed for want of file descriptors: raise ulimit -n (now %s)", n, fdLimit()))
		case "ephemeral ports exhausted":
			d = append(d, fmt.Sprintf("%d requests failed for want of local ports: keep-alive is on; lower the rate or widen net.ipv4.ip_local_port_range", n))
		}
	}
	sort.Strings(d)
	return d
}

func fdLimit() string {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return "unknown"
	}
	return fmt.Sprint(rl.Cur)
}
