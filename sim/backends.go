package sim

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	zmodel "github.com/openzipkin/zipkin-go/model"

	"github.com/gamedaylab/gameday/signals"
	"github.com/gamedaylab/gameday/sources"
)

// panelSeries maps the default panels to the simulation's series.
var panelSeries = map[string][]struct{ legend, series string }{
	sources.PanelRate:     {{"total", "rate"}, {"5xx", "5xx"}, {"gameday load", "load"}},
	sources.PanelErrors:   {{"5xx %", "errors"}},
	sources.PanelLatency:  {{"p99", "p99"}, {"p50", "p50"}},
	sources.PanelReplicas: {{"ready", "ready"}, {"desired", "desired"}},
	sources.PanelCPU:      {{"cpu % of request", "cpu"}},
}

// Metrics is the simulation as a metrics backend.
func (s *Sim) Metrics() sources.MetricsBackend { return (*simMetrics)(s) }

// Traces is the simulation as a trace backend.
func (s *Sim) Traces() sources.TraceBackend { return (*simTraces)(s) }

// Logs is the simulation as a log backend.
func (s *Sim) Logs() sources.LogBackend { return (*simLogs)(s) }

type simMetrics Sim

func (m *simMetrics) Name() string { return "simulation" }

// QueryRange averages the per-second samples into step-wide buckets, like a range query would.
func (m *simMetrics) QueryRange(_ context.Context, p sources.Panel, start, end time.Time, step time.Duration) ([]sources.Series, error) {
	s := (*Sim)(m)
	defs, ok := panelSeries[p.ID]
	scale := 1.0
	if !ok {
		defs, scale, ok = bySignal(p)
	}
	if !ok {
		defs, ok = (*Sim)(m).byExpr(p)
	}
	if !ok {
		return nil, fmt.Errorf("the simulation serves only the default panels' queries (rate, errors, latency, replicas, cpu), not %q", firstExpr(p))
	}
	if step <= 0 {
		step = time.Second
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]sources.Series, 0, len(defs))
	measured := (s.scopeNS == "" || s.scopeNS == Namespace) && (s.scopeTarget == "" || s.scopeTarget == Target)
	for _, d := range defs {
		r := s.store.series[d.series]
		if !measured {
			r = nil // a query scoped elsewhere: no data, as Prometheus would answer
		}
		ser := sources.Series{Name: d.legend}
		if r != nil {
			ser.Points = resample(r, start, end, step, p.Unit == "count")
			for i := range ser.Points {
				ser.Points[i].V *= scale
			}
		}
		out = append(out, ser)
	}
	return out, nil
}

// byExpr serves a query that is one of the default panels' (an experiment's probe asks for the p99
// in PromQL, not by panel id): the text is compared with $namespace and $workload filled in.
func (s *Sim) byExpr(p sources.Panel) ([]struct{ legend, series string }, bool) {
	if len(p.Queries) != 1 {
		return nil, false
	}
	s.mu.Lock()
	r := strings.NewReplacer("$namespace", s.scopeNS, "$workload", s.scopeTarget)
	s.mu.Unlock()
	want := strings.Join(strings.Fields(r.Replace(p.Queries[0].Expr)), "")
	for _, d := range sources.DefaultPanels() {
		for i, q := range d.Queries {
			if strings.Join(strings.Fields(r.Replace(q.Expr)), "") == want {
				return panelSeries[d.ID][i : i+1], true
			}
		}
	}
	return nil, false
}

func firstExpr(p sources.Panel) string {
	if len(p.Queries) > 0 {
		return p.Queries[0].Expr
	}
	return p.ID
}

