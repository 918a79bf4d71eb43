package tui

import (
	"context"
	"fmt"
	"sort"

	tea "charm.land/bubbletea/v2"

	"github.com/gamedaylab/gameday/tui/core"
)

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
	m.open(newSelect(m.ctx.Styles, "Target which Deployment?", "Actions (kill, scale, restart) hit the target.", names, m.dialogWidth(),
		func(m *Model, s string) tea.Cmd { return m.setTarget(s) }))
	return m.dialog.form.Init()
}

// whereMsg is what is wrong with where the cockpit points ("" for nothing).
type whereMsg string

func (m *Model) checkWhere() tea.Cmd {
	sess := m.sess
	return safe(func() tea.Msg { return whereMsg(sess.CheckWhere(context.Background())) })
}
