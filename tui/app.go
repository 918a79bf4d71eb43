// Package tui is the Bubble Tea program: the root model routes source messages to panes, runs the
// global keys and actions, owns the modals (help, command line, confirm dialogs) and lays out the screen.
package tui

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/experiment"
	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/monkey"
	"github.com/gamedaylab/gameday/session"
	"github.com/gamedaylab/gameday/signals"
	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/themes"
	"github.com/gamedaylab/gameday/tui/core"
	"github.com/gamedaylab/gameday/tui/keys"
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
	// Runbook is the scenario run the cockpit presents (gameday --scenario), nil without one: Gate
	// lets its method start and its manual steps pass, Stop stops it (HALT does). SteadyGate is
	// what destructive keys do while its steady state does not hold: warn (the default) or refuse.
	Runbook    *experiment.Live
	Gate       chan<- struct{}
	Stop       func()
	SteadyGate string
}

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

// leftoversMsg is what sessions that are no longer alive left behind, found at start.
type leftoversMsg struct {
	list []actions.Leftover
	err  error
}

// leftovers asks once whether to revert what dead sessions left (another live session's changes are
// never listed); the revert's result arrives from the bus.
func (m *Model) leftovers(msg leftoversMsg) tea.Cmd {
	if msg.err != nil {
		m.setStatus("looking for leftovers of earlier sessions: "+msg.err.Error(), true)
	}
	if len(msg.list) == 0 {
		return nil
	}
	now := m.sess.Now()
	var b strings.Builder
	for i, l := range msg.list {
		if i == 8 {
			fmt.Fprintf(&b, "… and %d more\n", len(msg.list)-8)
			break
		}
		b.WriteString("• " + l.Line(now) + "\n")
	}
	b.WriteString("Their sessions no longer run (no heartbeat). `gameday revert` does the same headless.")
	list, sess := msg.list, m.sess
	step := actions.EventStep("cleanup", fmt.Sprintf("revert %d change(s) left by sessions that ended without undoing them", len(list)), b.String())
	m.dialog = newConfirm(m.ctx.Styles, step, m.dialogWidth())
	m.dialog.step = nil
	m.dialog.onYes = func(m *Model) tea.Cmd {
		return safe(func() tea.Msg {
			if err := sess.RevertLeftovers(context.Background(), list); err != nil {
				return sources.ErrorMsg{Source: "cleanup", Err: err.Error()}
			}
			return nil
		})
	}
	return m.dialog.form.Init()
}

// safe wraps a command so a panic in it becomes an error in the status line, not a crash. Batches
// are wrapped too, command by command, so nothing the model returns can take the terminal down.
func safe(cmd tea.Cmd) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return func() (msg tea.Msg) {
		defer func() {
			if r := recover(); r != nil {
				msg = sources.ErrorMsg{Source: "command", Err: fmt.Sprintf("internal error (recovered panic): %v\n%s", r, debug.Stack())}
			}
		}()
		msg = cmd()
		if b, ok := msg.(tea.BatchMsg); ok {
			for i := range b {
				b[i] = safe(b[i])
			}
		}
		return msg
	}
}

func (m *Model) setStatus(text string, isErr bool) {
	m.status, m.statusErr, m.statusAt = text, isErr, time.Now() // held for wall time: the demo's clock may run 20x
	m.statusBg = false
}

// backgroundStatus is a source's word (unreachable, retrying): it does not push away what a key or
// command just answered (the dots keep the source's state in view meanwhile).
func (m *Model) backgroundStatus(text string, isErr bool) {
	if m.status != "" && !m.statusBg && time.Since(m.statusAt) < userStatusHold {
		return
	}
	m.setStatus(text, isErr)
	m.statusBg = true
}

