// Package session is a game day without a UI: it builds the world (a real cluster through its REST
// config, or the simulated one), runs the sources, publishes every event on a bus, keeps its own
// cluster store, the timeline of journaled actions, the recovery stopwatches, the load status and
// the registry of injected faults, and runs HALT when it closes. The cockpit is one subscriber of a
// session; a headless runner, a recorder and probes are others.
package session

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/bus"
	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/engines"
	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/monkey"
	"github.com/gamedaylab/gameday/recording"
	"github.com/gamedaylab/gameday/revert"
	"github.com/gamedaylab/gameday/sim"
	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/sources/kube"
)

// Options are what a session is built from. cmd/gameday fills them from flags and the config.
type Options struct {
	Config *config.Config
	Guard  *actions.Guard
	// Demo builds the simulated world; otherwise Kube must be set.
	Demo bool
	// DemoStart is the simulated time at start (zero: now); tests fix it for deterministic screens.
	DemoStart time.Time
	Kube      *Kube
	// Target is the Deployment actions hit ("" for none yet).
	Target string
	// Journal is the journal's path.
	Journal string
	// User is who acts (the OS user in the demo, the kubeconfig user entry's name on a cluster).
	User string
	// KillGrace is the grace period of kills (nil: the pod's own).
	KillGrace *int64
	// OnSynced is called once the cluster source sent its first full batch.
	OnSynced func()
	// LoadOnRun is told when a load run starts and ends (the cockpit gives load every core).
	LoadOnRun func(active bool)
	// Log receives the session's operational log (backend errors, actions, refusals, reverts, HALT),
	// nil for none.
	Log *slog.Logger
	// RevertDir holds the local copy of the revert records (default config.DefaultRevertDir()).
	RevertDir string
	// Record writes the session's recording (nil: none).
	Record *Record
	// Replay plays a recording instead of building a world: read-only, every action refused.
	Replay *recording.Recording
}

// Record is where and how a session records itself.
type Record struct {
	Path string
	// MaxBytes caps the compressed size (0: no cap).
	MaxBytes int64
	// Version is the gameday build, for the header; Scenario the experiment file a run executes.
	Version  string
	Scenario string
}

// Session is one game day.
type Session struct {
	Env      *actions.Env
	Injected *actions.Injected
	Bus      *bus.Bus
	Clock    sources.Clock
	// Sim is the simulated world (nil on a real cluster).
	Sim *sim.Sim
	// Monkey is the chaos monkey (config monkey:), stopped until M, :monkey on or a scenario step.
	Monkey *monkey.Monkey
	// Pollers and backends of the panes (any may be nil).
	Metrics     *sources.MetricsPoller
	Traces      *sources.TracesPoller
	Logs        *sources.LogsPoller
	Panels      []sources.Panel
	MetricsName string
	// Replay plays the recording of a replay session (nil when live).
	Replay *Player
	// MetricsBackend answers the panels' queries and an experiment's Prometheus probes.
	MetricsBackend sources.MetricsBackend
	TracesBackend  sources.TraceBackend
	LogsBackend    sources.LogBackend
	KubeContext    string

	opts     Options
	group    *sources.Group
	starters []func(ctx context.Context)
	onTarget func(namespace, target string)
	watch    kubernetes.Interface // the informers' client
	dyn      dynamic.Interface    // custom resources (Istio), JSON
	// id names the session in its revert records; beat is its heartbeat Lease (nil in the demo or
	// when it could not be created).
	id       string
	beat     *revert.Heartbeat
	watchNow func() time.Time
	onSynced func()
	journal  *actions.Journal
	rec      *recorder
	// monkeyCfg is the monkey's scope as the session runs it (the demo names its target).
	monkeyCfg config.Monkey

	pollMu sync.Mutex
	// acting counts actions under way: Close waits for them before its HALT, so a cordon that lands
	// late is still reverted.
	acting sync.WaitGroup

	mu         sync.Mutex
	ctx        context.Context
	cancel     context.CancelFunc
	engines    Engines // the other chaos engines, as pollEngines last saw them
	stopKube   context.CancelFunc
	namespace  string
	target     string
	store      *model.Cluster
	watches    []*stopwatch
	recoveries []Recovery
	timeline   []actions.Entry
	load       load.Status
	haltedAt   time.Time
	// stoppedEarly is what StopLoad stopped before the HALT that follows it (which journals it).
	stoppedEarly []string
	closed       bool
	closeHalt    *actions.Result
	log          *logger         // the operational log (nil: none)
	signals      Signals         // the last detection of the target's signals
	livePanels   []sources.Panel // the graphs drawn from the cluster (liveLoop)
}

