// Package session is a game day without a UI: it builds the world (a real cluster through its REST
// config, or the simulated one), runs the sources, publishes every event on a bus, keeps its own
// cluster store, the timeline of journaled actions, the recovery stopwatches, the load status and
// the registry of injected faults, and runs HALT when it closes. The cockpit is one subscriber of a
// session; a headless runner, a recorder and probes are others.
package session

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/bus"
	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/monkey"
	"github.com/gamedaylab/gameday/recording"
	"github.com/gamedaylab/gameday/revert"
	"github.com/gamedaylab/gameday/sim"
	"github.com/gamedaylab/gameday/sources"
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

// Dynamic reaches any resource of the cluster as JSON (nil on the demo): another tool's probes of
// arbitrary kinds read through it.
func (s *Session) Dynamic() dynamic.Interface { return s.dyn }

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
	ctx, cancel := context.WithTimeout(context.Background(), s.CloseBound())
	defer cancel()
	return s.CloseWithin(ctx)
}

// actionGrace is how long a close lets actions under way end before HALT runs all the same.
const actionGrace = 5 * time.Second

// CloseBound is the whole of a close: actions under way end (actionGrace), then HALT's reverts
// (safety.revertTimeout). The program's shutdown is bounded by it, once.
func (s *Session) CloseBound() time.Duration { return actionGrace + s.Env.HaltBound() }

// CloseWithin is Close within ctx's deadline, the program's one shutdown deadline: no step of it
// (actions ending, HALT, the sources stopping, the heartbeat's removal) outlasts it.
func (s *Session) CloseWithin(ctx context.Context) error {
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
	case <-time.After(actionGrace): // an action still under way: HALT all the same
	case <-ctx.Done():
	}
	var err error
	s.mu.Lock()
	early := len(s.stoppedEarly) > 0
	s.mu.Unlock()
	if s.Busy() || early {
		var r actions.Result
		r, err = s.Halt(ctx)
		s.mu.Lock()
		s.closeHalt = &r
		s.mu.Unlock()
	}
	if cancel != nil {
		cancel()
	}
	stopped := make(chan struct{})
	go func() { s.group.Wait(); close(stopped) }()
	select {
	case <-stopped:
	case <-ctx.Done(): // a source that ignores its cancellation does not hold the exit
	}
	s.mu.Lock()
	beat := s.beat
	s.mu.Unlock()
	// The session is gone: whatever it could not revert is now a leftover for the next start.
	if berr := beat.Stop(ctx); berr != nil && err == nil {
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
