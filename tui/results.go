package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/tui/core"
)

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
