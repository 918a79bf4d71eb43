package panes

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/tui/core"
)

// Events merges Kubernetes events with the cockpit's own journal, newest first, in a stable order.
type Events struct {
	ctx     *core.Context
	w, h    int
	focus   bool
	journal []journalRow
	rows    []eventRow
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
	t       time.Time
	seq     int
	journal bool
	typ     string
	reason  string
	object  string
	note    string
	count   int32
}

// NewEvents makes the pane.
func NewEvents(ctx *core.Context) *Events { return &Events{ctx: ctx} }

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
		if msg.Delta == nil || msg.Delta.Reset || len(msg.Delta.Events) > 0 {
			e.rebuild()
		}
	case actions.Result:
		e.seq++
		e.journal = append(e.journal, journalRow{Entry: msg.Entry, seq: e.seq})
		e.rebuild()
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

// rebuild merges and sorts: events by first-seen time, journal entries by their time; ties keep
// arrival order, so rows never swap places between frames.
func (e *Events) rebuild() {
	evs := e.ctx.Cluster.SortedEvents()
	rows := make([]eventRow, 0, len(evs)+len(e.journal))
	for _, ev := range evs {
		if e.ctx.Namespace != "" && ev.Namespace != e.ctx.Namespace {
			continue
		}
		rows = append(rows, eventRow{t: ev.First, seq: ev.Seq, typ: ev.Type, reason: ev.Reason, object: ev.Object, note: ev.Note, count: ev.Count})
	}
	for _, j := range e.journal {
		note := j.Detail
		if j.Error != "" {
			note += ": " + j.Error
		}
		if j.Recovery != "" {
			note += " · recovered in " + j.Recovery
		}
		rows = append(rows, eventRow{t: j.Time, seq: j.seq, journal: true, typ: j.Result, reason: j.Action,
			object: strings.Join(j.Targets, ","), note: note})
	}
	sort.SliceStable(rows, func(a, b int) bool {
		if !rows[a].t.Equal(rows[b].t) {
			return rows[a].t.After(rows[b].t)
		}
		if rows[a].journal != rows[b].journal {
			return rows[a].journal
		}
		return rows[a].seq > rows[b].seq
	})
	e.rows = rows
	e.scroll.SetN(len(rows))
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
