// Package engine is gameday's open-loop load generator: requests leave on schedule whether or not earlier
// ones returned, latency is measured from each request's intended send time (no coordinated omission)
// into HDR histograms, the rate can be steered live, and the generator says when it cannot keep the
// schedule so the system under test is not blamed for the generator's limits.
package engine

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/model"
)

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
