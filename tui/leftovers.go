package tui

import (
	"context"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/sources"
)

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
	m.open(newConfirm(m.ctx.Styles, step, m.dialogWidth()))
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