// userStatusHold is how long an answer to a person's key holds the status line against sources.
const userStatusHold = 5 * time.Second

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
	case sources.TracesMsg, sources.TraceMsg, sources.SpanNamesMsg:
		return m, m.panes[core.PaneTraces].Update(msg)
	case sources.LogsMsg, sources.LogsReset, sources.TraceLogsMsg:
		return m, m.panes[core.PaneLogs].Update(msg)
	case sources.WindowMsg:
		return m, tea.Batch(m.panes[core.PaneTraces].Update(msg), m.panes[core.PaneLogs].Update(msg))
	case core.WindowMsg:
		// The pivot from a spike: both panes show the window, the traces pane takes the focus.
		cmd := m.panes[core.PaneTraces].Update(msg)
		if m.ctx.Fetch != nil {
			m.ctx.Fetch.FetchWindow(msg.Start, msg.End)
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

// autoscalerMark is the marker label of a cluster-autoscaler event that marks the graphs ("" for
// the others: its NotTriggerScaleUp repeats every loop and would bury them).
func autoscalerMark(reason string) string {
	switch reason {
	case "TriggeredScaleUp":
		return "scale-up"
	case "ScaledUpGroup":
		return "node group up"
	case "ScaleDown", "ScaleDownEmpty":
		return "scale-down"
	}
	return ""
}

// markAutoscaler puts a marker on the graphs for each autoscaler event the store saw for the first
// time (its arrival number is past the last one marked; an update of the same event keeps its number).
func (m *Model) markAutoscaler(events []model.Event) bool {
	added, last := false, m.markedSeq // one delta's events are numbered in time order, not in its order
	for _, e := range events {
		entry := m.ctx.Cluster.Events[e.Key()]
		label := autoscalerMark(e.Reason)
		if label == "" || entry == nil || entry.Seq <= last {
			continue
		}
		m.markedSeq = max(m.markedSeq, entry.Seq)
		m.ctx.Markers.Add(e.Time, label)
		added = true
	}
	return added
}

func (m *Model) onResult(r actions.Result) tea.Cmd {
	e := r.Entry
	if m.firstAction.IsZero() {
		m.firstAction = e.Time
	}
	switch {
	case r.Err != "":
		m.setStatus(fmt.Sprintf("%s %s: %s", e.Action, e.Result, firstLine(r.Err)), true)
	default:
		txt := e.Detail
		if txt == "" {
			txt = strings.Join(e.Targets, ", ")
		}
		m.setStatus(fmt.Sprintf("%s %s: %s", e.Action, e.Result, txt), false)
	}
	m.trackRecovery(r)
	m.refreshInjected()
	var cmds []tea.Cmd
	if e.Result == actions.ResultOK || e.Result == actions.ResultDryRun {
		m.markResult(e)
		cmds = append(cmds, m.broadcast(core.MarkersChangedMsg{}))
	}
	cmds = append(cmds, m.panes[core.PaneEvents].Update(r))
	return tea.Batch(cmds...)
}

// markResult marks the graphs with an action; a fault's window is shaded from its injection to its
// end (its expiry, :unfault or HALT).
func (m *Model) markResult(e actions.Entry) {
	label := actions.MarkerLabel(e.Action)
	id := ""
	for _, t := range e.Targets {
		if rest, ok := strings.CutPrefix(t, "fault/"); ok {
			id = rest
		}
	}
	switch {
	case e.Action == "fault" && id != "" && e.Result == actions.ResultOK:
		m.ctx.Markers.OpenSpan(e.Time, label, id)
		return
	case e.Action == "halt" || e.Action == "unfault" && id == "all":
		m.ctx.Markers.CloseSpan(e.Time, "")
	case (e.Action == "unfault" || e.Action == "fault-expired") && id != "":
		m.ctx.Markers.CloseSpan(e.Time, id)
	}
	m.ctx.Markers.Add(e.Time, label)
}

// trackRecovery follows kills until their recovery is measured: a kill starts a counter, its
// recovery ends it with the result (or says it did not recover).
func (m *Model) trackRecovery(r actions.Result) {
	e := r.Entry
	switch {
	case r.Timed:
		m.recovering = append(m.recovering, e)
	case e.Action == "recovery":
		for i, k := range m.recovering {
			if slices.Equal(k.Targets, e.Targets) {
				m.recovering = slices.Delete(m.recovering, i, i+1)
				break
			}
		}
		m.recovered, m.recoveredAt = "recovered in "+e.Recovery, time.Now()
		if r.Err != "" {
			m.recovered = "NOT recovered: " + firstLine(r.Err)
		}
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

// ---- keys ----

func (m *Model) onKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.ctx.Keys
	if msg.String() == "ctrl+c" {
		return m.quit()
	}
	// HALT comes before every overlay, prompt and pane: nothing that is open may swallow it.
	if m.isHalt(msg) {
		return m.halt()
	}
	if m.dialog != nil {
		if msg.String() == "esc" {
			m.dialog = nil
			m.setStatus("cancelled", false)
			return nil
		}
		return m.updateDialog(msg)
	}
	if m.cmdOn {
		return m.cmdKey(msg)
	}
	if m.sheet != nil && key.Matches(msg, k.Back, k.Quit, k.Help) {
		m.sheet = nil
		return nil
	}
	if m.showHelp {
		switch {
		case key.Matches(msg, k.Help, k.Back, k.Quit):
			m.showHelp, m.helpOffset = false, 0
		case key.Matches(msg, k.Down, k.PageDown):
			m.helpOffset = min(m.helpOffset+max(1, m.ctx.Height/3), m.helpMax)
		case key.Matches(msg, k.Up, k.PageUp):
			m.helpOffset = max(m.helpOffset-max(1, m.ctx.Height/3), 0)
		}
		return nil
	}
	if m.panes[m.focus].Capturing() {
		return m.panes[m.focus].Update(msg)
	}
	if m.replayKey(msg) {
		return nil
	}
	if m.forbidden(msg) {
		return nil
	}
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Help):
		m.showHelp = true
	case key.Matches(msg, k.Command):
		m.cmdOn = true
		m.cmdline.SetValue("")
		return m.cmdline.Focus()
	case key.Matches(msg, k.NextPane):
		m.setFocus((m.focus + 1) % core.NumPanes)
	case key.Matches(msg, k.PrevPane):
		m.setFocus((m.focus + core.NumPanes - 1) % core.NumPanes)
	case key.Matches(msg, k.Zoom):
		m.zoom = !m.zoom
		m.resize()
	case m.deps.Runbook != nil && key.Matches(msg, k.Runbook):
		m.showRunbook = !m.showRunbook
		m.resize() // docked, it takes a column from the panes
		m.refreshRunbook()
	case m.deps.Runbook != nil && key.Matches(msg, k.NextStep):
		m.nextStep()
	default:
		for _, a := range m.actionKeys {
			if key.Matches(msg, a.binding) {
				return m.startKey(a.spec)
			}
		}
		return m.panes[m.focus].Update(msg)
	}
	return nil
}

