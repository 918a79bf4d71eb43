package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/openzipkin/zipkin-go"
	zipkinhttp "github.com/openzipkin/zipkin-go/middleware/http"
	zmodel "github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/reporter"
	httpreporter "github.com/openzipkin/zipkin-go/reporter/http"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

type app struct {
	cfg      config
	log      *slog.Logger
	started  time.Time
	draining atomic.Bool
	inflight atomic.Int64

	tracer   *zipkin.Tracer
	reporter reporter.Reporter
	client   *zipkinhttp.Client

	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
	registry *prometheus.Registry
	listener net.Listener

	pod            string
	sessions       store
	sessionMetrics sessionMetrics
}

func newApp(cfg config, log *slog.Logger) (*app, error) {
	a := &app{cfg: cfg, log: log, started: time.Now(), registry: prometheus.NewRegistry()}
	a.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "demoapp_http_requests_total",
		Help: "HTTP requests by route, method and status code."}, []string{"route", "method", "code"})
	a.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "demoapp_http_request_duration_seconds",
		Help: "HTTP request latency.", Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}},
		[]string{"route", "method"})
	a.inFlight = prometheus.NewGauge(prometheus.GaugeOpts{Name: "demoapp_http_requests_in_flight", Help: "Requests being served."})
	a.registry.MustRegister(a.requests, a.duration, a.inFlight,
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
	a.sessionMetrics = newSessionMetrics(a.registry)
	a.pod = envOr("POD_NAME", hostname())
	st, err := newStore(cfg.sessions, cfg.redis)
	if err != nil {
		return nil, err
	}
	a.sessions = st

	// Tracing is a no-op without an endpoint, so the app runs the same either way.
	a.reporter = reporter.NewNoopReporter()
	if cfg.zipkin != "" {
		a.reporter = httpreporter.NewReporter(cfg.zipkin, httpreporter.BatchInterval(500*time.Millisecond))
	}
	ep, err := zipkin.NewEndpoint(cfg.name, cfg.addr)
	if err != nil {
		ep = &zmodel.Endpoint{ServiceName: cfg.name}
	}
	a.tracer, err = zipkin.NewTracer(a.reporter, zipkin.WithLocalEndpoint(ep), zipkin.WithSampler(zipkin.AlwaysSample), zipkin.WithSharedSpans(false), zipkin.WithTraceID128Bit(true))
	if err != nil {
		return nil, fmt.Errorf("tracer: %w", err)
	}
	a.client, err = zipkinhttp.NewClient(a.tracer, zipkinhttp.ClientTrace(false),
		zipkinhttp.WithClient(&http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 100}}))
	if err != nil {
		return nil, fmt.Errorf("trace client: %w", err)
	}
	return a, nil
}

func (a *app) handler() http.Handler {
	mux := http.NewServeMux()
	// Server spans for the app's own routes (named "get /api/work"), not for probes and scrapes.
	traced := func(route string, h http.HandlerFunc) http.Handler {
		return zipkinhttp.NewServerMiddleware(a.tracer, zipkinhttp.TagResponseSize(true),
			zipkinhttp.SpanName("get "+route))(a.instrument(route, h))
	}
	mux.Handle("/", traced("/", a.root))
	mux.Handle("/api/work", traced("/api/work", a.work))
	mux.Handle("/api/item", traced("/api/item", a.item))
	mux.Handle("/login", traced("/login", a.login))
	mux.Handle("/api/cart", traced("/api/cart", a.cart))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.HandleFunc("/readyz", a.ready)
	mux.Handle("/metrics", promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{}))
	return mux
}

// statusWriter remembers the status code for metrics and logs.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(c int) {
	s.code = c
	s.ResponseWriter.WriteHeader(c)
}

// instrument counts, times and logs every request of a route (RED), with the trace id.
func (a *app) instrument(route string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if route == "/" && r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		start := time.Now()
		a.inFlight.Inc()
		a.inflight.Add(1)
		sw := &statusWriter{ResponseWriter: w, code: 200}
		defer func() {
			a.inFlight.Dec()
			a.inflight.Add(-1)
			d := time.Since(start)
			a.requests.WithLabelValues(route, r.Method, strconv.Itoa(sw.code)).Inc()
			a.duration.WithLabelValues(route, r.Method).Observe(d.Seconds())
			level, msg := slog.LevelInfo, fmt.Sprintf("%s %s %d", r.Method, route, sw.code)
			if sw.code >= 500 {
				level = slog.LevelError
			}
			attrs := []any{"route", route, "status", sw.code, "duration_ms", float64(d.Microseconds()) / 1000}
			if sp := zipkin.SpanFromContext(r.Context()); sp != nil {
				attrs = append(attrs, "trace_id", sp.Context().TraceID.String())
			}
			a.log.Log(r.Context(), level, msg, attrs...)
		}()
		h(sw, r)
	}
}

