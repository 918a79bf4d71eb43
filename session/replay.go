package session

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	zmodel "github.com/openzipkin/zipkin-go/model"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/bus"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/recording"
	"github.com/gamedaylab/gameday/sources"
)

// ReplayState is where a replay is: the cockpit's header shows it, and Seek tells it to drop what it
// showed (markers, the events list, log lines) because the state at the new position follows.
type ReplayState struct {
	File       string
	Start, End time.Time
	At         time.Time
	Speed      float64
	Paused     bool
	Ended      bool
	Seek       bool
	Truncated  string `json:",omitempty"`
}

// Speeds a replay can run at.
var Speeds = []float64{0.5, 1, 2, 4, 8, 16, 32}

// snapshotEvery is the recorded time between two snapshots of the replay's index: a seek applies at
// most this much of the recording on top of one.
const snapshotEvery = 30 * time.Second

// Player plays a recording into a session: the envelopes at their recorded times (scaled by the
// speed), and at a seek the state at the new position (the cluster as one Reset delta from the
// nearest snapshot, the newest event of each replaced kind, every action so far, the last log lines).
// It is also the session's clock (recorded time) and its trace and log backends (what was recorded).
type Player struct {
	rec     *recording.Recording
	ev      []bus.Envelope
	snaps   []replaySnap
	marks   []time.Time // envelope times of actions that drew a marker
	traces  map[string]int
	tlogs   map[string]int
	publish func(any)
	kinds   bus.Kinds
	wall    func() time.Time

	mu       sync.Mutex
	pos      int // the next envelope to play
	base     time.Time
	baseWall time.Time
	speed    float64
	paused   bool
	ended    bool
	seekTo   *time.Time
	filter   string
	refilter bool
	kick     chan struct{}
}

type replaySnap struct {
	pos     int
	at      time.Time
	cluster *model.Cluster
	latest  map[string]int // kind and key of a Replace event -> index of the newest before pos
}

// NewPlayer indexes rec. It starts paused at the recording's start.
func NewPlayer(rec *recording.Recording, kinds bus.Kinds) *Player {
	p := &Player{rec: rec, ev: rec.Events, kinds: kinds, traces: map[string]int{}, tlogs: map[string]int{},
		speed: 1, wall: time.Now, kick: make(chan struct{}, 1)}
	p.base = rec.Header.Start
	if len(p.ev) > 0 && (p.base.IsZero() || p.ev[0].Time.Before(p.base)) {
		p.base = p.ev[0].Time
	}
	p.baseWall = p.wall()
	p.index()
	return p
}

func (p *Player) index() {
	c := model.NewCluster()
	latest := map[string]int{}
	next := p.base
	for i, e := range p.ev {
		if !e.Time.Before(next) {
			p.snaps = append(p.snaps, replaySnap{pos: i, at: e.Time, cluster: c.Clone(), latest: maps.Clone(latest)})
			next = e.Time.Add(snapshotEvery)
		}
		p.fold(c, latest, i)
		switch pl := e.Payload.(type) {
		case actions.Result:
			if marked(pl) {
				p.marks = append(p.marks, e.Time)
			}
		case sources.TraceMsg:
			if pl.Err == "" {
				p.traces[pl.TraceID] = i
			}
		case sources.TraceLogsMsg:
			if pl.Err == "" {
				p.tlogs[pl.TraceID] = i
			}
		}
	}
	if len(p.snaps) == 0 {
		p.snaps = []replaySnap{{cluster: c, latest: latest, at: p.base}}
	}
}

// marked is the cockpit's rule for an action's marker.
func marked(r actions.Result) bool {
	return r.Entry.Result == actions.ResultOK || r.Entry.Result == actions.ResultDryRun
}

// fold adds event i to a state being built: the cluster and the newest of each replaced kind.
func (p *Player) fold(c *model.Cluster, latest map[string]int, i int) {
	e := p.ev[i]
	if d, ok := e.Payload.(*model.ClusterDelta); ok {
		c.Apply(d, e.Time)
		return
	}
	k := p.kinds[e.Kind]
	if k.Policy == bus.Replace {
		key := e.Kind
		if k.Key != nil {
			key += "/" + k.Key(e.Payload)
		}
		latest[key] = i
	}
}

// End is the last recorded time.
func (p *Player) End() time.Time {
	if len(p.ev) == 0 {
		return p.base
	}
	return p.ev[len(p.ev)-1].Time
}

// Now is the replay's clock: the recorded time being shown.
func (p *Player) Now() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.nowLocked()
}