// NewGuard is the guard of the config's safety rules (armed: --arm was given).
func NewGuard(s config.Safety, armed bool) *actions.Guard {
	return &actions.Guard{ReadOnly: s.ReadOnly, DryRun: s.DryRun, Armed: armed, Protected: s.ProtectedSet(),
		MinReady: s.MinReadyReplicas, ProductionPatterns: s.ProductionContexts}
}

// New builds a session: the world, the journal, the action environment and the sources (not yet
// running: Start runs them).
func New(o Options) (*Session, error) {
	if o.Config == nil {
		c := config.Default()
		o.Config = &c
	}
	if o.Guard == nil {
		// Never an empty guard: it would allow everything. The config's safety rules, unarmed.
		o.Guard = NewGuard(o.Config.Safety, false)
	}
	j, err := actions.OpenJournal(o.Journal)
	if err != nil {
		return nil, err
	}
	s := &Session{opts: o, Injected: &actions.Injected{}, store: model.NewCluster(), target: o.Target, journal: j}
	s.Env = &actions.Env{Guard: o.Guard, Journal: j, User: o.User, KillGrace: o.KillGrace, Now: time.Now,
		RevertTimeout: o.Config.Safety.RevertTimeout.Duration}
	s.id = newSessionID()
	state, err := revert.OpenState(cmp.Or(o.RevertDir, config.DefaultRevertDir()), s.id)
	if err != nil {
		_ = j.Close()
		return nil, err
	}
	s.Env.Records = &actions.Records{Session: s.id, State: state, Lease: func() string {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.beat.Ref()
	}}
	switch {
	case o.Replay != nil:
		s.buildReplay(o.Replay)
	case o.Demo:
		s.buildDemo()
	default:
		if err := s.buildKube(); err != nil {
			_ = j.Close()
			return nil, err
		}
	}
	s.Bus = bus.New(Kinds(), s.Clock.Now)
	s.group = sources.NewGroup(s.send)
	mc := o.Config.Monkey
	if o.Demo && len(mc.Targets) == 0 {
		mc.Targets = []string{sim.Target} // the simulated pods carry no opt-in label: the demo's target is named
	}
	s.monkeyCfg = mc
	mk, err := monkey.New(s, monkey.Options{Namespaces: mc.Namespaces, Selector: mc.Selector, Targets: mc.Targets, Kill: mc.Kill,
		MTBF: mc.MTBF.Duration, MinAge: mc.MinAge.Duration, Window: mc.Window, MaxPerHour: mc.MaxPerHour, Seed: o.Config.Demo.Seed})
	if err != nil {
		_ = j.Close()
		return nil, fmt.Errorf("config: %w", err)
	}
	s.Monkey = mk
	o.Guard.Context, s.Env.Context = s.KubeContext, s.KubeContext
	if o.Replay == nil {
		if err := s.startRecorder(); err != nil {
			_ = j.Close()
			return nil, err
		}
	}
	s.startLogger()
	return s, nil
}

// DryRun says whether the session's actions are server-side dry runs (--dry-run, safety.dryRun).
func (s *Session) DryRun() bool { return s.opts.Guard.DryRun }

// Namespace is the namespace the session watches and acts in.
func (s *Session) Namespace() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.namespace
}

// Target is the Deployment actions hit.
func (s *Session) Target() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.target
}

// Now is the session's clock (the simulation's in the demo).
func (s *Session) Now() time.Time { return s.Clock.Now() }

// Journal is the journal's file.
func (s *Session) Journal() string { return s.journal.Path() }

