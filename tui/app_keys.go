package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/gamedaylab/gameday/tui/core"
	"github.com/gamedaylab/gameday/tui/keys"
)

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
		if m.early() {
			m.setStatus("a key typed as the dialog opened was ignored: answer it now", false)
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

// keyName is a binding's first key, as help shows it.
func keyName(b key.Binding) string {
	if ks := b.Keys(); len(ks) > 0 {
		return ks[0]
	}
	return "?"
}
