package experiment

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/load/engine"
	"github.com/gamedaylab/gameday/scenario"
	"github.com/gamedaylab/gameday/session"
	"github.com/gamedaylab/gameday/signals"
	"github.com/gamedaylab/gameday/sources"
)

// observation is what one check of a probe saw.
type observation struct {
	held  bool
	value float64 // NaN when the probe has no number (a CEL expression: 1 or 0)
	seen  string  // what was seen, for a person
}

// errNoData is a backend that answered with nothing to compare: never a pass (onNoData).
var errNoData = errors.New("no data")

// prober checks one probe once, at the session's time now.
type prober interface {
	observe(ctx context.Context, now time.Time) (observation, error)
}

// compile builds the prober of a probe, on the session's backends.
func compile(s *session.Session, p scenario.Probe) (prober, error) {
	switch {
	case p.Kubernetes != nil:
		k, err := compileKube(*p.Kubernetes)
		if err != nil {
			return nil, err
		}
		return kubeProber{k: k, s: s}, nil
	case p.HTTP != nil:
		c := &http.Client{}
		if s.Sim != nil {
			c.Transport = s.Sim.HTTP(nil) // the demo's services answer as the simulation stands
		}
		return httpProber{p: *p.HTTP, client: c}, nil
	}
	x, err := scenario.ParseExpect(p.Expect)
	if err != nil {
		return nil, err
	}
	switch {
	case p.Prometheus != nil:
		if s.MetricsBackend == nil {
			return nil, fmt.Errorf("a prometheus probe needs Prometheus: give --prometheus-url or metrics.prometheus.url, or run Prometheus in the cluster")
		}
		return promProber{b: s.MetricsBackend, p: *p.Prometheus, x: x, name: p.Name}, nil
	case p.Zipkin != nil:
		if s.TracesBackend == nil {
			return nil, fmt.Errorf("a zipkin probe needs Zipkin: give --zipkin-url or traces.url")
		}
		z := *p.Zipkin
		if z.Service == "" {
			z.Service = s.Target()
		}
		return numeric{x: x, measure: zipkinMeasure(s.TracesBackend, z)}, nil
	case p.Load != nil:
		return numeric{x: x, measure: loadMeasure(s, p.Load.Measure)}, nil
	case p.Signal != "":
		n, err := signals.Parse(p.Signal)
		if err != nil {
			return nil, err
		}
		return numeric{x: x, measure: signalMeasure(s, n)}, nil
	case p.Elasticsearch != nil:
		c, ok := s.LogsBackend.(sources.LogCounter)
		if !ok {
			return nil, fmt.Errorf("an elasticsearch probe needs Elasticsearch or OpenSearch: give --es-url or logs.url")
		}
		var failed load.FailedTracer
		if p.Elasticsearch.FailedRequests {
			if failed, ok = s.Env.Load.(load.FailedTracer); !ok || s.Env.Load == nil {
				return nil, fmt.Errorf("an elasticsearch probe with failedRequests needs gameday's load: configure load.targets (or use the demo)")
			}
		}
		return numeric{x: x, measure: logCount(c, s.Namespace(), *p.Elasticsearch, failed)}, nil
	}
	return nil, fmt.Errorf("the probe names no backend")
}

type kubeProber struct {
	k *kubeProbe
	s *session.Session
}

func (k kubeProber) observe(ctx context.Context, _ time.Time) (observation, error) {
	held, seen, err := k.k.eval(ctx, k.s.Env.Client, k.s.Namespace())
	v := 0.0
	if held {
		v = 1
	}
	return observation{held: held, value: v, seen: seen}, err
}

// numeric is a probe whose backend gives one number, compared with the expectation.
type numeric struct {
	x       scenario.Expect
	measure func(ctx context.Context, now time.Time) (float64, string, error)
}