// typing reports whether a text input has the keys (the command line, a prompt, a pane's filter):
// there a printable key is a letter, and only a HALT chord such as ctrl+x halts.
func (m *Model) typing() bool {
	return m.cmdOn || (m.dialog != nil && m.dialog.text) || m.panes[m.focus].Capturing()
}

// isHalt reports whether msg is a HALT key where it was pressed.
func (m *Model) isHalt(msg tea.KeyPressMsg) bool {
	if !key.Matches(msg, m.ctx.Keys.Halt) {
		return false
	}
	return !m.typing() || !keys.Printable(msg.String())
}

// halt closes whatever is open (a pending confirmation must not be confirmed after HALT) and runs HALT.
func (m *Model) halt() tea.Cmd {
	m.dialog = nil
	if m.cmdOn {
		m.cmdOn = false
		m.cmdline.Blur()
	}
	m.showHelp, m.helpOffset = false, 0
	m.sheet = nil
	if m.deps.Stop != nil {
		m.deps.Stop() // the scenario's method stops too: HALT means stop everything
	}
	var cmds []tea.Cmd
	if m.panes[m.focus].Capturing() {
		cmds = append(cmds, m.panes[m.focus].Update(keyEsc))
	}
	sess := m.sess
	return tea.Batch(append(cmds, m.act(func(ctx context.Context) (actions.Result, error) { return sess.Halt(ctx) }))...)
}

