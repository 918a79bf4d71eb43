package session

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/sources"
)

// FetchTrace asks the trace backend for one whole trace (a waterfall opened); the answer is a
// TraceMsg on the bus, as every event, so a recording keeps what was looked at. Every Fetch* answer
// carries the asker's a, so it reaches the pane that asked.
func (s *Session) FetchTrace(a sources.Asked, id string) {
	b := s.TracesBackend
	if b == nil {
		return
	}
	s.fetch(func(ctx context.Context) any {
		spans, err := b.Trace(ctx, id)
		return sources.TraceMsg{TraceID: id, Asked: a, Spans: spans, Err: model.ErrText(err)}
	})
}

// FetchTraceLogs asks the log backend for the lines of one trace; the answer is a TraceLogsMsg.
func (s *Session) FetchTraceLogs(a sources.Asked, id string) {
	b := s.LogsBackend
	if b == nil {
		return
	}
	s.fetch(func(ctx context.Context) any {
		lines, err := b.ByTrace(ctx, id)
		return sources.TraceLogsMsg{TraceID: id, Asked: a, Lines: lines, Err: model.ErrText(err)}
	})
}

// windowLines bounds the log lines a window's pivot reads.
const windowLines = 1000

// FetchWindow asks the trace and log backends what happened between start and end (a moment picked
// on a graph): the target service's traces that began then, slowest first, and the log lines of the
// window under the logs pane's filter. The answer is one WindowMsg.
func (s *Session) FetchWindow(a sources.Asked, start, end time.Time) {
	tb, lb := s.TracesBackend, s.LogsBackend
	var tq sources.TraceQuery
	if s.Traces != nil {
		tq = s.Traces.Query()
	} else {
		tq.Service = s.Target()
	}
	var lq sources.LogQuery
	if s.Logs != nil {
		lq = s.Logs.Query()
	} else {
		lq.Namespace = s.Namespace()
	}
	s.fetch(func(ctx context.Context) any {
		out := sources.WindowMsg{Start: start, End: end, Asked: a}
		var wg sync.WaitGroup
		if tb != nil {
			wg.Go(func() {
				q := sources.TraceQuery{Service: tq.Service, End: end, Lookback: end.Sub(start), Limit: 500}
				list, err := tb.Recent(ctx, q)
				var in []sources.TraceSummary
				for _, t := range list {
					if !t.Start.Before(start) && !t.Start.After(end) {
						in = append(in, t)
					}
				}
				sort.SliceStable(in, func(i, j int) bool { return in[i].Duration > in[j].Duration })
				out.Traces, out.TracesErr = in, model.ErrText(err)
			})
		}
		if lb != nil {
			wg.Go(func() {
				q := sources.LogQuery{Namespace: lq.Namespace, Filter: lq.Filter, Since: start, Limit: windowLines}
				lines, _, err := lb.Tail(ctx, q, sources.LogCursor{})
				var in []sources.LogLine
				for _, l := range lines {
					if !l.Time.Before(start) && !l.Time.After(end) {
						in = append(in, l)
					}
				}
				out.Lines, out.LogsErr = in, model.ErrText(err)
				out.More = len(lines) >= windowLines && len(in) == len(lines)
			})
		}
		wg.Wait()
		return out
	})
}

// FetchSpanNames asks the trace backend which span names a service has (filter suggestions).
func (s *Session) FetchSpanNames(a sources.Asked, service string) {
	n, ok := s.TracesBackend.(sources.SpanNamer)
	if !ok || service == "" {
		return
	}
	s.fetch(func(ctx context.Context) any {
		names, err := n.SpanNames(ctx, service)
		return sources.SpanNamesMsg{Service: service, Asked: a, Names: names, Err: model.ErrText(err)}
	})
}

// fetch runs one backend request off the caller's goroutine and publishes its answer.
func (s *Session) fetch(do func(ctx context.Context) any) {
	s.mu.Lock()
	ctx := s.ctx
	s.mu.Unlock()
	if ctx == nil {
		ctx = context.Background()
	}
	s.group.Go(ctx, "fetch", func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		s.Publish(do(ctx)) // a timed-out request is an answer too: its error says so
	})
}
