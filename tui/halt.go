package tui

import (
	"context"

	tea "charm.land/bubbletea/v2"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/tui/keys"
)

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

// keyEsc is what closes a pane's text input.
var keyEsc = tea.KeyPressMsg{Code: tea.KeyEscape}

// haltKey is the HALT key that works where the keys go now: the chord while a text input has them.
func (m *Model) haltKey() string {
	ks := m.ctx.Keys.Halt.Keys()
	if m.typing() {
		for _, k := range ks {
			if !keys.Printable(k) {
				return k
			}
		}
	}
	if len(ks) == 0 {
		return "?"
	}
	return ks[0]
}
