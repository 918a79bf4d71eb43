// Package tui is the Bubble Tea program: the root model routes source messages to panes, runs the
// global keys and actions, owns the modals (help, command line, confirm dialogs) and lays out the screen.
package tui

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"sync"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/experiment"
	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/monkey"
	"github.com/gamedaylab/gameday/session"
	"github.com/gamedaylab/gameday/signals"
	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/tui/core"
	"github.com/gamedaylab/gameday/tui/panes"
)

// Deps are the outside pieces the cockpit talks to.
type Deps struct {
	// Session is the game day the cockpit shows and acts through: its events arrive as messages (the
	// caller forwards a bus subscription to the program), its actions are run by commands.
	Session *session.Session
	// TickEvery is the clock tick (default 1 s).
	TickEvery time.Duration
	// Trace, when set, records when pod changes reach the screen (benchmarks).
	Trace *FrameTrace
	// Screen, when set, draws the frames (the program then runs without Bubble Tea's renderer).
	Screen interface{ Set(frame string, w, h int) }
	// Runbook is the run the cockpit presents (gameday --scenario: a scenario or a Chaos Toolkit
	// experiment), nil without one: Gate lets its method start and its manual steps pass, Stop
	// stops it (HALT does). SteadyGate is what destructive keys do while its steady state does not
	// hold: warn (the default) or refuse.
	Runbook    experiment.Runbook
	Gate       chan<- struct{}
	Stop       func()
	SteadyGate string
	// DialogGrace is how long a new dialog ignores the keys that answer it, so a key pressed a moment
	// before it opened does not answer it (0: DefaultDialogGrace; negative: none). KeyClock reads the
	// wall clock for it (nil: time.Now).
	DialogGrace time.Duration
	KeyClock    func() time.Time
}

// DefaultDialogGrace is shorter than a person's reaction to a dialog appearing, longer than the gap
// between two keys typed in one go.
const DefaultDialogGrace = 150 * time.Millisecond

// Model is the root of the program.
type Model struct {
	ctx   *core.Context
	deps  Deps
	sess  *session.Session
	panes [core.NumPanes]core.Pane

	focus    core.PaneID
	zoom     bool
	showHelp bool
	// runbook is the scenario run's latest snapshot and its rendered text (made on the tick);
	// showRunbook puts it in the body.
	runbook     experiment.Snapshot
	runbookText string
	showRunbook bool
	// sheet is a `:` command's full-body text (`:backend`, `:faults`; nil when closed), rebuilt
	// every tick while open.
	sheet *sheet
	// signals is how the target's signals are read, as the session last detected (:signals).
	signals session.Signals
	cmdline textinput.Model
	cmdOn   bool
	dialog  *dialog

	conn map[string]sources.ConnState
	// metricsSrc names the Prometheus in use (discovered ones change it), shown in the header.
	metricsSrc string
	status     string
	statusErr  bool
	statusAt   time.Time
	statusBg   bool // the status is a source's, not an answer to a person
	// recovering are the kills whose recovery the session is timing (the header counts); recovered
	// is the last result, held in the header for a while of wall time.
	dots struct {
		short, full string
		valid       bool
		synced      bool
	}
	recovering  []actions.Entry
	recovered   string
	recoveredAt time.Time

	frames [core.NumPanes]framed

	started     time.Time
	firstAction time.Time
	load        load.Status
	// faults and monkey are what the header's FAULTS and MONKEY badges show, read from the session
	// in Update (each tick, each result), so View takes none of its locks.
	faults   []actions.Active
	engines  session.Engines // other chaos engines' experiments, as the session last listed them
	monkey   monkey.Status
	quitting bool
	// replay is the replay's position (gameday replay); truncatedSaid: the early end was reported.
	replay        session.ReplayState
	truncatedSaid bool
	// markedSeq is the arrival number of the last autoscaler event put on the graphs.
	markedSeq int

	helpOffset, helpMax int

	// inflight counts action commands not yet run.
	inflight sync.WaitGroup
	// gated are the action keys that need a permission, from the catalog and the keymap (fixed once
	// the cockpit starts): the footer and the key router read them on every frame and key.
	gated []gatedKey
	// actionKeys are the catalog's keys and their actions, in catalog order.
	actionKeys []actionKey
}

