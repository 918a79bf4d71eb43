package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/tui/core"
)

// TestAnAnswerGoesToTheCockpitThatAsked (issue 33): two cockpits on one session's bus (a shared game
// day) both receive every answer; a waterfall one of them opened opens there and not on the other's
// screen, whose traces pane stays on its list.
func TestAnAnswerGoesToTheCockpitThatAsked(t *testing.T) {
	m, _ := newDemoModel(t, 160, 50)
	c := *m.ctx
	other := New(&c, Deps{Session: m.sess, DialogGrace: -1})
	other.Update(tea.WindowSizeMsg{Width: 160, Height: 50})
	if m.ctx.Cockpit == "" || m.ctx.Cockpit == other.ctx.Cockpit {
		t.Fatalf("cockpits named %q and %q", m.ctx.Cockpit, other.ctx.Cockpit)
	}
	list, err := m.sess.TracesBackend.Recent(context.Background(), sources.TraceQuery{Service: "web", Limit: 1, Lookback: time.Hour, End: m.sess.Clock.Now()})
	if err != nil || len(list) == 0 {
		t.Fatalf("no trace to open: %v", err)
	}
	id := list[0].TraceID
	other.Update(core.OpenTraceMsg{TraceID: "a trace the other person opens"}) // its own open question
	var answer *sources.TraceMsg
	seen := drive(t, m, core.OpenTraceMsg{TraceID: id})
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		pump(m, 0, &seen)
		for _, e := range seen {
			// the other cockpit's own question is answered on the same bus: take the answer to ours
			if a, ok := e.(sources.TraceMsg); ok && a.Asked.By == m.ctx.Cockpit {
				answer = &a
			}
		}
		if answer != nil {
			break
		}
	}
	if answer == nil {
		t.Fatal("no answer to the question")
	}
	if title := m.panes[core.PaneTraces].Title(); !strings.HasPrefix(title, "Trace ") {
		t.Fatalf("the asking cockpit shows no waterfall: %q", title)
	}
	other.Update(*answer)
	if title := other.panes[core.PaneTraces].Title(); strings.HasPrefix(title, "Trace ") {
		t.Fatalf("the other cockpit opened a waterfall it did not ask for: %q", title)
	}
}