// resample turns raw samples into a range query's answer: one point per step, the step's mean (as
// rate() over the step would smooth it), or for counts the step's last sample (a count of pods has no
// fractions: "ready 5.3" with 3 ready was a mean). The last point is the latest sample, so a legend
// reading it shows what is true now.
func resample(r *ring[sources.Point], start, end time.Time, step time.Duration, last bool) []sources.Point {
	var out []sources.Point
	var bucket time.Time
	var sum float64
	var n int
	var latest sources.Point
	flush := func() {
		if n > 0 {
			v := sum / float64(n)
			if last {
				v = latest.V
			}
			out = append(out, sources.Point{T: bucket, V: v})
		}
	}
	for i := 0; i < r.len(); i++ {
		pt := r.at(i)
		if pt.T.Before(start) || pt.T.After(end) {
			continue
		}
		b := start.Add(pt.T.Sub(start).Truncate(step))
		if b != bucket {
			flush()
			bucket, sum, n = b, 0, 0
		}
		sum += pt.V
		n++
		latest = sources.Point{T: pt.T, V: pt.V}
	}
	flush()
	if len(out) > 0 && latest.T.After(out[len(out)-1].T) {
		out = append(out, latest)
	}
	return out
}

type simTraces Sim

func (t *simTraces) Name() string { return "simulation" }

func (t *simTraces) Recent(_ context.Context, q sources.TraceQuery) ([]sources.TraceSummary, error) {
	s := (*Sim)(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	from := time.Time{}
	if q.Lookback > 0 {
		from = q.End.Add(-q.Lookback)
	}
	var out []sources.TraceSummary
	for i := s.store.traces.len() - 1; i >= 0 && len(out) < limit; i-- {
		spans := s.store.traces.at(i)
		sum := sources.SummarizeTrace(spans)
		if sum.Start.Before(from) || (!q.End.IsZero() && sum.Start.After(q.End)) {
			continue
		}
		if q.ErrorsOnly && !sum.Error || sum.Duration < q.MinDuration {
			continue
		}
		if q.Service != "" && !contains(sum.Services, q.Service) {
			continue
		}
		if q.SpanName != "" && !hasSpan(spans, q.SpanName) {
			continue
		}
		out = append(out, sum)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.After(out[j].Start) })
	return out, nil
}