// New builds the root model. ctx must have Styles, Keys, Config, Clock, Cluster and Markers set.
func New(ctx *core.Context, deps Deps) *Model {
	if deps.TickEvery <= 0 {
		deps.TickEvery = time.Second
	}
	if ctx.Markers == nil {
		ctx.Markers = &core.Markers{}
	}
	if ctx.Cluster == nil {
		ctx.Cluster = model.NewCluster()
	}
	sess := deps.Session
	m := &Model{ctx: ctx, deps: deps, sess: sess, conn: map[string]sources.ConnState{}, started: ctx.Now(), metricsSrc: sess.MetricsName}
	panels := sess.Panels
	if len(panels) == 0 {
		panels = sources.DefaultPanels()
	}
	var setView func(time.Duration, int)
	if sess.Metrics != nil {
		setView = sess.Metrics.SetView
	}
	var setQuery func(sources.TraceQuery)
	tq := sources.TraceQuery{Service: ctx.Target, Lookback: 15 * time.Minute, Limit: 100}
	if sess.Traces != nil {
		setQuery = sess.Traces.SetQuery
		tq = sess.Traces.Query()
	}
	var setFilter func(string)
	if sess.Logs != nil {
		setFilter = sess.Logs.SetFilter
	}
	if sess.Replay != nil { // the filter runs over the recorded lines
		setFilter = sess.Replay.SetLogFilter
		m.replay = sess.Replay.State()
	}
	metricsName := sess.MetricsName
	if metricsName == "" {
		metricsName = "no metrics source"
	}
	for _, spec := range actions.Catalog() {
		b, ok := ctx.Keys.Binding(spec.Key)
		if !ok || spec.Key == "" {
			continue
		}
		if spec.Perm != "" {
			m.gated = append(m.gated, gatedKey{b, strings.Join(b.Keys(), ","), spec.Perm})
		}
		if !spec.Halts {
			m.actionKeys = append(m.actionKeys, actionKey{b, spec})
		}
	}
	m.panes[core.PaneWorkload] = panes.NewWorkload(ctx)
	m.panes[core.PaneMetrics] = panes.NewMetrics(ctx, panels, ctx.Config.Metrics.Window.Duration, metricsName, setView)
	var tracesName, logsName string
	if sess.TracesBackend != nil {
		tracesName = sess.TracesBackend.Name()
	}
	if sess.LogsBackend != nil {
		logsName = sess.LogsBackend.Name()
	}
	ctx.Fetch = sess
	ctx.Cockpit = cockpitName()
	m.panes[core.PaneTraces] = panes.NewTraces(ctx, tracesName, tq, setQuery)
	m.panes[core.PaneLogs] = panes.NewLogs(ctx, logsName, setFilter)
	m.panes[core.PaneEvents] = panes.NewEvents(ctx)
	ti := textinput.New()
	ti.Prompt = ":"
	ti.Placeholder = "ns NAME · target deploy/NAME · theme NAME · q"
	m.cmdline = ti
	m.panes[m.focus].Update(core.FocusMsg{})
	return m
}

// answer hands a backend's answer to the pane that asked for it; an answer to another cockpit's
// question (a shared session) is not this one's.
func (m *Model) answer(a sources.Asked, msg tea.Msg) tea.Cmd {
	p, ok := m.ctx.Asker(a)
	if !ok {
		return nil
	}
	return m.panes[p].Update(msg)
}

// cockpitName names a cockpit for its questions; random, so two cockpits on one bus never share one.
func cockpitName() string { return rand.Text()[:10] }

// Context exposes the shared context (tests).
func (m *Model) Context() *core.Context { return m.ctx }

// Pane returns a pane (tests and benchmarks).
func (m *Model) Pane(id core.PaneID) core.Pane { return m.panes[id] }

// Focused is the focused pane.
func (m *Model) Focused() core.PaneID { return m.focus }

// Zoomed reports whether one pane fills the body.
func (m *Model) Zoomed() bool { return m.zoom }

// HelpShown reports whether the help overlay is open.
func (m *Model) HelpShown() bool { return m.showHelp }

// CommandLineOpen reports whether the command line is open.
func (m *Model) CommandLineOpen() bool { return m.cmdOn }

