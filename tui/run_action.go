package tui

import (
	"context"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/tui/core"
)

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
		m.open(newSelect(m.ctx.Styles, title, help, opts, m.dialogWidth(), answered))
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
	m.open(newPrompt(m.ctx.Styles, title, help, def, validate, m.dialogWidth(), answered))
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
		m.open(newConfirm(m.ctx.Styles, st, m.dialogWidth()))
		return m.dialog.form.Init()
	}
	return m.do(st)
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

// do runs a prepared step through the session.
func (m *Model) do(st actions.Step) tea.Cmd {
	sess := m.sess
	return m.act(func(ctx context.Context) (actions.Result, error) { return sess.Do(ctx, st) })
}

// WaitActions waits until every action command handed out so far has run (tests: the action's result
// is then on the bus).
func (m *Model) WaitActions() { m.inflight.Wait() }