// SpanNames lists the span names of service's spans in the stored traces.
func (t *simTraces) SpanNames(_ context.Context, service string) ([]string, error) {
	s := (*Sim)(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	for i := 0; i < s.store.traces.len(); i++ {
		for _, sp := range s.store.traces.at(i) {
			if sp.LocalEndpoint != nil && strings.EqualFold(sp.LocalEndpoint.ServiceName, service) {
				seen[sp.Name] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

func (t *simTraces) Trace(_ context.Context, id string) ([]zmodel.SpanModel, error) {
	s := (*Sim)(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := s.store.traces.len() - 1; i >= 0; i-- {
		spans := s.store.traces.at(i)
		if len(spans) > 0 && spans[0].TraceID.String() == id {
			return append([]zmodel.SpanModel(nil), spans...), nil
		}
	}
	return nil, fmt.Errorf("trace %s not found (the simulation keeps the last 2,000)", id)
}

func contains(a []string, v string) bool {
	for _, x := range a {
		if x == v {
			return true
		}
	}
	return false
}

func hasSpan(spans []zmodel.SpanModel, name string) bool {
	for _, sp := range spans {
		if strings.Contains(sp.Name, strings.ToLower(name)) {
			return true
		}
	}
	return false
}

type simLogs Sim

func (l *simLogs) Name() string { return "simulation" }

// Tail returns the lines after the cursor in (time, seq) order; the filter is a case-insensitive
// substring of the raw line.
func (l *simLogs) Tail(_ context.Context, q sources.LogQuery, after sources.LogCursor) ([]sources.LogLine, sources.LogCursor, error) {
	s := (*Sim)(l)
	s.mu.Lock()
	defer s.mu.Unlock()
	limit := q.Limit
	if limit <= 0 {
		limit = 500
	}
	f := strings.ToLower(q.Filter)
	var out []sources.LogLine
	cur := after
	for i := 0; i < s.store.logs.len() && len(out) < limit; i++ {
		ln := s.store.logs.at(i)
		if after.Set && (ln.Time.Before(after.Time) || ln.Time.Equal(after.Time) && ln.Seq <= after.Seq) {
			continue
		}
		if !after.Set && ln.Time.Before(q.Since) {
			continue
		}
		cur = sources.LogCursor{Time: ln.Time, Seq: ln.Seq, Set: true}
		if f != "" && !strings.Contains(strings.ToLower(ln.Raw), f) {
			continue
		}
		out = append(out, ln)
	}
	return out, cur, nil
}

// Count is how many lines between q.Since and end contain q.Filter (case-insensitive).
func (l *simLogs) Count(_ context.Context, q sources.LogQuery, end time.Time) (int, error) {
	s := (*Sim)(l)
	s.mu.Lock()
	defer s.mu.Unlock()
	f := strings.ToLower(q.Filter)
	var ids map[string]bool
	if len(q.TraceIDs) > 0 {
		ids = make(map[string]bool, len(q.TraceIDs))
		for _, id := range q.TraceIDs {
			ids[id] = true
		}
	}
	n := 0
	for i := 0; i < s.store.logs.len(); i++ {
		ln := s.store.logs.at(i)
		if ln.Time.Before(q.Since) || ln.Time.After(end) || f != "" && !strings.Contains(strings.ToLower(ln.Raw), f) || ids != nil && !ids[ln.TraceID] {
			continue
		}
		n++
	}
	return n, nil
}

func (l *simLogs) ByTrace(_ context.Context, traceID string) ([]sources.LogLine, error) {
	s := (*Sim)(l)
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []sources.LogLine
	for i := 0; i < s.store.logs.len(); i++ {
		if ln := s.store.logs.at(i); ln.TraceID == traceID {
			out = append(out, ln)
		}
	}
	return out, nil
}

// signalSeries are the simulation's series of each signal (errors is kept in %, a signal is a ratio).
var signalSeries = map[signals.Name]string{signals.Rate: "rate", signals.Errors: "errors", signals.P50: "p50", signals.P99: "p99",
	signals.Ready: "ready", signals.Desired: "desired", signals.CPU: "cpu"}

// Detect answers as detection on a cluster would, for the simulated demo app: each signal the
// simulation has is read as "demo:NAME" (QueryRange serves it), the others say so.
func (m *simMetrics) Detect(_ context.Context, t signals.Target, _ time.Time) ([]signals.Resolution, signals.Facts, error) {
	var out []signals.Resolution
	for _, n := range signals.All() {
		r := signals.Resolution{Signal: n, Unit: n.Unit()}
		if _, ok := signalSeries[n]; ok && t.Namespace == Namespace && t.Deployment == Target {
			r.Convention, r.Query, r.Why = "gameday demo app (simulated)", "demo:"+string(n), "the demo's simulation"
		} else if n == signals.Restarts {
			r.Convention, r.Source, r.Why = "watch", "watch", "the pods' restart counts as the session watches them"
		} else {
			r.Why = "the simulation does not model " + string(n) + " of deploy/" + t.Deployment
		}
		out = append(out, r)
	}
	return out, signals.Facts{}, nil
}

// bySignal serves a "demo:NAME" query (a signal as the demo's Detect resolved it).
func bySignal(p sources.Panel) ([]struct{ legend, series string }, float64, bool) {
	if len(p.Queries) != 1 {
		return nil, 1, false
	}
	name, ok := strings.CutPrefix(p.Queries[0].Expr, "demo:")
	if !ok {
		return nil, 1, false
	}
	series, ok := signalSeries[signals.Name(name)]
	if !ok {
		return nil, 1, false
	}
	scale := 1.0
	if signals.Name(name) == signals.Errors {
		scale = 0.01
	}
	return []struct{ legend, series string }{{p.Queries[0].Legend, series}}, scale, true
}