// DialogOpen reports whether a modal dialog is open, and its title.
func (m *Model) DialogOpen() (bool, string) {
	if m.dialog == nil {
		return false, ""
	}
	return true, m.dialog.title
}

// Status is the status line text.
func (m *Model) Status() (string, bool) { return m.status, m.statusErr }

type tickMsg struct{}

func (m *Model) tick() tea.Cmd {
	return tea.Tick(m.deps.TickEvery, func(time.Time) tea.Msg { return tickMsg{} })
}

// Init implements tea.Model: the clock, the permission check, and the cleanup of what a crashed
// session left behind (cordoned nodes).
func (m *Model) Init() tea.Cmd {
	sess := m.sess
	return tea.Batch(m.tick(), m.checkPermissions(), safe(func() tea.Msg {
		list, err := sess.Leftovers(context.Background(), actions.LeftoverQuery{})
		return leftoversMsg{list: list, err: err}
	}))
}

// Update implements tea.Model. Every command it returns is wrapped by safe.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := m.update(msg)
	return m, safe(cmd)
}

func (m *Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.ctx.Width, m.ctx.Height = msg.Width, msg.Height
		m.resize()
		m.refreshRunbook() // wrapped to the new width
		if sess := m.sess; sess.Replay == nil {
			sess.Publish(session.Screen{Width: msg.Width, Height: msg.Height}) // recorded with the session
		}
		return m, nil
	case session.ReplayState:
		return m, m.onReplay(msg)
	case tickMsg:
		return m, m.onTick()
	case leftoversMsg:
		if m.dialog != nil { // a dialog is open: ask once it closes
			return m, tea.Tick(time.Second, func(time.Time) tea.Msg { return msg })
		}
		return m, m.leftovers(msg)
	case actions.PermissionsAnswer:
		m.onPermissions(msg)
		return m, nil
	case session.Where:
		if msg.Namespace == m.ctx.Namespace && msg.Target == m.ctx.Target {
			return m, nil // the cockpit's own change
		}
		// Someone else (a scenario step, a probe runner) moved the session: follow it.
		if msg.Namespace != m.ctx.Namespace {
			m.ctx.Perms = nil
		}
		m.ctx.Namespace, m.ctx.Target = msg.Namespace, msg.Target
		return m, m.broadcast(core.TargetChangedMsg{})
	case session.Signals:
		m.signals = msg
		if m.sheet != nil {
			m.sheet.text = m.sheet.build()
		}
		return m, m.panes[core.PaneMetrics].Update(core.ConventionMsg(msg.Of(signals.Rate).Convention))
	case actions.DrainProgress:
		m.onDrain(msg)
		return m, nil
	case load.Status:
		m.load = msg
		return m, nil
	case *model.ClusterDelta:
		m.ctx.Cluster.Apply(msg, m.ctx.Now())
		if m.deps.Trace != nil {
			m.deps.Trace.noteDelta(msg)
		}
		cmd := m.broadcast(core.ClusterChangedMsg{Delta: msg})
		if m.markAutoscaler(msg.Events) {
			cmd = tea.Batch(cmd, m.broadcast(core.MarkersChangedMsg{}))
		}
		if msg.Reset { // a (re)started source's full list: is what we point at there?
			cmd = tea.Batch(cmd, m.checkWhere())
		}
		return m, cmd
	case whereMsg:
		if msg != "" {
			m.setStatus(string(msg), true)
		}
		return m, nil
	case sources.MetricsMsg:
		if msg.Source != "" {
			m.metricsSrc = msg.Source
		}
		return m, m.panes[core.PaneMetrics].Update(msg)
	case sources.TracesMsg:
		return m, m.panes[core.PaneTraces].Update(msg)
	case sources.LogsMsg, sources.LogsReset:
		return m, m.panes[core.PaneLogs].Update(msg)
	case sources.TraceMsg:
		return m, m.answer(msg.Asked, msg)
	case sources.SpanNamesMsg:
		return m, m.answer(msg.Asked, msg)
	case sources.TraceLogsMsg:
		return m, m.answer(msg.Asked, msg)
	case sources.WindowMsg:
		if _, ok := m.ctx.Asker(msg.Asked); !ok {
			return m, nil
		}
		return m, tea.Batch(m.panes[core.PaneTraces].Update(msg), m.panes[core.PaneLogs].Update(msg))
	case core.WindowMsg:
		// The pivot from a spike: both panes show the window, the traces pane asks and takes the focus.
		msg.Asked = m.ctx.Ask(core.PaneTraces)
		cmd := tea.Batch(m.panes[core.PaneTraces].Update(msg), m.panes[core.PaneLogs].Update(msg))
		if m.ctx.Fetch != nil {
			m.ctx.Fetch.FetchWindow(msg.Asked, msg.Start, msg.End)
		}
		m.setFocus(core.PaneTraces)
		return m, cmd
	case sources.ConnState:
		m.conn[msg.Source] = msg
		m.dots.valid = false
		if !msg.OK && msg.Err != "" {
			m.backgroundStatus(fmt.Sprintf("%s: %s", msg.Source, msg.Detail), true)
		}
		return m, nil
	case sources.ErrorMsg:
		m.backgroundStatus(fmt.Sprintf("%s: %s", msg.Source, firstLine(msg.Err)), true)
		return m, nil
	case actions.Result:
		return m, m.onResult(msg)
	case core.StatusMsg:
		m.setStatus(msg.Text, msg.Err)
		return m, nil
	case core.FocusPaneMsg:
		m.setFocus(msg.Pane)
		return m, nil
	case core.OpenTraceMsg:
		return m, m.panes[core.PaneTraces].Update(msg)
	case core.TraceLogsMsg:
		return m, m.panes[core.PaneLogs].Update(msg)
	case tea.KeyPressMsg:
		return m, m.onKey(msg)
	case tea.PasteMsg:
		if m.cmdOn {
			var cmd tea.Cmd
			m.cmdline, cmd = m.cmdline.Update(msg)
			return m, cmd
		}
		return m, m.panes[m.focus].Update(msg)
	}
	// Messages of a pane's own commands, and anything else, go to every pane; unknown ones are ignored.
	if m.dialog != nil {
		return m, m.updateDialog(msg)
	}
	return m, m.broadcast(msg)
}