// act is the one adapter from an action to a command: the action runs off the UI goroutine through
// the session, which journals it and publishes the result; the result reaches the cockpit from the
// bus like every other event, so an action started elsewhere (a scenario, a monkey) shows the same.
func (m *Model) act(f func(ctx context.Context) (actions.Result, error)) tea.Cmd {
	m.inflight.Add(1)
	return safe(func() tea.Msg {
		defer m.inflight.Done()
		r, err := f(context.Background())
		if err != nil && r.Entry.Action == "" {
			// Refused before anything was journaled (a replay, a closing session): no result comes
			// on the bus, so the answer is said here.
			return core.StatusMsg{Text: err.Error(), Err: true}
		}
		return nil
	})
}

// whereMsg is what is wrong with where the cockpit points ("" for nothing).
type whereMsg string

func (m *Model) checkWhere() tea.Cmd {
	sess := m.sess
	return safe(func() tea.Msg { return whereMsg(sess.CheckWhere(context.Background())) })
}

// WaitActions waits until every action command handed out so far has run (tests: the action's result
// is then on the bus).
func (m *Model) WaitActions() { m.inflight.Wait() }

// do runs a prepared step through the session.
func (m *Model) do(st actions.Step) tea.Cmd {
	sess := m.sess
	return m.act(func(ctx context.Context) (actions.Result, error) { return sess.Do(ctx, st) })
}

// keyEsc is what closes a pane's text input.
var keyEsc = tea.KeyPressMsg{Code: tea.KeyEscape}

func (m *Model) quit() tea.Cmd {
	m.quitting = true
	return tea.Quit
}

func (m *Model) dialogWidth() int { return min(max(m.ctx.Width*2/3, 60), 90) }

// startKey starts an action from its key: it asks first when the action asks (K, D, B).
func (m *Model) startKey(spec actions.Spec) tea.Cmd {
	if spec.Halts {
		return m.halt()
	}
	if m.sess.Replay != nil { // before any question: nothing would come of the answer
		m.setStatus(m.sess.ReplayRefusal().Error(), true)
		return nil
	}
	if spec.Selected {
		pod := ""
		if w, ok := m.panes[core.PaneWorkload].(interface{ SelectedPod() string }); ok && m.focus == core.PaneWorkload {
			pod = w.SelectedPod()
		}
		if pod == "" {
			m.setStatus(fmt.Sprintf("%s %s the selected pod: focus the Workload pane (tab) and move onto a pod (j/k); %s kills random pods",
				keyName(m.ctx.Keys.Action(spec.Key)), spec.Name+"s", keyName(m.ctx.Keys.Action("killMany"))), true)
			return nil
		}
		return m.plan(spec, "pod/"+pod, "")
	}
	if spec.Ask == nil {
		return m.plan(spec, spec.Args, "")
	}
	return m.ask(spec)
}

// keyName is a binding's first key, as help shows it.
func keyName(b key.Binding) string {
	if ks := b.Keys(); len(ks) > 0 {
		return ks[0]
	}
	return "?"
}

// ask puts an action's question: a picker when it has options, a text prompt otherwise.
func (m *Model) ask(spec actions.Spec) tea.Cmd {
	q := spec.Ask
	var title, help, def string
	var opts []string
	var none error
	m.sess.View(func(w actions.World) {
		if q.None != nil {
			if none = q.None(w); none != nil {
				return
			}
		}
		title, help = q.Title(w), q.Help(w)
		if q.Default != nil {
			def = q.Default(w)
		}
		if q.Options != nil {
			opts = q.Options(w)
		}
	})
	if none != nil {
		m.setStatus(none.Error(), true)
		return nil
	}
	answered := func(m *Model, s string) tea.Cmd {
		if s = strings.TrimSpace(s); s == "" {
			s = def
		}
		return m.plan(spec, q.Args(s), "")
	}
	if q.Options != nil {
		m.dialog = newSelect(m.ctx.Styles, title, help, opts, m.dialogWidth(), answered)
		return m.dialog.form.Init()
	}
	validate := func(s string) error {
		if q.Check == nil {
			return nil
		}
		var err error
		m.sess.View(func(w actions.World) { err = q.Check(w, s) })
		return err
	}
	m.dialog = newPrompt(m.ctx.Styles, title, help, def, validate, m.dialogWidth(), answered)
	return m.dialog.form.Init()
}