func (p *Player) nowLocked() time.Time {
	if p.paused {
		return p.base
	}
	t := p.base.Add(time.Duration(float64(p.wall().Sub(p.baseWall)) * p.speed))
	if end := p.End(); t.After(end) {
		return end
	}
	return t
}

// State is where the replay is.
func (p *Player) State() ReplayState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stateLocked(false)
}

func (p *Player) stateLocked(seek bool) ReplayState {
	start := p.rec.Header.Start
	if start.IsZero() && len(p.ev) > 0 {
		start = p.ev[0].Time
	}
	return ReplayState{File: p.rec.Path, Start: start, End: p.End(), At: p.nowLocked(), Speed: p.speed,
		Paused: p.paused, Ended: p.ended, Seek: seek, Truncated: p.rec.Truncated}
}

// rebase makes the current position the clock's new base (before a change of speed or pause).
func (p *Player) rebase() {
	p.base, p.baseWall = p.nowLocked(), p.wall()
}

// Toggle pauses or resumes (at the end: from the start).
func (p *Player) Toggle() {
	p.mu.Lock()
	p.rebase()
	if p.ended && p.paused {
		t := p.rec.Header.Start
		p.seekTo, p.ended = &t, false
	}
	p.paused = !p.paused
	p.mu.Unlock()
	p.wake()
}

// SetSpeed sets the speed to the nearest of Speeds.
func (p *Player) SetSpeed(x float64) {
	p.mu.Lock()
	p.rebase()
	p.speed = nearest(x)
	p.mu.Unlock()
	p.wake()
}

