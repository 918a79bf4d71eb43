package sources

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gamedaylab/gameday/model"
)

// Clock is the time source of pollers and the UI: the wall clock, or the simulation's clock in demo
// mode so that ages and windows follow simulated time.
type Clock interface {
	Now() time.Time
}

// WallClock is the real clock.
type WallClock struct{}

// Now returns time.Now().
func (WallClock) Now() time.Time { return time.Now() }

// UnreachableError marks a backend that could not be reached at all (as opposed to a bad query), so
// pollers back off and say "unreachable, retrying in Ns".
type UnreachableError struct{ Err error }

func (e *UnreachableError) Error() string { return "unreachable: " + e.Err.Error() }
func (e *UnreachableError) Unwrap() error { return e.Err }

// Unreachable wraps err as an UnreachableError.
func Unreachable(err error) error { return &UnreachableError{Err: err} }

// ErrNoBackend marks "there is no such server configured or found": not a query error.
var ErrNoBackend = errors.New("no backend")

// IsUnreachable reports whether err (or what it wraps) is an UnreachableError.
func IsUnreachable(err error) bool {
	var u *UnreachableError
	return errors.As(err, &u)
}

// backoff doubles from min to max and resets on success.
type backoff struct {
	min, max, cur time.Duration
}

func (b *backoff) next() time.Duration {
	if b.cur == 0 {
		b.cur = b.min
	} else if b.cur *= 2; b.cur > b.max {
		b.cur = b.max
	}
	return b.cur
}

func (b *backoff) reset() { b.cur = 0 }

// poller is the loop shared by every poller: run once, wait for the interval (or a backoff after an
// unreachable backend, or an explicit kick), repeat.
type poller struct {
	name     string
	interval time.Duration
	kick     chan struct{}
	send     func(ctx context.Context, msg any) bool
}

func newPoller(name string, interval time.Duration, send func(ctx context.Context, msg any) bool) poller {
	return poller{name: name, interval: interval, kick: make(chan struct{}, 1), send: send}
}

// Kick asks for a refresh now (non-blocking: a pending kick is enough).
func (p *poller) Kick() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

