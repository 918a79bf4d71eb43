package panes

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/tui/core"
)

// Events merges Kubernetes events with the cockpit's own journal, newest first, in a stable order.
// New rows are inserted where they belong and updated events change in place: under churn, events
// arrive every batch and re-sorting them all each time was the pane's main cost.
type Events struct {
	ctx     *core.Context
	w, h    int
	focus   bool
	journal []journalRow
	rows    []*eventRow
	byKey   map[string]*eventRow
	scroll  core.Scroller
	cache   string
	valid   bool
	seq     int
}

type journalRow struct {
	actions.Entry
	seq int
}

type eventRow struct {
	key     string
	t       time.Time
	seq     int
	journal bool
	typ     string
	reason  string
	object  string
	note    string
	count   int32
}

// maxRows bounds the pane like the store bounds events.
const maxRows = 1200

// NewEvents makes the pane.
func NewEvents(ctx *core.Context) *Events { return &Events{ctx: ctx, byKey: map[string]*eventRow{}} }

// ID implements core.Pane.
func (e *Events) ID() core.PaneID { return core.PaneEvents }

// Title implements core.Pane.
func (e *Events) Title() string {
	return fmt.Sprintf("Events + journal · [%d]", len(e.rows))
}

// Capturing implements core.Pane.
func (e *Events) Capturing() bool { return false }

// ShortHelp implements help.KeyMap.
func (e *Events) ShortHelp() []key.Binding {
	k := e.ctx.Keys
	return []key.Binding{k.Up, k.Down, k.Top}
}

// FullHelp implements help.KeyMap.
func (e *Events) FullHelp() [][]key.Binding {
	k := e.ctx.Keys
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}}
}

// SetSize implements core.Pane.
func (e *Events) SetSize(w, h int) { e.w, e.h, e.valid = w, h, false }

// Update implements core.Pane.
func (e *Events) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case core.ClusterChangedMsg:
		switch {
		case msg.Delta == nil || msg.Delta.Reset:
			e.rebuild()
		case len(msg.Delta.Events) > 0:
			e.applyEvents(msg.Delta.Events)
		}
	case core.TargetChangedMsg:
		e.rebuild()
	case core.ReplaySeekMsg:
		e.journal = nil
		e.rebuild()
	case actions.Result:
		e.seq++
		j := journalRow{Entry: msg.Entry, seq: e.seq}
		e.journal = append(e.journal, j)
		e.insert(journalToRow(j))
		e.scroll.SetN(len(e.rows))
		e.valid = false
	case core.TickMsg, core.ThemeChangedMsg:
		e.valid = false
	case core.FocusMsg:
		e.focus, e.valid = true, false
	case core.BlurMsg:
		e.focus, e.valid = false, false
	case tea.KeyPressMsg:
		if e.scroll.HandleKey(e.ctx.Keys, msg) {
			e.valid = false
		}
	}
	return nil
}

func eventToRow(ev *model.EventEntry) *eventRow {
	return &eventRow{key: "e/" + ev.Key(), t: ev.First, seq: ev.Seq, typ: ev.Type, reason: ev.Reason, object: ev.Object, note: ev.Note, count: ev.Count}
}

func journalToRow(j journalRow) *eventRow {
	note := j.Detail
	if j.Error != "" {
		note += ": " + j.Error
	}
	return &eventRow{key: fmt.Sprintf("j/%d", j.seq), t: j.Time, seq: j.seq, journal: true, typ: j.Result, reason: string(j.Action),
		object: strings.Join(j.Targets, ","), note: note}
}

// before orders rows: newest first; at the same time journal entries first, then later arrivals first.
func before(a, b *eventRow) bool {
	if !a.t.Equal(b.t) {
		return a.t.After(b.t)
	}
	if a.journal != b.journal {
		return a.journal
	}
	return a.seq > b.seq
}

func (e *Events) insert(r *eventRow) {
	i := sort.Search(len(e.rows), func(i int) bool { return before(r, e.rows[i]) })
	e.rows = append(e.rows, nil)
	copy(e.rows[i+1:], e.rows[i:])
	e.rows[i] = r
	e.byKey[r.key] = r
}

// shows reports whether an event belongs in the pane: the session's namespace, and the
// cluster-autoscaler's from wherever it reports (its ConfigMap's namespace, nodes' default).
func (e *Events) shows(ev model.Event) bool {
	return e.ctx.Namespace == "" || ev.Namespace == e.ctx.Namespace || ev.Controller == model.AutoscalerController
}