// Start runs the world and the sources until ctx ends or Close is called.
func (s *Session) Start(ctx context.Context) {
	s.mu.Lock()
	s.ctx, s.cancel = context.WithCancel(ctx)
	ctx = s.ctx
	s.mu.Unlock()
	s.runRecorder()
	s.runLogger()
	for _, st := range s.starters {
		st := st
		s.group.Go(ctx, "source", st)
	}
	s.startKube(s.Namespace())
	s.startHeartbeat(ctx)
	if s.Metrics != nil {
		s.group.Go(ctx, "metrics", s.Metrics.Run)
	}
	if s.Traces != nil {
		s.group.Go(ctx, "traces", s.Traces.Run)
	}
	if s.Logs != nil {
		s.group.Go(ctx, "logs", s.Logs.Run)
	}
	s.group.Go(ctx, "session", s.tick)
	s.group.Go(ctx, "signals", s.watchSignals)
	s.group.Go(ctx, "live", s.liveLoop)
	if s.Env.Engines != nil {
		s.group.Go(ctx, "engines", s.pollEngines)
	}
}

// EnginesEvery is how often the session lists the other chaos engines' experiments.
const EnginesEvery = 5 * time.Second

// Engines is what the session last saw of the cluster's other chaos engines.
type Engines struct {
	List []engines.Experiment
	OK   bool // the cluster serves Chaos Mesh or Litmus
	Err  string
	At   time.Time // zero: not listed yet
}

// pollEngines lists the other engines' experiments now and then, off every UI path: the cockpit's
// faults sheet and header read the last answer.
func (s *Session) pollEngines(ctx context.Context) {
	t := time.NewTicker(EnginesEvery)
	defer t.Stop()
	for {
		lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		list, ok, err := s.Env.Engines.List(lctx)
		cancel()
		e := Engines{List: list, OK: ok, At: time.Now()}
		if err != nil {
			e.Err = model.ErrText(err)
		}
		s.mu.Lock()
		s.engines = e
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// EngineExperiments is the last list of the other engines' experiments (no I/O).
func (s *Session) EngineExperiments() Engines {
	if s.Env.Engines == nil {
		return Engines{At: time.Now()} // the demo, a replay: no engine to list
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.engines
	e.List = append([]engines.Experiment(nil), e.List...)
	return e
}

// tick watches the load and times out stopwatches, once a second of wall time.
func (s *Session) tick(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.PollLoad()
			s.evalStopwatches()
			s.revertExpired(ctx)
			s.mu.Lock()
			s.store.PruneGone(s.Clock.Now(), 0) // nothing in the session reads deleted pods
			s.mu.Unlock()
		}
	}
}

// startKube (re)starts the cluster source on ns.
func (s *Session) startKube(ns string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil || s.watch == nil || s.closed {
		return
	}
	if s.stopKube != nil {
		s.stopKube()
	}
	var kctx context.Context
	kctx, s.stopKube = context.WithCancel(s.ctx)
	src := kube.New(s.watch, s.send, kube.Options{Namespace: ns, Now: s.watchNow, OnSynced: s.onSynced, Dynamic: s.dyn,
		AutoscalerNamespace: s.opts.Config.Autoscaler.Namespace})
	s.group.Go(kctx, "cluster", src.Run)
}

// SetNamespace moves the session to another namespace: the cluster source restarts there and the
// metrics queries follow.
func (s *Session) SetNamespace(ns string) {
	s.point(func() { s.namespace = ns })
	go s.startKube(ns)
}

// SetTarget points actions, metrics and traces at another Deployment ("" for none).
func (s *Session) SetTarget(name string) {
	s.point(func() { s.target = name })
	if s.Traces != nil {
		q := s.Traces.Query()
		q.Service = name
		s.Traces.SetQuery(q)
	}
}

// point changes where the session points and tells the metrics backend.
func (s *Session) point(change func()) {
	s.mu.Lock()
	change()
	ns, target := s.namespace, s.target
	s.mu.Unlock()
	if s.onTarget != nil {
		s.onTarget(ns, target)
	}
	s.Bus.Publish(KindWhere, Where{Namespace: ns, Target: target})
}

// send is every source's Send: the session folds cluster deltas into its own store (and advances the
// stopwatches) before the event goes out on the bus.
func (s *Session) send(ctx context.Context, msg any) bool {
	if ctx.Err() != nil {
		return false
	}
	s.Publish(msg)
	return true
}

// Publish puts an event on the bus, after the session's own bookkeeping.
func (s *Session) Publish(msg any) {
	if d, ok := msg.(*model.ClusterDelta); ok {
		s.mu.Lock()
		s.store.Apply(d, s.Clock.Now())
		s.mu.Unlock()
		defer s.evalStopwatches()
	}
	kind, ok := KindOf(msg)
	if !ok {
		s.Bus.Publish(KindError, sources.ErrorMsg{Source: "session", Err: fmt.Sprintf("internal error: an event of type %T has no kind", msg)})
		return
	}
	s.Bus.Publish(kind, msg)
}

// FetchTrace asks the trace backend for one whole trace (a waterfall opened); the answer is a
// TraceMsg on the bus, as every event, so a recording keeps what was looked at.
func (s *Session) FetchTrace(id string) {
	b := s.TracesBackend
	if b == nil {
		return
	}
	s.fetch(func(ctx context.Context) any {
		spans, err := b.Trace(ctx, id)
		return sources.TraceMsg{TraceID: id, Spans: spans, Err: model.ErrText(err)}
	})
}

// FetchTraceLogs asks the log backend for the lines of one trace; the answer is a TraceLogsMsg.
func (s *Session) FetchTraceLogs(id string) {
	b := s.LogsBackend
	if b == nil {
		return
	}
	s.fetch(func(ctx context.Context) any {
		lines, err := b.ByTrace(ctx, id)
		return sources.TraceLogsMsg{TraceID: id, Lines: lines, Err: model.ErrText(err)}
	})
}

// windowLines bounds the log lines a window's pivot reads.
const windowLines = 1000

// FetchWindow asks the trace and log backends what happened between start and end (a moment picked
// on a graph): the target service's traces that began then, slowest first, and the log lines of the
// window under the logs pane's filter. The answer is one WindowMsg.
func (s *Session) FetchWindow(start, end time.Time) {
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
		out := sources.WindowMsg{Start: start, End: end}
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
func (s *Session) FetchSpanNames(service string) {
	n, ok := s.TracesBackend.(sources.SpanNamer)
	if !ok || service == "" {
		return
	}
	s.fetch(func(ctx context.Context) any {
		names, err := n.SpanNames(ctx, service)
		return sources.SpanNamesMsg{Service: service, Names: names, Err: model.ErrText(err)}
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

// Store calls f with the session's cluster store, locked; f must not keep it.
func (s *Session) Store(f func(c *model.Cluster)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.store)
}

// Timeline is every action the session journaled, in order.
func (s *Session) Timeline() []actions.Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]actions.Entry(nil), s.timeline...)
}

// Recoveries are the finished recovery measurements.
func (s *Session) Recoveries() []Recovery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Recovery(nil), s.recoveries...)
}

