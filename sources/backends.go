package sources

import (
	"context"
	"github.com/gamedaylab/gameday/signals"
	"time"

	zmodel "github.com/openzipkin/zipkin-go/model"
)

// Panel is one graph: a title, a unit and the queries whose results are drawn as its series.
type Panel struct {
	ID      string
	Title   string
	Unit    string // req/s, %, s, bytes, count
	Queries []PanelQuery
	// Thresholds are drawn as horizontal lines; a latest value above one is shown as a warning.
	Thresholds []float64
	// Missing says, for a panel no query could be built for, what was looked for and how to
	// configure one: the pane shows it instead of an empty graph.
	Missing string
	// Convention names where its queries come from ("Istio · destination"), when detected.
	Convention string
	// Live are series the session draws itself, from the cluster, when Prometheus has none (ready
	// and desired replicas from the watch, CPU from metrics.k8s.io): the poller leaves them alone.
	Live []LiveSeries
}

// LiveSeries is one line of a panel drawn from the cluster rather than queried.
type LiveSeries struct {
	Legend string
	Signal signals.Name
}

// PanelQuery is one query of a panel; Legend names the series it returns (a template for backends
// that return several, e.g. "{{pod}}").
type PanelQuery struct {
	Legend string
	Expr   string
	// Signal, when set, is the target's signal this query draws: Expr is its detected query
	// (ResolveSignals), empty until detection has run.
	Signal signals.Name
}

// MetricsBackend answers range queries for panels. Prometheus and the simulation implement it.
type MetricsBackend interface {
	Name() string
	QueryRange(ctx context.Context, p Panel, start, end time.Time, step time.Duration) ([]Series, error)
}

// TraceQuery selects the recent traces the pane lists.
type TraceQuery struct {
	Service     string
	SpanName    string
	MinDuration time.Duration
	ErrorsOnly  bool
	Lookback    time.Duration
	End         time.Time
	Limit       int
}

// TraceBackend lists and fetches traces. Zipkin, Jaeger and the simulation implement it.
type TraceBackend interface {
	Name() string
	Recent(ctx context.Context, q TraceQuery) ([]TraceSummary, error)
	Trace(ctx context.Context, id string) ([]zmodel.SpanModel, error)
}

// SpanNamer is what a TraceBackend may also do: list the span names of a service (Zipkin's
// /api/v2/spans), so the filter can suggest them.
type SpanNamer interface {
	SpanNames(ctx context.Context, service string) ([]string, error)
}

// LogQuery selects the lines the logs pane tails.
type LogQuery struct {
	Namespace string
	Filter    string // backend query text (an Elasticsearch query string, or a substring for the sim)
	Since     time.Time
	Limit     int
	// TraceIDs, when set, keeps only the lines carrying one of these trace ids (at most MaxTraceIDs:
	// the backend's clause limit).
	TraceIDs []string
}

// MaxTraceIDs is the most trace ids one log query selects (Elasticsearch's default clause limit is
// 1,024 per boolean query).
const MaxTraceIDs = 500

// LogCounter is what a LogBackend may also do: count the lines a query matches between q.Since and
// end (an experiment's probe: "ERROR lines in the last minute").
type LogCounter interface {
	Count(ctx context.Context, q LogQuery, end time.Time) (int, error)
}

// LogCursor is where the previous page ended: the sort values of its last line.
type LogCursor struct {
	Time time.Time
	Seq  uint64
	Set  bool
	// Sort holds a backend's own sort values (Elasticsearch's search_after), used verbatim.
	Sort []any
}

// LogBackend tails logs page by page without gaps or duplicates and finds the lines of one trace.
type LogBackend interface {
	Name() string
	Tail(ctx context.Context, q LogQuery, after LogCursor) ([]LogLine, LogCursor, error)
	ByTrace(ctx context.Context, traceID string) ([]LogLine, error)
}

// traceRoot is the span without a parent; without one, the earliest whose parent the backend does
// not hold (a caller that passed its trace context on without reporting its own span: gameday's
// load, a mobile client), as the waterfall draws it; else the first.
func traceRoot(spans []zmodel.SpanModel) *zmodel.SpanModel {
	ids := make(map[zmodel.ID]bool, len(spans))
	for i := range spans {
		if spans[i].ParentID == nil {
			return &spans[i]
		}
		ids[spans[i].ID] = true
	}
	var root *zmodel.SpanModel
	for i := range spans {
		if sp := &spans[i]; !ids[*sp.ParentID] && (root == nil || sp.Timestamp.Before(root.Timestamp)) {
			root = sp
		}
	}
	if root == nil {
		root = &spans[0]
	}
	return root
}

// SummarizeTrace derives a list row from a trace's spans.
func SummarizeTrace(spans []zmodel.SpanModel) TraceSummary {
	var s TraceSummary
	if len(spans) == 0 {
		return s
	}
	s.TraceID = spans[0].TraceID.String()
	s.Spans = len(spans)
	services := map[string]bool{}
	var end time.Time
	root := traceRoot(spans)
	for i := range spans {
		sp := &spans[i]
		if s.Start.IsZero() || sp.Timestamp.Before(s.Start) {
			s.Start = sp.Timestamp
		}
		if e := sp.Timestamp.Add(sp.Duration); e.After(end) {
			end = e
		}
		if sp.LocalEndpoint != nil && sp.LocalEndpoint.ServiceName != "" && !services[sp.LocalEndpoint.ServiceName] {
			services[sp.LocalEndpoint.ServiceName] = true
			s.Services = append(s.Services, sp.LocalEndpoint.ServiceName)
		}
		if _, ok := sp.Tags["error"]; ok {
			s.Error = true
		}
	}
	s.Root = root.Name
	if root.LocalEndpoint != nil {
		s.Service = root.LocalEndpoint.ServiceName
	}
	s.Duration = end.Sub(s.Start)
	if root.Duration > s.Duration {
		s.Duration = root.Duration
	}
	return s
}