// plan prepares an action and asks for confirmation when it takes something away; a refused plan is
// journaled and shown, not asked. usage is the command's usage for bad arguments ("" from a key).
func (m *Model) plan(spec actions.Spec, args, usage string) tea.Cmd {
	st, err := m.sess.Prepare(spec, args)
	if err != nil {
		if usage != "" {
			m.setStatus(fmt.Sprintf(":%s %s (%s)", spec.Command, err, usage), true)
		} else {
			m.setStatus(err.Error(), true)
		}
		return nil
	}
	// A plan that creates its object needs more than the action's own permission: said before the
	// confirm, not as the apiserver's 403 after it.
	if st.Fault != nil && st.Fault.Create && spec.Perm != "" {
		if ok, why := m.ctx.Allowed(actions.CreatePerm(spec.Perm)); !ok {
			m.setStatus(fmt.Sprintf("%s: %s (no VirtualService claims %s: %s would be created)", spec.Name, why, st.Fault.Host, st.Fault.VS), true)
			return nil
		}
	}
	if spec.Destructive && st.Confirm && !m.steadyHolds() { // scale up needs no confirm: it is not gated
		why := "steady state does not hold (" + m.runbook.SteadyWhy + "): the system is already unwell"
		if m.deps.SteadyGate == "refuse" {
			m.setStatus("refused: "+why+" (ui.steadyGate: refuse)", true)
			return nil
		}
		st.Detail = "⚠ " + why + "\n" + st.Detail
		st.Confirm = true
	}
	if st.Confirm {
		m.dialog = newConfirm(m.ctx.Styles, st, m.dialogWidth())
		return m.dialog.form.Init()
	}
	return m.do(st)
}

func (m *Model) updateDialog(msg tea.Msg) tea.Cmd {
	d := m.dialog
	f, cmd := d.form.Update(msg)
	if ff, ok := f.(*huh.Form); ok {
		d.form = ff
	}
	switch d.form.State {
	case huh.StateCompleted:
		m.dialog = nil
		if d.step != nil {
			if !d.yes {
				m.setStatus("cancelled: "+d.step.Summary, false)
				return nil
			}
			return m.do(*d.step)
		}
		if d.onYes != nil {
			if !d.yes {
				m.setStatus("left as they are: "+d.title, false)
				return nil
			}
			return d.onYes(m)
		}
		if d.onInput != nil {
			return d.onInput(m, d.input)
		}
		return nil
	case huh.StateAborted:
		m.dialog = nil
		m.setStatus("cancelled", false)
		return nil
	}
	return cmd
}

// ---- command line ----

func (m *Model) cmdKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "esc":
		m.cmdOn = false
		m.cmdline.Blur()
		return nil
	case "enter":
		m.cmdOn = false
		m.cmdline.Blur()
		return m.runCommand(m.cmdline.Value())
	}
	var cmd tea.Cmd
	m.cmdline, cmd = m.cmdline.Update(msg)
	return cmd
}