// LoadStatus is the last load status the session saw.
func (s *Session) LoadStatus() load.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.load
}

// errClosing refuses an action that arrives while the session closes.
var errClosing = fmt.Errorf("%w: the session is closing", model.ErrRefused)

// act registers an action under way; the returned func ends it.
func (s *Session) act() (func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errClosing
	}
	s.acting.Add(1)
	return s.acting.Done, nil
}

func refused(err error) (actions.Result, error) { return actions.Result{Err: err.Error()}, err }

// done records and publishes an action's result: the timeline, the stopwatch of a kill, the bus.
func (s *Session) done(r actions.Result, err error) (actions.Result, error) {
	s.mu.Lock()
	s.timeline = append(s.timeline, r.Entry)
	s.mu.Unlock()
	s.Bus.Publish(KindAction, r)
	if r.Entry.Result == actions.ResultOK || r.Entry.Result == actions.ResultDryRun {
		if a := r.Entry.Action; a == "halt" || len(a) >= 4 && a[:4] == "load" {
			s.PollLoad()
		}
	}
	return r, err
}

// World is the session's view for planning: call it with the store locked.
func (s *Session) world() actions.World {
	c := s.opts.Config
	return actions.World{Namespace: s.namespace, Target: s.target, Cluster: s.store, Load: s.load,
		Burst:    load.Profile{Name: "burst", Kind: load.Constant, Rate: c.Load.Burst.Rate, To: c.Load.Burst.Rate, Duration: c.Load.Burst.Duration.Duration},
		RateStep: c.Load.RateStep, MaxRate: c.Load.MaxRate, Monkey: s.monkeyText(), MonkeyOn: s.Monkey.Running()}
}