func nearest(x float64) float64 {
	best := Speeds[0]
	for _, s := range Speeds {
		if abs(s-x) < abs(best-x) {
			best = s
		}
	}
	return best
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// Faster and Slower step through Speeds.
func (p *Player) Faster() { p.step(1) }

// Slower steps the speed down.
func (p *Player) Slower() { p.step(-1) }

func (p *Player) step(dir int) {
	p.mu.Lock()
	i := slices.Index(Speeds, p.speed) + dir
	p.mu.Unlock()
	if i >= 0 && i < len(Speeds) {
		p.SetSpeed(Speeds[i])
	}
}

// Seek moves by d of recorded time.
func (p *Player) Seek(d time.Duration) { p.SeekTo(p.Now().Add(d)) }

// SeekTo moves to t (clamped to the recording). The work happens on the player's goroutine.
func (p *Player) SeekTo(t time.Time) {
	p.mu.Lock()
	p.seekTo = &t
	p.mu.Unlock()
	p.wake()
}

// NextMarker moves to the next action's marker; false when there is none after now.
func (p *Player) NextMarker() bool {
	now := p.Now()
	i := sort.Search(len(p.marks), func(i int) bool { return p.marks[i].After(now) })
	if i == len(p.marks) {
		return false
	}
	p.SeekTo(p.marks[i])
	return true
}

// PrevMarker moves to the previous marker (one more than a second back, so that pressing it again
// goes further).
func (p *Player) PrevMarker() bool {
	now := p.Now().Add(-time.Second)
	i := sort.Search(len(p.marks), func(i int) bool { return !p.marks[i].Before(now) }) - 1
	if i < 0 {
		return false
	}
	p.SeekTo(p.marks[i])
	return true
}

// SetLogFilter filters the recorded log lines (the logs pane's `/`): a case-insensitive substring of
// the line, its pod or its level; the lines shown so far are filtered again.
func (p *Player) SetLogFilter(f string) {
	p.mu.Lock()
	p.filter, p.refilter = strings.ToLower(strings.TrimSpace(f)), true
	p.mu.Unlock()
	p.wake()
}

func (p *Player) wake() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// Run plays until ctx ends.
func (p *Player) Run(ctx context.Context) {
	p.mu.Lock()
	start := p.base
	p.mu.Unlock()
	p.seek(start)
	for {
		p.mu.Lock()
		if p.seekTo != nil {
			t := *p.seekTo
			p.seekTo = nil
			p.mu.Unlock()
			p.seek(t)
			continue
		}
		if p.refilter {
			p.refilter = false
			now, pos, filter := p.nowLocked(), p.pos, p.filter
			p.mu.Unlock()
			p.publish(sources.LogsReset{})
			p.publish(sources.LogsMsg{Lines: p.lastLines(pos, now, filter)})
			continue
		}
		now := p.nowLocked()
		from := p.pos
		for p.pos < len(p.ev) && !p.ev[p.pos].Time.After(now) {
			p.pos++
		}
		batch, filter := p.ev[from:p.pos], p.filter
		changed := false
		if p.pos == len(p.ev) && !p.paused {
			p.rebase()
			p.paused, p.ended, changed = true, true, true
		}
		wait := 100 * time.Millisecond
		if p.pos < len(p.ev) && !p.paused {
			if d := time.Duration(float64(p.ev[p.pos].Time.Sub(now)) / p.speed); d < wait {
				wait = max(d, time.Millisecond)
			}
		}
		st := p.stateLocked(false)
		p.mu.Unlock()
		for _, e := range batch {
			if msg, ok := p.playable(e, filter); ok {
				p.publish(msg)
			}
		}
		if changed {
			p.publish(st)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-p.kick:
			t.Stop()
			p.mu.Lock()
			st := p.stateLocked(false)
			p.mu.Unlock()
			p.publish(st)
		case <-t.C:
		}
	}
}

// playable is what of a recorded event goes out during play: the answers to what the live user opened
// (a waterfall, a trace's logs, span names) wait for this user to open them; log lines pass the filter.
func (p *Player) playable(e bus.Envelope, filter string) (any, bool) {
	switch pl := e.Payload.(type) {
	case sources.TraceMsg, sources.TraceLogsMsg, sources.SpanNamesMsg, sources.WindowMsg, Screen, ReplayState:
		return nil, false
	case sources.LogsReset:
		return nil, false // the live filter changed; this replay's filter is its own
	case sources.LogsMsg:
		if filter == "" {
			return pl, true
		}
		out := sources.LogsMsg{Err: pl.Err}
		for _, l := range pl.Lines {
			if lineMatches(l, filter) {
				out.Lines = append(out.Lines, l)
			}
		}
		return out, len(out.Lines) > 0 || out.Err != ""
	}
	return e.Payload, true
}

func lineMatches(l sources.LogLine, filter string) bool {
	for _, w := range strings.Fields(filter) {
		if !strings.Contains(strings.ToLower(l.Raw), w) && !strings.Contains(strings.ToLower(l.Msg), w) &&
			!strings.Contains(strings.ToLower(l.Pod), w) && !strings.EqualFold(l.Level, w) {
			return false
		}
	}
	return true
}

// seek publishes the state at t and plays on from there.
func (p *Player) seek(t time.Time) {
	start, end := p.rec.Header.Start, p.End()
	if start.IsZero() || (len(p.ev) > 0 && p.ev[0].Time.Before(start)) {
		start = p.base
		if len(p.ev) > 0 {
			start = p.ev[0].Time
		}
	}
	if t.Before(start) {
		t = start
	}
	if t.After(end) {
		t = end
	}
	st := p.stateAt(t)
	p.mu.Lock()
	p.pos, p.base, p.baseWall = st.pos, t, p.wall()
	p.ended = st.pos >= len(p.ev) && p.paused
	filter := p.filter
	rs := p.stateLocked(true)
	p.mu.Unlock()
	p.publish(rs)
	p.publish(st.cluster.Snapshot(t))
	for _, i := range st.latest {
		if msg, ok := p.playable(p.ev[i], filter); ok {
			p.publish(msg)
		}
	}
	for _, i := range st.results {
		p.publish(p.ev[i].Payload)
	}
	p.publish(sources.LogsReset{})
	if lines := p.lastLines(st.pos, t, filter); len(lines) > 0 {
		p.publish(sources.LogsMsg{Lines: lines})
	}
}

// replayAt is the state at a moment: what a seek publishes.
type replayAt struct {
	pos     int
	cluster *model.Cluster
	latest  []int // indexes of the newest event of each replaced kind, in recorded order
	results []int // every action result so far
}

// stateAt builds the state after every event at or before t, from the nearest snapshot.
func (p *Player) stateAt(t time.Time) replayAt {
	si := sort.Search(len(p.snaps), func(i int) bool { return p.snaps[i].at.After(t) }) - 1
	si = max(si, 0)
	s := p.snaps[si]
	c, latest := s.cluster.Clone(), maps.Clone(s.latest)
	i := s.pos
	for ; i < len(p.ev) && !p.ev[i].Time.After(t); i++ {
		p.fold(c, latest, i)
	}
	out := replayAt{pos: i, cluster: c, latest: slices.Sorted(maps.Values(latest))}
	for j := range i {
		if p.ev[j].Kind == KindAction {
			out.results = append(out.results, j)
		}
	}
	return out
}

// lastLines are the newest recorded log lines before pos (at most the logs pane's capacity) that
// match filter, oldest first.
func (p *Player) lastLines(pos int, _ time.Time, filter string) []sources.LogLine {
	const capacity = 2000
	var out []sources.LogLine
	for i := pos - 1; i >= 0 && len(out) < capacity; i-- {
		m, ok := p.ev[i].Payload.(sources.LogsMsg)
		if !ok {
			continue
		}
		for j := len(m.Lines) - 1; j >= 0 && len(out) < capacity; j-- {
			if filter == "" || lineMatches(m.Lines[j], filter) {
				out = append(out, m.Lines[j])
			}
		}
	}
	slices.Reverse(out)
	return out
}

// replayTraces answers the traces pane's Enter with the waterfalls that were opened during the
// recording.
type replayTraces struct{ p *Player }

func (r replayTraces) Name() string {
	return strings.TrimSpace(r.p.rec.Header.Traces + " (recorded)")
}

// Recent answers a window's traces with the recorded lists' traces that began in it.
func (r replayTraces) Recent(_ context.Context, q sources.TraceQuery) ([]sources.TraceSummary, error) {
	if q.End.IsZero() {
		return nil, nil
	}
	from := q.End.Add(-q.Lookback)
	seen := map[string]bool{}
	var out []sources.TraceSummary
	for _, e := range r.p.ev {
		m, ok := e.Payload.(sources.TracesMsg)
		if !ok {
			continue
		}
		for _, t := range m.Traces {
			if !seen[t.TraceID] && !t.Start.Before(from) && !t.Start.After(q.End) {
				seen[t.TraceID] = true
				out = append(out, t)
			}
		}
	}
	return out, nil
}

func (r replayTraces) Trace(_ context.Context, id string) ([]zmodel.SpanModel, error) {
	i, ok := r.p.traces[id]
	if !ok {
		return nil, fmt.Errorf("trace %s was not opened during the recording: a recording keeps the lists and the waterfalls that were opened", id)
	}
	return r.p.ev[i].Payload.(sources.TraceMsg).Spans, nil
}

// replayLogs answers a trace's logs with what was fetched live, else with the recorded lines that
// carry its id.
type replayLogs struct{ p *Player }

func (r replayLogs) Name() string { return strings.TrimSpace(r.p.rec.Header.Logs + " (recorded)") }

// Tail answers a window's lines with the recorded lines from q.Since on (the poller does not run in
// a replay: the recorded lines play on the bus).
func (r replayLogs) Tail(_ context.Context, q sources.LogQuery, _ sources.LogCursor) ([]sources.LogLine, sources.LogCursor, error) {
	var out []sources.LogLine
	for _, e := range r.p.ev {
		m, ok := e.Payload.(sources.LogsMsg)
		if !ok {
			continue
		}
		for _, l := range m.Lines {
			if !l.Time.Before(q.Since) && (q.Filter == "" || lineMatches(l, q.Filter)) {
				out = append(out, l)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, sources.LogCursor{}, nil
}

func (r replayLogs) ByTrace(_ context.Context, id string) ([]sources.LogLine, error) {
	if i, ok := r.p.tlogs[id]; ok {
		return r.p.ev[i].Payload.(sources.TraceLogsMsg).Lines, nil
	}
	var out []sources.LogLine
	for _, e := range r.p.ev {
		if m, ok := e.Payload.(sources.LogsMsg); ok {
			for _, l := range m.Lines {
				if l.TraceID == id {
					out = append(out, l)
				}
			}
		}
	}
	return out, nil
}

// buildReplay makes the session a replay of rec: the player is its clock, its only source and its
// trace and log backends; it points where the recording started and may do nothing.
func (s *Session) buildReplay(rec *recording.Recording) {
	p := NewPlayer(rec, Kinds())
	p.publish = s.Publish
	s.Replay = p
	s.Clock = p
	h := rec.Header
	s.KubeContext, s.namespace, s.target = h.Context, h.Namespace, h.Target
	s.Panels, s.MetricsName = h.Panels, h.Metrics
	s.TracesBackend, s.LogsBackend = replayTraces{p}, replayLogs{p}
	s.opts.Guard.ReadOnly = true
	s.starters = append(s.starters, p.Run)
}

// ReplayRefusal says why nothing acts in a replay.
func (s *Session) ReplayRefusal() error {
	h := s.Replay.rec.Header
	// What matters first, for a narrow status line: nothing acts; then which recording this is.
	return fmt.Errorf("%w: actions are off in a replay (%s, recorded %s on %s)", model.ErrRefused,
		s.Replay.rec.Path, h.Start.Local().Format("2006-01-02 15:04"), cmp.Or(h.Context, "the demo"))
}