func (e *Events) applyEvents(evs []model.Event) {
	c := e.ctx.Cluster
	for _, ev := range evs {
		if !e.shows(ev) {
			continue
		}
		entry, ok := c.Events[ev.Key()]
		if !ok {
			continue // already trimmed
		}
		if r, ok := e.byKey["e/"+ev.Key()]; ok {
			r.typ, r.reason, r.note, r.count = ev.Type, ev.Reason, ev.Note, ev.Count
			continue
		}
		e.insert(eventToRow(entry))
	}
	// Drop the oldest Kubernetes events beyond the bound (journal rows stay).
	for len(e.rows) > maxRows {
		i := len(e.rows) - 1
		for i >= 0 && e.rows[i].journal {
			i--
		}
		if i < 0 {
			break
		}
		delete(e.byKey, e.rows[i].key)
		e.rows = append(e.rows[:i], e.rows[i+1:]...)
	}
	e.scroll.SetN(len(e.rows))
	e.valid = false
}

// rebuild derives every row: on a reset or a namespace change.
func (e *Events) rebuild() {
	evs := e.ctx.Cluster.SortedEvents()
	e.rows = make([]*eventRow, 0, len(evs)+len(e.journal))
	e.byKey = map[string]*eventRow{}
	for _, ev := range evs {
		if !e.shows(ev.Event) {
			continue
		}
		r := eventToRow(ev)
		e.rows = append(e.rows, r)
		e.byKey[r.key] = r
	}
	for _, j := range e.journal {
		r := journalToRow(j)
		e.rows = append(e.rows, r)
		e.byKey[r.key] = r
	}
	sort.Slice(e.rows, func(a, b int) bool { return before(e.rows[a], e.rows[b]) })
	e.scroll.SetN(len(e.rows))
	e.valid = false
}

// View implements core.Pane.
func (e *Events) View() string {
	if !e.valid {
		e.cache = e.render()
		e.valid = true
	}
	return e.cache
}

func (e *Events) render() string {
	st := e.ctx.Styles
	if e.w <= 0 || e.h <= 0 {
		return ""
	}
	e.scroll.SetHeight(e.h)
	if len(e.rows) == 0 {
		return st.Muted.Render("no events yet")
	}
	var sb strings.Builder
	from, to := e.scroll.Visible()
	objW := 25
	if e.w < 60 {
		objW = 14 // narrow: the tail of the name (the unique part) is enough
	}
	cols := core.FitColumns(e.w, 8,
		core.Col{Title: "", W: 11},
		core.Col{Title: "", W: objW, Prio: 1},
		core.Col{Title: "", W: 18, Prio: 2},
		core.Col{Title: "", Flex: true})
	for i := from; i < to; i++ {
		r := e.rows[i]
		mark, ts := "  ", st.Text
		switch {
		case r.journal && (r.typ == actions.ResultError || r.typ == actions.ResultRefused):
			mark, ts = "★ ", st.Err
		case r.journal:
			mark, ts = "★ ", st.Accent
		case r.typ == "Warning":
			ts = st.Warn
		}
		note := r.note
		if r.count > 1 {
			note += fmt.Sprintf(" (x%d)", r.count)
		}
		reason := r.reason
		if r.journal {
			reason = r.reason + " " + r.typ
		}
		if !cols.Shown(2) {
			note = reason + ": " + note
		}
		line := core.FitLine(cols.Row(mark+r.t.Format("15:04:05"), tailFit(abbrevObject(r.object), cols.Widths[1]-1), reason, note), e.w)
		if e.focus && i == e.scroll.Cursor {
			line = st.Selected.Render(line)
		} else {
			line = ts.Render(line)
		}
		if i > from {
			sb.WriteByte('\n')
		}
		sb.WriteString(line)
	}
	return sb.String()
}

var kindAbbrev = map[string]string{"Pod": "po", "Deployment": "deploy", "ReplicaSet": "rs",
	"HorizontalPodAutoscaler": "hpa", "Node": "node", "PodDisruptionBudget": "pdb", "Service": "svc"}

// abbrevObject writes Kind/name the kubectl way (po/web-1), so the name gets the room.
func abbrevObject(o string) string {
	kind, name, ok := strings.Cut(o, "/")
	if !ok {
		return o
	}
	if a, ok := kindAbbrev[kind]; ok {
		return a + "/" + name
	}
	return o
}

// tailFit shortens po/web-5d8f9c7b6-x2k9p to po/…-x2k9p: generated names differ at the end.
func tailFit(s string, w int) string {
	r := []rune(s)
	if w <= 0 || len(r) <= w {
		return s
	}
	kind, _, _ := strings.Cut(s, "/")
	head := []rune(kind + "/…")
	if len(head) >= w {
		return string(r[len(r)-w:])
	}
	return string(head) + string(r[len(r)-(w-len(head)):])
}