// monkeyText is the monkey's scope and pace, for the confirmation of M.
func (s *Session) monkeyText() string {
	m := s.monkeyCfg
	scope := "pods labelled " + m.Selector
	if m.Selector == "" {
		scope = "no label"
	}
	if len(m.Targets) > 0 {
		scope += "; named: " + strings.Join(m.Targets, ", ")
	}
	nss := strings.Join(m.Namespaces, ", ")
	if nss == "" {
		nss = s.namespace
	}
	txt := fmt.Sprintf("Scope: %s, in %s.\nPace: kill %s at random, on average every %s per Deployment", scope, nss, m.Kill, actions.ShortDuration(m.MTBF.Duration))
	if m.MinAge.Duration > 0 {
		txt += fmt.Sprintf(", pods older than %s", actions.ShortDuration(m.MinAge.Duration))
	}
	if m.MaxPerHour > 0 {
		txt += fmt.Sprintf(", at most %d an hour", m.MaxPerHour)
	}
	if m.Window != "" {
		txt += ", only " + m.Window
	}
	return txt + ".\nKills are evictions: disruption budgets and the ready minimum hold. HALT (x) stops it."
}

// View calls f with the session's planning view, locked; f must not keep it (a prompt's question and
// its checks read it).
func (s *Session) View(f func(w actions.World)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.world())
}