func (m *Model) broadcast(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	for _, p := range m.panes {
		cmds = append(cmds, p.Update(msg))
	}
	return tea.Batch(cmds...)
}

func (m *Model) onTick() tea.Cmd {
	now := m.ctx.Now()
	m.refreshRunbook()
	m.refreshInjected()
	if m.sheet != nil {
		m.sheet.text = m.sheet.build()
	}
	pruned := m.ctx.Cluster.PruneGone(now, m.ctx.Config.UI.Highlight.Duration)
	cmds := []tea.Cmd{m.tick(), m.broadcast(core.TickMsg{Now: now, Pruned: pruned})}
	if m.deps.Trace != nil {
		cmds = append(cmds, m.deps.Trace.flush())
	}
	return tea.Batch(cmds...)
}

// refreshInjected takes the session's faults and monkey state for the header.
func (m *Model) refreshInjected() {
	m.faults = m.sess.Faults()
	m.engines = m.sess.EngineExperiments()
	if m.sess.Monkey != nil {
		m.monkey = m.sess.Monkey.Status()
	}
}

func (m *Model) setFocus(id core.PaneID) {
	if id == m.focus {
		return
	}
	m.panes[m.focus].Update(core.BlurMsg{})
	m.focus = id
	m.panes[m.focus].Update(core.FocusMsg{})
	if m.zoom {
		m.resize()
	}
}

func (m *Model) bodySize() (w, h int) { return m.ctx.Width, m.ctx.Height - headerHeight - footerHeight }

func (m *Model) resize() {
	w, h := m.gridSize()
	if m.tooSmall() {
		return
	}
	rects := Layout(w, h)
	for id, p := range m.panes {
		r := rects[id]
		if m.zoom && core.PaneID(id) == m.focus {
			r = Rect{0, 0, w, h}
		}
		p.SetSize(r.W-2, r.H-2)
	}
	m.cmdline.SetWidth(w - 4)
}

func (m *Model) tooSmall() bool { return m.ctx.Width < MinWidth || m.ctx.Height < MinHeight }

func (m *Model) quit() tea.Cmd {
	m.quitting = true
	return tea.Quit
}