func (a *app) root(w http.ResponseWriter, _ *http.Request) {
	_, _ = io.WriteString(w, "demoapp "+a.cfg.name+"\n")
}

func queryFloat(r *http.Request, key string, def float64) float64 {
	if v := r.URL.Query().Get(key); v != "" {
		if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 {
			return f
		}
	}
	return def
}

// work burns CPU, waits, maybe fails, and calls the downstream instance (if any) with B3 headers.
func (a *app) work(w http.ResponseWriter, r *http.Request) {
	cpuMs := queryFloat(r, "cpu_ms", a.cfg.workMs)
	latMs := queryFloat(r, "latency_ms", a.cfg.latencyMs)
	fail := queryFloat(r, "fail", a.cfg.failRate)
	ctx := r.Context()

	// The work span is a child of the server span; the downstream call below is its sibling, so the
	// waterfall shows work then call side by side under the request.
	span, _ := a.tracer.StartSpanFromContext(ctx, "work")
	burn(time.Duration(cpuMs * float64(time.Millisecond)))
	span.Tag("cpu_ms", strconv.FormatFloat(cpuMs, 'f', -1, 64))
	span.Finish()

	if latMs > 0 {
		select {
		case <-time.After(time.Duration(latMs * float64(time.Millisecond))):
		case <-ctx.Done():
			return
		}
	}
	if a.cfg.downstream != "" {
		if err := a.callDownstream(ctx, r); err != nil {
			zipkin.TagError.Set(zipkin.SpanFromContext(ctx), err.Error())
			a.log.Error("downstream failed", "error", err.Error(), "downstream", a.cfg.downstream)
			http.Error(w, "downstream: "+err.Error(), http.StatusBadGateway)
			return
		}
	}
	if fail > 0 && rand.Float64() < fail {
		http.Error(w, "injected failure", http.StatusInternalServerError)
		return
	}
	_, _ = fmt.Fprintf(w, "done cpu_ms=%g latency_ms=%g\n", cpuMs, latMs)
}

// item answers a JSON document a load check can verify ({"ok": true, "name": "item-ID"}); a share
// of answers (corrupt=) are 200 with ok false and no name: the service answers, and answers wrong.
func (a *app) item(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	if id == "" {
		id = "1"
	}
	w.Header().Set("Content-Type", "application/json")
	if c := queryFloat(r, "corrupt", a.cfg.corrupt); c > 0 && rand.Float64() < c {
		_, _ = fmt.Fprintf(w, `{"id":%q,"name":"","ok":false,"service":%q}`+"\n", id, a.cfg.name)
		return
	}
	_, _ = fmt.Fprintf(w, `{"id":%q,"name":"item-%s","ok":true,"service":%q}`+"\n", id, id, a.cfg.name)
}

func (a *app) callDownstream(ctx context.Context, in *http.Request) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.cfg.downstream+"/api/work?"+in.URL.RawQuery, nil)
	if err != nil {
		return err
	}
	resp, err := a.client.DoWithAppSpan(req, "call "+a.cfg.downstream)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode >= 500 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// burn spins the CPU for d: the work that makes CPU (and the HPA) follow the request rate.
func burn(d time.Duration) {
	end := time.Now().Add(d)
	x := 0.0
	for time.Now().Before(end) {
		for i := 0; i < 1000; i++ {
			x += float64(i) * 1.0000001
		}
	}
	_ = x
}

// ready is not ready during the warm-up and while draining, so Services stop sending traffic first.
func (a *app) ready(w http.ResponseWriter, _ *http.Request) {
	switch {
	case a.draining.Load():
		http.Error(w, "draining", http.StatusServiceUnavailable)
	case time.Since(a.started) < a.cfg.warmup:
		http.Error(w, fmt.Sprintf("warming up (%s left)", (a.cfg.warmup-time.Since(a.started)).Round(time.Second)), http.StatusServiceUnavailable)
	default:
		_, _ = io.WriteString(w, "ready\n")
	}
}

// serve runs until ctx ends (SIGTERM), then drains in-flight requests.
func (a *app) serve(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.cfg.addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", a.cfg.addr, err)
	}
	a.listener = ln
	srv := &http.Server{Handler: a.handler(), ReadHeaderTimeout: 10 * time.Second}
	a.log.Info("starting", "addr", ln.Addr().String(), "downstream", a.cfg.downstream, "zipkin", a.cfg.zipkin != "", "warmup", a.cfg.warmup.String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.draining.Store(true)
	a.log.Warn("SIGTERM received: draining", "in_flight", a.inflight.Load(), "timeout", a.cfg.drain.String())
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.drain)
	defer cancel()
	err = srv.Shutdown(sctx)
	_ = a.reporter.Close()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		a.log.Error("drain incomplete", "error", err.Error(), "in_flight", a.inflight.Load())
		return nil
	}
	a.log.Info("shutdown complete")
	return nil
}