func (n numeric) observe(ctx context.Context, now time.Time) (observation, error) {
	v, what, err := n.measure(ctx, now)
	if err != nil {
		return observation{value: math.NaN()}, err
	}
	return observation{held: n.x.Holds(v), value: v, seen: fmt.Sprintf("%s = %s, want %s", what, num(v), n.x)}, nil
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

// promProber is an instant query (the latest sample of every series) or every sample of a window.
type promProber struct {
	b    sources.MetricsBackend
	p    scenario.PrometheusProbe
	x    scenario.Expect
	name string
}

func (pp promProber) observe(ctx context.Context, now time.Time) (observation, error) {
	win, step := 10*time.Second, 5*time.Second
	if pp.p.Window.Duration > 0 {
		win = pp.p.Window.Duration
		step = max(time.Second, win/60)
	}
	panel := sources.Panel{ID: "probe:" + pp.name, Queries: []sources.PanelQuery{{Legend: pp.name, Expr: pp.p.Query}}}
	series, err := pp.b.QueryRange(ctx, panel, now.Add(-win), now, step)
	if err != nil {
		return observation{value: math.NaN()}, err
	}
	o := observation{held: true, value: math.NaN()}
	samples := 0
	for _, ser := range series {
		pts := ser.Points
		if pp.p.Window.Duration <= 0 && len(pts) > 0 {
			pts = pts[len(pts)-1:]
		}
		for _, pt := range pts {
			if math.IsNaN(pt.V) || math.IsInf(pt.V, 0) {
				continue // histogram_quantile over no requests: nothing to compare
			}
			samples++
			if !pp.x.Holds(pt.V) && o.held {
				o.held, o.value = false, pt.V
				o.seen = fmt.Sprintf("%s = %s at %s, want %s", ser.Name, num(pt.V), pt.T.Format("15:04:05"), pp.x)
			}
			if o.held {
				o.value = pt.V
			}
		}
	}
	if samples == 0 {
		return observation{value: math.NaN()}, fmt.Errorf("%w: the query returned no samples", errNoData)
	}
	if o.held {
		o.seen = fmt.Sprintf("%s = %s, want %s", pp.name, num(o.value), pp.x)
		if pp.p.Window.Duration > 0 {
			o.seen = fmt.Sprintf("all %d samples of the last %s met %s (latest %s)", samples, pp.p.Window.Duration, pp.x, num(o.value))
		}
	}
	return o, nil
}

func zipkinMeasure(b sources.TraceBackend, z scenario.ZipkinProbe) func(context.Context, time.Time) (float64, string, error) {
	win := z.Window.Duration
	if win <= 0 {
		win = time.Minute
	}
	return func(ctx context.Context, now time.Time) (float64, string, error) {
		list, err := b.Recent(ctx, sources.TraceQuery{Service: z.Service, SpanName: z.SpanName, Lookback: win, End: now, Limit: 10000})
		if err != nil {
			return 0, "", err
		}
		what := fmt.Sprintf("%s of %d traces of %s in %s", z.Measure, len(list), z.Service, win)
		errs := 0
		durs := make([]float64, 0, len(list))
		for _, t := range list {
			if t.Error {
				errs++
			}
			durs = append(durs, t.Duration.Seconds())
		}
		if z.Measure == "count" { // no traces is a count of 0, the one measure it answers
			return float64(len(list)), what, nil
		}
		if len(list) == 0 {
			// "errors < 1" over no traces would pass for a service that answered nothing at all.
			return 0, "", fmt.Errorf("%w: no traces of %s in the last %s", errNoData, z.Service, win)
		}
		if z.Measure == "errors" {
			return float64(errs), what, nil
		}
		if z.Measure == "errorRatio" {
			return float64(errs) / float64(len(list)), what, nil
		}
		q, _ := strconv.ParseFloat(strings.TrimPrefix(z.Measure, "p"), 64)
		sort.Float64s(durs)
		return durs[min(len(durs)-1, int(math.Ceil(q/100*float64(len(durs))))-1)], what, nil
	}
}

// logCount counts the lines of a query in the window; with failed, only those carrying the trace
// id of a load request that failed in it (none failed: no data, as nothing could be looked for).
func logCount(c sources.LogCounter, ns string, p scenario.ElasticsearchProbe, failed load.FailedTracer) func(context.Context, time.Time) (float64, string, error) {
	win := p.Window.Duration
	if win <= 0 {
		win = time.Minute
	}
	return func(ctx context.Context, now time.Time) (float64, string, error) {
		q := sources.LogQuery{Namespace: ns, Filter: p.Query, Since: now.Add(-win)}
		what := fmt.Sprintf("lines matching %q in %s", p.Query, win)
		if failed != nil {
			q.TraceIDs = failed.FailedTraces(q.Since, sources.MaxTraceIDs)
			if len(q.TraceIDs) == 0 {
				return 0, "", fmt.Errorf("%w: no load request failed in the last %s", errNoData, win)
			}
			what = fmt.Sprintf("lines matching %q with the trace ids of %d failed load requests in %s", p.Query, len(q.TraceIDs), win)
		}
		n, err := c.Count(ctx, q, now)
		return float64(n), what, err
	}
}

type httpProber struct {
	p      scenario.HTTPProbe
	client *http.Client
}

func (h httpProber) observe(ctx context.Context, _ time.Time) (observation, error) {
	timeout := h.p.Timeout.Duration
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	method := h.p.Method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, method, h.p.URL, nil)
	if err != nil {
		return observation{value: math.NaN()}, err
	}
	start := time.Now()
	res, err := h.client.Do(req)
	if err != nil {
		return observation{value: math.NaN()}, fmt.Errorf("%w: %v", errNoData, err)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	res.Body.Close()
	took := time.Since(start)
	if err != nil {
		return observation{value: math.NaN()}, fmt.Errorf("%w: reading the body: %v", errNoData, err)
	}
	// The same checks as a load target's (engine.Check); the status defaults to 2xx here.
	var failed []string
	if len(h.p.Status) == 0 && res.StatusCode/100 != 2 {
		failed = append(failed, fmt.Sprintf("status %d, want 2xx", res.StatusCode))
	}
	c := engine.Check{Status: h.p.Status, BodyContains: h.p.BodyContains, JSONPath: h.p.JSONPath, Equals: h.p.Equals, MaxLatency: h.p.MaxLatency.Duration}
	if why := c.Failed(res.StatusCode, body, took); why != "" {
		failed = append(failed, why)
	}
	o := observation{held: len(failed) == 0, value: took.Seconds()}
	if o.held {
		o.seen = fmt.Sprintf("%d in %s", res.StatusCode, took.Round(time.Millisecond))
	} else {
		o.seen = fmt.Sprintf("%d in %s: %s", res.StatusCode, took.Round(time.Millisecond), strings.Join(failed, "; "))
	}
	return o, nil
}

// signalMeasure reads a signal of the session's target in the convention detected for it (detected
// now when it has not been yet, or was for another target).
func signalMeasure(s *session.Session, n signals.Name) func(context.Context, time.Time) (float64, string, error) {
	return func(ctx context.Context, _ time.Time) (float64, string, error) {
		sig := s.LastSignals()
		if sig.Target != s.Target() || sig.Namespace != s.Namespace() || len(sig.Resolutions) == 0 {
			var err error
			if sig, err = s.DetectSignals(ctx); err != nil {
				return 0, "", err
			}
		}
		r := sig.Of(n)
		if !r.Found() {
			return 0, "", fmt.Errorf("%w: no %s for deploy/%s: %s", errNoData, n, sig.Target, r.Why)
		}
		v, ok, err := s.Value(ctx, r)
		switch {
		case err != nil:
			return 0, "", err
		case !ok || math.IsNaN(v) || math.IsInf(v, 0):
			return 0, "", fmt.Errorf("%w: %s of deploy/%s (%s) has no value now", errNoData, n, sig.Target, r.Convention)
		}
		return v, fmt.Sprintf("%s (%s)", n, r.Convention), nil
	}
}

// loadMeasure reads the run's load: its driver's status (the load engine's, or the demo's).
func loadMeasure(s *session.Session, measure string) func(context.Context, time.Time) (float64, string, error) {
	return func(context.Context, time.Time) (float64, string, error) {
		d := s.Env.Load
		if d == nil {
			return 0, "", fmt.Errorf("a load probe needs load: configure load.targets (or use the demo)")
		}
		st := d.Status()
		switch measure {
		case "sessionsLost":
			if st.Sessions == nil {
				return 0, "", fmt.Errorf("no load target logs in: give a load target a session (load.targets[].session)")
			}
			return float64(st.Sessions.Lost), fmt.Sprintf("sessions lost (of %d virtual users)", st.Sessions.Users), nil
		case "failed":
			return float64(st.Errors), "failed requests", nil
		case "checkFailures":
			return float64(st.CheckFailures), "failed checks", nil
		case "success":
			if st.Completed == 0 {
				return 0, "", fmt.Errorf("%w: no load request has completed yet", errNoData)
			}
			return st.Success, "success ratio", nil
		case "p99":
			if st.Completed == 0 {
				return 0, "", fmt.Errorf("%w: no load request has completed yet", errNoData)
			}
			return st.P99.Seconds(), "load p99 (s)", nil
		}
		return 0, "", fmt.Errorf("load probe: unknown measure %q", measure)
	}
}
