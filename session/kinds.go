package session

import (
	"time"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/bus"
	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/sources"
)

// The kinds of event a session publishes. They are part of the recording format: keep the names.
const (
	KindCluster   = "cluster"     // *model.ClusterDelta: a batch of changes from the cluster source
	KindConn      = "conn"        // sources.ConnState: a source's connection health
	KindError     = "error"       // sources.ErrorMsg: a source failed (or recovered a panic)
	KindMetrics   = "metrics"     // sources.MetricsMsg: one refreshed panel
	KindTraces    = "traces"      // sources.TracesMsg: the latest trace list
	KindTrace     = "trace"       // sources.TraceMsg: one whole trace (a waterfall opened)
	KindSpanNames = "span-names"  // sources.SpanNamesMsg: filter suggestions
	KindLogs      = "logs"        // sources.LogsMsg: new log lines
	KindLogsReset = "logs-reset"  // sources.LogsReset: the log filter changed
	KindTraceLogs = "trace-logs"  // sources.TraceLogsMsg: the log lines of one trace (a pivot opened)
	KindWindow    = "window"      // sources.WindowMsg: the traces and log lines of a window picked on a graph
	KindAction    = "action"      // actions.Result: a journaled action, refusal, recovery or HALT
	KindDrain     = "drain"       // actions.DrainProgress: a drain going on
	KindLoad      = "load"        // load.Status: the running load, once a second
	KindPerms     = "permissions" // actions.PermissionsAnswer: what the identity may do in a namespace
	KindWhere     = "where"       // Where: the namespace and target the session points at changed
	KindScreen    = "screen"      // Screen: the cockpit's terminal size
	KindReplay    = "replay"      // ReplayState: a replay's position, speed and pause (never recorded)
	KindProbe     = "probe"       // Probe: an experiment's probe checked, or its verdict for a phase
	KindOutcome   = "outcome"     // Outcome: an experiment's outcome, when it ends
	KindSignals   = "signals"     // Signals: how each signal of the target is read (detected conventions)
)

// Probe is an experiment's probe checked once (Verdict empty) or judged over a phase (Verdict set:
// held, failed, aborted or inconclusive, over Checks checks of which Breaches breached).
type Probe struct {
	Name  string
	Phase string
	Time  time.Time
	Held  bool
	Value *float64 `json:",omitempty"`
	Seen  string
	Err   string `json:",omitempty"`

	Verdict   string `json:",omitempty"`
	Tolerance string `json:",omitempty"`
	Checks    int    `json:",omitempty"`
	Breaches  int    `json:",omitempty"`
}

// Outcome is how an experiment ended (held, deviated, aborted ...) and why.
type Outcome struct {
	Experiment string
	File       string
	Outcome    string
	Reason     string `json:",omitempty"`
	// DryRun: the actions were server-side dry runs, nothing was changed.
	DryRun bool `json:",omitempty"`
	// Files say where the run's journal, JUnit and report were written ("" when they were not).
	Files string `json:",omitempty"`
}

// Where is what the session points at: a scenario or a command changing it reaches every subscriber.
type Where struct {
	Namespace string
	Target    string
}

// Kinds is every kind with what a subscriber that falls behind does with it: cluster deltas coalesce,
// action results and drain steps are never dropped, logs, traces and errors are kept up to a hard
// bound, the rest keep the newest per panel, source or service.
func Kinds() bus.Kinds {
	cluster := bus.KindOf[*model.ClusterDelta](KindCluster, bus.Coalesce)
	cluster.Merge = func(a, b any) any { return model.Merge(a.(*model.ClusterDelta), b.(*model.ClusterDelta)) }
	conn := bus.KindOf[sources.ConnState](KindConn, bus.Replace)
	conn.Key = func(p any) string { return p.(sources.ConnState).Source }
	metrics := bus.KindOf[sources.MetricsMsg](KindMetrics, bus.Replace)
	metrics.Key = func(p any) string { return p.(sources.MetricsMsg).Panel }
	names := bus.KindOf[sources.SpanNamesMsg](KindSpanNames, bus.Replace)
	names.Key = func(p any) string { return p.(sources.SpanNamesMsg).Service }
	result := bus.KindOf[actions.Result](KindAction, bus.Keep)
	result.Lossless = true
	drain := bus.KindOf[actions.DrainProgress](KindDrain, bus.Keep)
	drain.Lossless = true
	probe := bus.KindOf[Probe](KindProbe, bus.Keep)
	probe.Lossless = true
	ks := []bus.Kind{
		cluster, conn, metrics, names, result, drain,
		bus.KindOf[sources.ErrorMsg](KindError, bus.Keep),
		bus.KindOf[sources.TracesMsg](KindTraces, bus.Replace),
		bus.KindOf[sources.TraceMsg](KindTrace, bus.Keep),
		bus.KindOf[sources.LogsMsg](KindLogs, bus.Keep),
		bus.KindOf[sources.LogsReset](KindLogsReset, bus.Keep),
		bus.KindOf[sources.TraceLogsMsg](KindTraceLogs, bus.Keep),
		bus.KindOf[sources.WindowMsg](KindWindow, bus.Keep),
		bus.KindOf[load.Status](KindLoad, bus.Replace),
		bus.KindOf[actions.PermissionsAnswer](KindPerms, bus.Replace),
		bus.KindOf[Where](KindWhere, bus.Replace),
		bus.KindOf[Screen](KindScreen, bus.Replace),
		bus.KindOf[ReplayState](KindReplay, bus.Replace),
		probe, bus.KindOf[Outcome](KindOutcome, bus.Keep),
		bus.KindOf[Signals](KindSignals, bus.Replace),
	}
	out := bus.Kinds{}
	for _, k := range ks {
		out[k.Name] = k
	}
	return out
}