// Prepare plans an action of the catalog with args against the session's view: what it will hit, or
// why the arguments are wrong. Nothing runs.
func (s *Session) Prepare(spec actions.Spec, args string) (actions.Step, error) {
	if s.Replay != nil {
		return actions.Step{}, s.ReplayRefusal()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Env.Prepare(spec, s.world(), args)
}

// Act plans and runs the action of a `:` command with args, unconfirmed: for headless runs and
// scenario steps, whose confirmation is the scenario itself. A refused plan is journaled as refused.
func (s *Session) Act(ctx context.Context, command, args string) (actions.Result, error) {
	spec, ok := actions.ByCommand(command)
	if !ok {
		return refused(fmt.Errorf("unknown action %q", command))
	}
	st, err := s.Prepare(spec, args)
	if err != nil {
		return actions.Result{Err: err.Error()}, fmt.Errorf("%s %s: %w", command, args, err)
	}
	return s.Do(ctx, st)
}

// Do runs a prepared step and publishes its result. HALT is never refused; a timed action (kill)
// starts its recovery stopwatch; a drain goes on in the background until its evictions are done.
func (s *Session) Do(ctx context.Context, st actions.Step) (actions.Result, error) {
	spec := st.Spec()
	if s.Replay != nil {
		return refused(s.ReplayRefusal())
	}
	if spec.Halts {
		return s.Halt(ctx)
	}
	end, err := s.act()
	if err != nil {
		return refused(err)
	}
	defer end()
	timed := spec.Timed && st.Plan != nil && st.Plan.Workload != "" && st.Refusal == nil
	var before map[string]bool
	if timed {
		s.mu.Lock()
		before = make(map[string]bool, len(s.store.Pods))
		for k := range s.store.Pods {
			before[k] = true
		}
		s.mu.Unlock()
	}
	var drain *actions.DrainProgress
	x := actions.Exec{Env: s.Env, Injected: s.Injected, Drain: func(p actions.DrainProgress) { drain = &p }, Monkey: s.Monkey}
	r, err := x.Do(ctx, st)
	r.Timed = timed && r.Entry.Result == actions.ResultOK
	r, err = s.done(r, err)
	if drain != nil {
		s.drain(*drain) // after the drain's result: its progress follows it
	}
	if r.Timed {
		s.startStopwatch(r.Entry, *st.Plan, before) // after the action is published: its recovery comes later
	}
	return r, err
}

// drain publishes a drain's first progress and continues it once a second until its evictions are
// done, HALT runs, or the session closes.
func (s *Session) drain(pr actions.DrainProgress) {
	s.Bus.Publish(KindDrain, pr)
	s.mu.Lock()
	ctx := s.ctx
	s.mu.Unlock()
	if ctx == nil {
		ctx = context.Background()
	}
	started := s.Clock.Now()
	s.group.Go(ctx, "drain", func(ctx context.Context) {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for !pr.Done {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			s.mu.Lock()
			halted := !s.haltedAt.Before(started)
			s.mu.Unlock()
			if halted {
				var r actions.Result
				pr, r = s.Env.StopDrain(pr, "HALT")
				_, _ = s.done(r, nil)
				s.Bus.Publish(KindDrain, pr)
				return
			}
			pr = s.drainStep(ctx, pr)
		}
	})
}

// drainStep continues a drain and publishes its progress (and, when it ends, its result).
func (s *Session) drainStep(ctx context.Context, pr actions.DrainProgress) actions.DrainProgress {
	end, err := s.act()
	if err != nil {
		pr.Done, pr.Err = true, err.Error()
		return pr
	}
	defer end()
	pr, done := s.Env.DrainStep(ctx, pr)
	if done != nil {
		_, _ = s.done(*done, nil) // the journaled drain-done, on the timeline and the bus like any result
	}
	s.Bus.Publish(KindDrain, pr)
	return pr
}

// Halt stops all load and reverts everything injected. It asks nothing and is never refused.
// Halt stops load and the monkey and reverts everything injected; what a stop already stopped
// (StopLoad) is journaled as this HALT's.
func (s *Session) Halt(ctx context.Context) (actions.Result, error) {
	if s.Replay != nil {
		return refused(fmt.Errorf("%w: nothing to halt in a replay (nothing here acts on a cluster)", model.ErrRefused))
	}
	s.mu.Lock()
	s.haltedAt = s.Clock.Now() // before the load stops: the poll must not take it for a run that ended
	also := s.stoppedEarly
	s.stoppedEarly = nil
	s.mu.Unlock()
	if s.Monkey.Stop() { // first: no kill may start while the rest is reverted
		also = append(also, "chaos monkey")
	}
	return s.done(s.Env.Halt(ctx, s.Injected, also...)) // not through act(): HALT runs while the session closes
}

// Leftovers lists what other sessions changed and did not undo (cordons, Istio faults, load Jobs), as
// q says (Self and Grace are the session's; this machine's state files are read and cleaned of
// records no object carries). This session's own changes are never listed.
func (s *Session) Leftovers(ctx context.Context, q actions.LeftoverQuery) ([]actions.Leftover, error) {
	if s.Env.Client == nil || s.Sim != nil {
		return nil, nil
	}
	q.Self = s.id
	// A live session reverts a fault on the tick after its end; three heartbeats later it is overdue.
	q.Grace = 3 * s.opts.Config.Safety.Heartbeat.Duration
	q.StateDir = cmp.Or(s.opts.RevertDir, config.DefaultRevertDir())
	return s.Env.FindLeftovers(ctx, q)
}

// RevertLeftovers undoes leftovers (after a person confirmed them) and journals it as cleanup.
func (s *Session) RevertLeftovers(ctx context.Context, list []actions.Leftover) error {
	if len(list) == 0 {
		return nil
	}
	if s.opts.Guard.ReadOnly {
		return fmt.Errorf("%w: read-only mode (--read-only): leftovers are listed, not reverted", model.ErrRefused)
	}
	_, err := s.done(s.Env.RevertLeftovers(ctx, list))
	return err
}

// OtherEngines lists the experiments of the cluster's other chaos engines (Chaos Mesh, Litmus);
// ok is false when it serves none.
func (s *Session) OtherEngines(ctx context.Context) ([]engines.Experiment, bool, error) {
	if s.Env.Engines == nil {
		return nil, false, nil
	}
	return s.Env.Engines.List(ctx)
}

// ID names the session in its revert records and its heartbeat Lease.
func (s *Session) ID() string { return s.id }

// Faults lists what is injected now (the header's FAULTS badge).
func (s *Session) Faults() []actions.Active { return s.Injected.Active() }

func newSessionID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Records starts the revert records and heartbeat of a process that changes the cluster without a
// session (gameday load --workers): what it leaves carries its records, and a reaper tells them from
// a live process's by its Lease in ns. stop ends the heartbeat and deletes the Lease.
func Records(ctx context.Context, client kubernetes.Interface, ns, user string, safety config.Safety, revertDir string) (*actions.Records, func(), error) {
	id := newSessionID()
	state, err := revert.OpenState(cmp.Or(revertDir, config.DefaultRevertDir()), id)
	if err != nil {
		return nil, nil, err
	}
	holder := user
	if h, err := os.Hostname(); err == nil {
		holder += "@" + h
	}
	b, err := revert.StartHeartbeat(ctx, client, ns, id, fmt.Sprintf("%s pid %d", holder, os.Getpid()), revert.HeartbeatOptions{Every: safety.Heartbeat.Duration})
	if err != nil {
		return nil, nil, fmt.Errorf("%w: without a heartbeat, a reaper would take its Job for a leftover", err)
	}
	return &actions.Records{Session: id, State: state, Lease: b.Ref}, func() { _ = b.Stop(context.Background()) }, nil
}

// startHeartbeat creates the session's Lease in its namespace, so that its revert records can be told
// from a dead session's. Without one (no rights to Leases there), changes still carry records, and
// another session takes them for leftovers: the status line says so.
func (s *Session) startHeartbeat(ctx context.Context) {
	if s.Sim != nil || s.Env.Client == nil || s.opts.Guard.ReadOnly {
		return
	}
	ns := cmp.Or(s.Namespace(), "default")
	holder := s.Env.User
	if h, err := os.Hostname(); err == nil {
		holder += "@" + h
	}
	b, err := revert.StartHeartbeat(ctx, s.Env.Client, ns, s.id, fmt.Sprintf("%s pid %d", holder, os.Getpid()),
		revert.HeartbeatOptions{Every: s.opts.Config.Safety.Heartbeat.Duration})
	if err != nil {
		s.Publish(sources.ErrorMsg{Source: "session", Err: err.Error() + ": without it, another gameday takes this session's cordons and faults for leftovers"})
		return
	}
	s.mu.Lock()
	s.beat = b
	s.mu.Unlock()
}

// revertExpired reverts the faults whose duration ended and publishes each as an action result.
func (s *Session) revertExpired(ctx context.Context) {
	rs, err := s.Env.RevertExpired(ctx, s.Injected)
	for _, r := range rs {
		_, _ = s.done(r, nil)
	}
	if err != nil && len(rs) == 0 {
		s.Publish(sources.ErrorMsg{Source: "session", Err: err.Error()})
	}
}

// CheckWhere says what is wrong with where the session points, once its cluster source has synced: a
// namespace that does not exist, a target that is not in it ("" when all is well). On a real cluster
// an informer on a missing namespace lists nothing and says nothing, so it asks the API.
func (s *Session) CheckWhere(ctx context.Context) string {
	ns, target := s.Namespace(), s.Target()
	if ns != "" && s.Env.Client != nil {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if _, err := s.Env.Client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); apierrors.IsNotFound(err) {
			return fmt.Sprintf("namespace %q does not exist: nothing to watch or act on and the graphs have no data (:ns NAME)", ns)
		}
	}
	if target == "" {
		return ""
	}
	found := false
	s.Store(func(c *model.Cluster) { found = c.Deployment(ns, target) != nil })
	if !found {
		return fmt.Sprintf("deploy/%s not found in namespace %q: the graphs have no data for it and load is refused (:target picks one)", target, ns)
	}
	return ""
}

