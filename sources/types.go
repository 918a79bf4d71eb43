// Package sources defines the data that flows into the cockpit: the typed messages sources deliver and
// the backend interfaces (metrics, traces, logs) that real servers and the simulated cluster implement.
// Sources run their own goroutines (a Group) and publish events through a Send; nobody waits on them.
package sources

import (
	"errors"
	"time"

	zmodel "github.com/openzipkin/zipkin-go/model"
)

// ConnState is the health of a source's connection, shown in the header.
type ConnState struct {
	Source string // "cluster", "metrics", "traces", "logs"
	OK     bool
	Detail string // e.g. "watching 1,204 pods" or "unreachable, retrying in 4s"
	Err    string `json:"err,omitempty"` // the error as text: events cross the bus and recordings as JSON
}

// ---- metrics ----

// Point is one sample.
type Point struct {
	T time.Time
	V float64
}

// Series is one named line of a panel.
type Series struct {
	Name   string
	Points []Point
}

// Kinds of a metrics error, so a pane can tell an outage from a bad query after the error became text.
const (
	ErrKindUnreachable = "unreachable" // the backend could not be reached: keep the last graph
	ErrKindNoBackend   = "no-backend"  // no server is configured or found
	ErrKindQuery       = "query"       // the backend answered with an error
	ErrKindNoSignal    = "no-signal"   // no metric convention has this panel's series: Err says what was looked for
)

// ErrKindOf classifies err for ErrKind.
func ErrKindOf(err error) string {
	switch {
	case err == nil:
		return ""
	case IsUnreachable(err):
		return ErrKindUnreachable
	case errors.Is(err, ErrNoBackend):
		return ErrKindNoBackend
	}
	return ErrKindQuery
}

// MetricsMsg carries a refreshed panel.
type MetricsMsg struct {
	Source string // which backend answered (the pane's title shows it)
	Panel  string
	Series []Series
	Start  time.Time
	End    time.Time
	Err    string `json:"err,omitempty"`
	// ErrKind classifies Err: ErrKindUnreachable, ErrKindNoBackend or ErrKindQuery.
	ErrKind string `json:"errKind,omitempty"` // the error as text: events cross the bus and recordings as JSON
}

// Asked says who asked for an answer (a whole trace, a trace's logs, span names, a window): the
// cockpit, its pane and the question's number. Answers are events on the bus, which every cockpit of a
// session sees; an answer goes to the pane that asked, and only if no newer question of the same pane
// is open, so a late answer to an older question never replaces the newer one.
type Asked struct {
	By   string `json:"by,omitempty"`   // the asking cockpit
	Pane string `json:"pane,omitempty"` // its pane
	Seq  uint64 `json:"seq,omitempty"`  // the pane's question, counting from 1
}

// Answers reports whether an answer carrying a answers question q; a zero q asked nothing.
func (a Asked) Answers(q Asked) bool { return q.Seq != 0 && a == q }

// ---- traces ----

// TraceSummary is one row of the traces pane.
type TraceSummary struct {
	TraceID  string
	Start    time.Time
	Root     string // root span name
	Service  string // root service
	Duration time.Duration
	Spans    int
	Services []string
	Error    bool
}

// TracesMsg carries the latest trace list.
type TracesMsg struct {
	Traces []TraceSummary
	Err    string `json:"err,omitempty"` // the error as text: events cross the bus and recordings as JSON
	// Source names the backend (a discovered one is named once found), for the pane's title.
	Source string `json:"source,omitempty"`
}

// TraceMsg carries one whole trace for the waterfall.
type TraceMsg struct {
	TraceID string
	Asked   Asked `json:"asked,omitzero"`
	Spans   []zmodel.SpanModel
	Err     string `json:"err,omitempty"` // the error as text: events cross the bus and recordings as JSON
}

// SpanNamesMsg carries the span names a trace backend knows for a service (filter suggestions).
type SpanNamesMsg struct {
	Service string
	Asked   Asked `json:"asked,omitzero"`
	Names   []string
	Err     string `json:"err,omitempty"` // the error as text: events cross the bus and recordings as JSON
}

// ---- logs ----

// TraceLogsMsg carries the log lines of one trace (the pivot from a waterfall to its logs).
type TraceLogsMsg struct {
	TraceID string
	Asked   Asked `json:"asked,omitzero"`
	Lines   []LogLine
	Err     string `json:"err,omitempty"` // the error as text: events cross the bus and recordings as JSON
}

// WindowMsg carries what happened in a window of time picked on a graph: the target service's traces
// that began in it, slowest first, and the log lines of the window (the pivot from a spike).
type WindowMsg struct {
	Start, End time.Time
	Asked      Asked `json:"asked,omitzero"`
	Traces     []TraceSummary
	TracesErr  string `json:"tracesErr,omitempty"`
	Lines      []LogLine
	LogsErr    string `json:"logsErr,omitempty"`
	// More says the backend had more lines in the window than were read.
	More bool `json:"more,omitempty"`
}

// LogLine is one container log line.
type LogLine struct {
	Time      time.Time
	Namespace string
	Pod       string
	Container string
	Level     string // info, warn, error, debug
	Msg       string
	TraceID   string
	Raw       string // the original line
	Seq       uint64 // a tiebreaker within one timestamp, from the backend's sort
}

// LogsMsg carries new log lines in time order.
type LogsMsg struct {
	Lines []LogLine
	Err   string `json:"err,omitempty"` // the error as text: events cross the bus and recordings as JSON
	// Source names the backend when it changed (a discovered one is named once found).
	Source string `json:"source,omitempty"`
}