// runCommand runs one `:` command.
func (m *Model) runCommand(line string) tea.Cmd {
	f := strings.Fields(strings.TrimSpace(line))
	if len(f) == 0 {
		return nil
	}
	arg := ""
	if len(f) > 1 {
		arg = f[1]
	}
	switch f[0] {
	case "q", "quit", "q!":
		return m.quit()
	case "help", "h":
		m.showHelp = true
	case "backend", "backends":
		m.openSheet("Backends", m.backendsText)
	case "faults", "fault-list":
		m.openSheet("Faults", m.faultsText)
	case "signals":
		m.openSheet("Signals", m.signalsText)
	case "ns", "namespace":
		if arg == "" {
			m.setStatus("usage: :ns NAME", true)
			return nil
		}
		m.ctx.Namespace = arg
		m.ctx.Perms = nil
		m.sess.SetNamespace(arg)
		m.setStatus("namespace "+arg, false)
		return tea.Batch(m.broadcast(core.TargetChangedMsg{}), m.checkPermissions())
	case "target":
		if arg == "" {
			return m.pickTarget()
		}
		name := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(arg, "deploy/"), "deployment/"), "deployments/")
		if strings.Contains(name, "/") {
			m.setStatus("usage: :target deploy/NAME (or :target - for none)", true)
			return nil
		}
		if name == "-" {
			name = ""
		} else if m.ctx.Cluster.Deployment(m.ctx.Namespace, name) == nil {
			m.setStatus(fmt.Sprintf("deploy/%s not found in namespace %q", name, m.ctx.Namespace), true)
			return nil
		}
		return m.setTarget(name)
	case "theme":
		st, err := themes.Resolve(arg, m.ctx.NoColor)
		if err != nil {
			m.setStatus(err.Error(), true)
			return nil
		}
		if pr := m.ctx.Styles.Profile; pr != 0 {
			st.Convert(pr)
		}
		*m.ctx.Styles = *st
		m.frames = [core.NumPanes]framed{}
		m.dots.valid = false
		if m.ctx.NoColor {
			m.setStatus("theme "+arg+" (drawn mono: NO_COLOR is set)", false)
		} else {
			m.setStatus("theme "+arg, false)
		}
		return m.broadcast(core.ThemeChangedMsg{})
	default:
		if spec, ok := actions.ByCommand(f[0]); ok {
			return m.actionCommand(spec, strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), f[0])))
		}
		m.setStatus(fmt.Sprintf("unknown command %q: try %s", f[0], m.commandList()), true)
	}
	return nil
}

// actionCommand runs an action's `:` command: `:kill 2`, `:kill 50%!`, `:scale +1`, `:scale 5`,
// `:load ramp:0-400`, `:rate -50`, `:drain zone a`, `:halt`. It plans, confirms and refuses exactly as
// the action's key.
func (m *Model) actionCommand(spec actions.Spec, args string) tea.Cmd {
	if spec.Perm != "" {
		if ok, why := m.ctx.Allowed(spec.Perm); !ok {
			m.setStatus(spec.Command+": "+why, true)
			return nil
		}
	}
	if spec.Halts {
		return m.halt()
	}
	return m.plan(spec, args, strings.TrimSpace(fmt.Sprintf("usage: :%s %s", spec.Command, spec.Usage)))
}

// commandList names every `:` command, for the unknown-command message.
func (m *Model) commandList() string {
	var out []string
	for _, e := range m.commandEntries() {
		out = append(out, strings.Fields(e.key)[0])
	}
	return strings.Join(out, " ")
}

// ---- view ----

const (
	headerHeight = 2
	footerHeight = 1
)

// View implements tea.Model.
func (m *Model) View() tea.View {
	content := m.Render()
	if m.deps.Screen != nil {
		m.deps.Screen.Set(content, m.ctx.Width, m.ctx.Height)
	}
	v := tea.NewView(content)
	v.AltScreen = true
	v.WindowTitle = "gameday"
	return v
}