// CheckPermissions asks which actions the identity may run in the session's namespace.
func (s *Session) CheckPermissions(ctx context.Context, namespace string) (actions.Permissions, error) {
	if s.Env.Client == nil {
		return nil, nil
	}
	perms, err := s.Env.CheckPermissions(ctx, namespace)
	s.Bus.Publish(KindPerms, actions.PermissionsAnswer{Namespace: namespace, Perms: perms, Err: model.ErrText(err)})
	return perms, err
}

// PollLoad reads the load driver's status, publishes it, and journals a timed run that ended by
// itself (not by HALT).
func (s *Session) PollLoad() {
	l := s.Env.Load
	if l == nil {
		return
	}
	s.pollMu.Lock() // one poll at a time: an older status must not overwrite a newer one
	st := l.Status()
	s.mu.Lock()
	prev := s.load
	s.load = st
	halted := s.Clock.Now().Sub(s.haltedAt) <= 2*time.Second
	s.mu.Unlock()
	s.Bus.Publish(KindLoad, st)
	s.pollMu.Unlock() // before journaling: done polls the load again after a load action
	if prev.Active && !st.Active && !halted {
		entry := actions.Entry{Time: s.Clock.Now(), Action: "load-finished", Targets: []string{prev.Profile.Name}, Detail: prev.Profile.String()}
		_, _ = s.done(s.Env.Record(entry, nil))
	}
}