func (p *poller) loop(ctx context.Context, once func(ctx context.Context) error) {
	b := backoff{min: time.Second, max: 30 * time.Second}
	wasDown := false
	for {
		// A backend that accepts and does not answer shows as hanging well before the call's
		// deadline, so the header says so while the call still waits.
		hung := time.AfterFunc(HangAfter, func() {
			p.send(ctx, ConnState{Source: p.name, OK: false, Err: fmt.Sprintf("no answer for %s", HangAfter),
				Detail: fmt.Sprintf("hanging: no answer for %s (giving up after %s)", HangAfter, CallTimeout)})
		})
		err := once(ctx)
		if !hung.Stop() {
			wasDown = true // it said hanging: the next answer says reconnected
		}
		wait := p.interval
		switch {
		case err != nil && IsUnreachable(err):
			wait = b.next()
			wasDown = true
			p.send(ctx, ConnState{Source: p.name, OK: false, Err: model.ErrText(err),
				Detail: fmt.Sprintf("unreachable, retrying in %s", wait.Round(time.Second))})
		case wasDown || err == nil:
			b.reset()
			if wasDown {
				wasDown = false
				p.send(ctx, ConnState{Source: p.name, OK: true, Detail: "reconnected"})
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-p.kick:
			t.Stop()
		}
	}
}

// MetricsPoller refreshes every panel on an interval, with a step derived from the chart width so
// no query returns more points than the chart can show.
type MetricsPoller struct {
	poller
	backend MetricsBackend
	clock   Clock

	mu      sync.Mutex
	panels  []Panel
	window  time.Duration
	columns int
}

// NewMetricsPoller makes a poller; start it with Run.
func NewMetricsPoller(b MetricsBackend, panels []Panel, clock Clock, refresh, window time.Duration, send func(context.Context, any) bool) *MetricsPoller {
	return &MetricsPoller{poller: newPoller("metrics", refresh, send), backend: b, clock: clock,
		panels: panels, window: window, columns: 120}
}

// SetPanels replaces the panels (the signals detected for a new target); the next refresh uses them.
func (m *MetricsPoller) SetPanels(panels []Panel) {
	m.mu.Lock()
	m.panels = panels
	m.mu.Unlock()
	m.Kick()
}

// SetView sets the time window and the chart width in columns; the next refresh uses them.
func (m *MetricsPoller) SetView(window time.Duration, columns int) {
	m.mu.Lock()
	changed := window != m.window || columns != m.columns
	m.window = window
	if columns > 0 {
		m.columns = columns
	}
	m.mu.Unlock()
	if changed {
		m.Kick()
	}
}

// Step is the query resolution for a window drawn on cols columns: two points per column (braille
// has two dots per cell horizontally), at least one second.
func Step(window time.Duration, cols int) time.Duration {
	if cols < 1 {
		cols = 1
	}
	s := window / time.Duration(2*cols)
	if s < time.Second {
		s = time.Second
	}
	return s.Round(time.Second)
}

// Run polls until ctx ends.
func (m *MetricsPoller) Run(ctx context.Context) { m.loop(ctx, m.once) }

func (m *MetricsPoller) once(ctx context.Context) error {
	m.mu.Lock()
	panels, window, cols := m.panels, m.window, m.columns
	m.mu.Unlock()
	end := m.clock.Now()
	start := end.Add(-window)
	step := Step(window, cols)
	var firstErr error
	unreachable := 0
	for _, p := range panels {
		if len(p.Queries) == 0 {
			if len(p.Live) == 0 {
				m.send(ctx, MetricsMsg{Source: m.backend.Name(), Panel: p.ID, Start: start, End: end, Err: p.Missing, ErrKind: ErrKindNoSignal})
			}
			continue
		}
		if firstErr != nil {
			// The backend did not answer one panel: asking it for the next ones would only add
			// their timeouts before the header says so.
			unreachable++
			m.send(ctx, MetricsMsg{Source: m.backend.Name(), Panel: p.ID, Start: start, End: end, Err: model.ErrText(firstErr), ErrKind: ErrKindOf(firstErr)})
			continue
		}
		qctx, cancel := context.WithTimeout(ctx, CallTimeout)
		series, err := m.backend.QueryRange(qctx, p, start, end, step)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && IsUnreachable(err) {
			unreachable++
			if firstErr == nil {
				firstErr = err
			}
			m.send(ctx, MetricsMsg{Source: m.backend.Name(), Panel: p.ID, Start: start, End: end, Err: model.ErrText(err), ErrKind: ErrKindOf(err)})
			continue
		}
		m.send(ctx, MetricsMsg{Source: m.backend.Name(), Panel: p.ID, Series: series, Start: start, End: end, Err: model.ErrText(err), ErrKind: ErrKindOf(err)})
	}
	if unreachable > 0 && unreachable == len(panels) {
		return firstErr
	}
	return nil
}

// TracesPoller refreshes the recent-traces list for the current query.
type TracesPoller struct {
	poller
	backend TraceBackend
	clock   Clock
	mu      sync.Mutex
	query   TraceQuery
}

// NewTracesPoller makes a poller; start it with Run.
func NewTracesPoller(b TraceBackend, q TraceQuery, clock Clock, interval time.Duration, send func(context.Context, any) bool) *TracesPoller {
	return &TracesPoller{poller: newPoller("traces", interval, send), backend: b, clock: clock, query: q}
}

// SetQuery replaces the query and refreshes now.
func (t *TracesPoller) SetQuery(q TraceQuery) {
	t.mu.Lock()
	t.query = q
	t.mu.Unlock()
	t.Kick()
}

// Query returns the current query.
func (t *TracesPoller) Query() TraceQuery {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.query
}

// Run polls until ctx ends.
func (t *TracesPoller) Run(ctx context.Context) { t.loop(ctx, t.once) }

func (t *TracesPoller) once(ctx context.Context) error {
	q := t.Query()
	q.End = t.clock.Now()
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	list, err := t.backend.Recent(qctx, q)
	if ctx.Err() != nil {
		return nil
	}
	if err != nil && IsUnreachable(err) {
		return err
	}
	t.send(ctx, TracesMsg{Traces: list, Err: model.ErrText(err), Source: t.backend.Name()})
	return err
}

// LogsPoller tails logs page by page from a cursor, so nothing is shown twice or skipped.
type LogsPoller struct {
	poller
	backend LogBackend
	clock   Clock
	mu      sync.Mutex
	query   LogQuery
	cursor  LogCursor
	reset   bool
	named   string // the backend's name last sent
}

// LogsReset tells the logs pane to drop what it shows (the filter changed).
type LogsReset struct{ Filter string }

// NewLogsPoller makes a poller; start it with Run.
func NewLogsPoller(b LogBackend, q LogQuery, clock Clock, interval time.Duration, send func(context.Context, any) bool) *LogsPoller {
	return &LogsPoller{poller: newPoller("logs", interval, send), backend: b, clock: clock, query: q}
}

// SetFilter changes the query text and restarts the tail from the lookback window.
func (l *LogsPoller) SetFilter(f string) {
	l.mu.Lock()
	l.query.Filter = f
	l.cursor = LogCursor{}
	l.reset = true
	l.mu.Unlock()
	l.Kick()
}

// Query is what is tailed now (the namespace and the filter).
func (l *LogsPoller) Query() LogQuery {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.query
}

// Run polls until ctx ends.
func (l *LogsPoller) Run(ctx context.Context) { l.loop(ctx, l.once) }

func (l *LogsPoller) once(ctx context.Context) error {
	l.mu.Lock()
	q, cur, reset := l.query, l.cursor, l.reset
	l.reset = false
	l.mu.Unlock()
	if reset {
		l.send(ctx, LogsReset{Filter: q.Filter})
	}
	if !cur.Set && q.Since.IsZero() {
		q.Since = l.clock.Now().Add(-5 * time.Minute)
	}
	// Drain: keep paging while full pages come back, so a burst is caught up within one interval.
	for page := 0; page < 50; page++ {
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		lines, next, err := l.backend.Tail(qctx, q, cur)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			if !IsUnreachable(err) {
				l.send(ctx, LogsMsg{Err: model.ErrText(err), Source: l.backend.Name()})
			}
			return err
		}
		if name := l.backend.Name(); name != l.named {
			l.named = name
			if len(lines) == 0 {
				l.send(ctx, LogsMsg{Source: name})
			}
		}
		l.mu.Lock()
		if l.reset { // the filter changed while we were reading: drop this page
			l.mu.Unlock()
			return nil
		}
		l.cursor = next
		l.mu.Unlock()
		cur = next
		if len(lines) > 0 {
			l.send(ctx, LogsMsg{Lines: lines, Source: l.named})
		}
		if q.Limit <= 0 || len(lines) < q.Limit {
			return nil
		}
	}
	return nil
}