// Render is the whole screen as a string (goldens use it).
func (m *Model) Render() string {
	if m.quitting {
		return ""
	}
	w, h := m.ctx.Width, m.ctx.Height
	if w == 0 || h == 0 {
		return "starting…"
	}
	if m.tooSmall() {
		msg := fmt.Sprintf("gameday needs a terminal of at least %dx%d (this one is %dx%d).\nMake the window larger; the cockpit comes back by itself.\nq quits.", MinWidth, MinHeight, w, h)
		return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, m.ctx.Styles.Warn.Render(msg))
	}
	bw, bh := m.bodySize()
	var body string
	switch {
	case m.showHelp:
		body = m.helpView(bw, bh)
	case m.sheet != nil:
		body = core.Frame(m.ctx.Styles, m.sheet.title+" (esc: close)", m.sheet.text, bw, bh, true)
	case m.showRunbook && m.runbookDocked():
		gw, _ := m.gridSize()
		var left string
		if m.zoom {
			p := m.panes[m.focus]
			left = core.Frame(m.ctx.Styles, p.Title()+" (z: unzoom)", p.View(), gw, bh, true)
		} else {
			left = m.grid(gw, bh)
		}
		body = lipgloss.JoinHorizontal(lipgloss.Top, left, m.runbookFrame(bw-gw, bh))
	case m.showRunbook:
		body = m.runbookFrame(bw, bh)
	case m.zoom:
		p := m.panes[m.focus]
		body = core.Frame(m.ctx.Styles, p.Title()+" (z: unzoom)", p.View(), bw, bh, true)
	default:
		body = m.grid(bw, bh)
	}
	screen := m.header() + "\n" + body + "\n" + m.footer()
	if m.dialog != nil {
		screen = overlay(screen, m.dialog.view(m.ctx.Styles), w, h)
	}
	if m.deps.Trace != nil {
		m.deps.Trace.noteFrame(m.ctx.Cluster.Synced)
	}
	return screen
}

// framed is a pane's last frame, reused while its title, content, size and focus are the same (a
// cached pane returns the same string, so the comparison is a pointer check).
type framed struct {
	title, content string
	w, h           int
	focused        bool
	theme          *themes.Styles
	lines          []string
}

func (m *Model) frame(id core.PaneID, r Rect) []string {
	p := m.panes[id]
	f := &m.frames[id]
	title, content, focused := p.Title(), p.View(), id == m.focus
	if f.lines != nil && f.title == title && f.content == content && f.w == r.W && f.h == r.H && f.focused == focused && f.theme == m.ctx.Styles {
		return f.lines
	}
	*f = framed{title: title, content: content, w: r.W, h: r.H, focused: focused, theme: m.ctx.Styles,
		lines: strings.Split(core.Frame(m.ctx.Styles, title, content, r.W, r.H, focused), "\n")}
	return f.lines
}

// grid places the framed panes; rows are assembled line by line so no lipgloss measuring is needed.
func (m *Model) grid(w, h int) string {
	rects := Layout(w, h)
	lines := make([][]byte, h)
	for id := range m.panes {
		r := rects[id]
		for i, l := range m.frame(core.PaneID(id), r) {
			if y := r.Y + i; y < h && i < r.H {
				lines[y] = append(lines[y], l...)
			}
		}
	}
	var sb strings.Builder
	for i, l := range lines {
		if i > 0 {
			sb.WriteByte('\n')
		}
		sb.Write(l)
	}
	return sb.String()
}

func overlay(base, top string, w, h int) string {
	tw, th := lipgloss.Width(top), lipgloss.Height(top)
	x, y := max((w-tw)/2, 0), max((h-th)/2, 0)
	return lipgloss.NewCompositor(lipgloss.NewLayer(base), lipgloss.NewLayer(top).X(x).Y(y).Z(1)).Render()
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func (m *Model) setTarget(name string) tea.Cmd {
	m.ctx.Target = name
	m.sess.SetTarget(name)
	m.setStatus("target deploy/"+name, false)
	return m.broadcast(core.TargetChangedMsg{})
}

// pickTarget lists the namespace's Deployments to choose the target from.
func (m *Model) pickTarget() tea.Cmd {
	var names []string
	for _, d := range m.ctx.Cluster.Deployments {
		if m.ctx.Namespace == "" || d.Namespace == m.ctx.Namespace {
			names = append(names, d.Name)
		}
	}
	if len(names) == 0 {
		m.setStatus(fmt.Sprintf("no Deployments in namespace %q", m.ctx.Namespace), true)
		return nil
	}
	sort.Strings(names)
	m.dialog = newSelect(m.ctx.Styles, "Target which Deployment?", "Actions (kill, scale, restart) hit the target.", names, m.dialogWidth(),
		func(m *Model, s string) tea.Cmd { return m.setTarget(s) })
	return m.dialog.form.Init()
}