// Busy reports whether load runs or anything is injected (what HALT would stop).
func (s *Session) Busy() bool {
	return s.Env.Load != nil && s.Env.Load.Status().Active || s.Injected.Len() > 0 || s.Monkey.Running()
}

// HaltedOnClose is the HALT that Close ran (false when nothing was running or injected).
func (s *Session) HaltedOnClose() (actions.Result, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closeHalt == nil {
		return actions.Result{}, false
	}
	return *s.closeHalt, true
}

// StopLoad stops the chaos monkey and the load at once (within a second), before anything else a
// stop does: whatever the reverts then wait for, nothing more is sent or killed. It says what it
// stopped.
func (s *Session) StopLoad() []string {
	var stopped []string
	if s.Monkey.Stop() {
		stopped = append(stopped, "chaos monkey")
	}
	if l := s.Env.Load; l != nil && l.Status().Active {
		s.mu.Lock()
		s.haltedAt = s.Clock.Now() // a stop, not a run that ended by itself
		s.mu.Unlock()
		l.Stop()
		stopped = append(stopped, "load")
	}
	// The HALT that follows journals these as its own: a stop is one HALT, however it began.
	s.mu.Lock()
	s.stoppedEarly = append(s.stoppedEarly, stopped...)
	s.mu.Unlock()
	return stopped
}

// Abandon is a stop cut short (a second Ctrl-C): nothing more is reverted. It lists what is still
// injected; each has its revert record in the local state file (written before the change) and on
// the changed object, so `gameday revert` finds it once the session's heartbeat is stale.
func (s *Session) Abandon() (pending []string, statePath string) {
	s.StopLoad()
	if s.Env.Records != nil && s.Env.Records.State != nil {
		statePath = s.Env.Records.State.Path()
	}
	return s.Injected.Pending(), statePath
}

// Close stops the sources and, if load runs or anything is injected, runs HALT: faults must not
// outlive the session, whatever way it ended. Load and the monkey stop first, at once; then actions
// under way get a few seconds to end, then HALT reverts within safety.revertTimeout. It returns
// HALT's error.
func (s *Session) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	cancel := s.cancel
	s.mu.Unlock()
	s.StopLoad()
	waited := make(chan struct{})
	go func() { s.acting.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(5 * time.Second): // an action still under way: HALT all the same
	}
	var err error
	s.mu.Lock()
	early := len(s.stoppedEarly) > 0
	s.mu.Unlock()
	if s.Busy() || early {
		var r actions.Result
		r, err = s.Halt(context.Background())
		s.mu.Lock()
		s.closeHalt = &r
		s.mu.Unlock()
	}
	if cancel != nil {
		cancel()
	}
	s.group.Wait()
	s.mu.Lock()
	beat := s.beat
	s.mu.Unlock()
	// The session is gone: whatever it could not revert is now a leftover for the next start.
	if berr := beat.Stop(context.Background()); berr != nil && err == nil {
		err = berr
	}
	how := "closed"
	if err != nil {
		how = "closed; HALT: " + err.Error()
	}
	s.stopLogger(how)
	if rerr := s.stopRecorder(); rerr != nil && err == nil {
		err = rerr
	}
	if jerr := s.journal.Close(); jerr != nil && err == nil {
		err = jerr
	}
	return err
}
