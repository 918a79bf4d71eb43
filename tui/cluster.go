package tui

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/gamedaylab/gameday/actions"
)

// actionKey is an action's key binding.
type actionKey struct {
	binding key.Binding
	spec    actions.Spec
}

// gatedKey is an action key and the permission it needs.
type gatedKey struct {
	binding key.Binding
	keys    string
	perm    string
}

// actionOfKey is the permission an action key needs ("" for the others).
func (m *Model) actionOfKey(msg tea.KeyPressMsg) string {
	for _, g := range m.gated {
		if key.Matches(msg, g.binding) {
			return g.perm
		}
	}
	return ""
}

// forbidden refuses a key whose action RBAC does not allow, saying why.
func (m *Model) forbidden(msg tea.KeyPressMsg) bool {
	a := m.actionOfKey(msg)
	if a == "" {
		return false
	}
	if ok, why := m.ctx.Allowed(a); !ok {
		m.setStatus(fmt.Sprintf("%s is disabled: %s", msg.String(), why), true)
		return true
	}
	return false
}

// onPermissions takes what the identity may do in a namespace (SelfSubjectAccessReview), from the bus.
func (m *Model) onPermissions(p actions.PermissionsAnswer) {
	if p.Err != "" {
		m.setStatus(p.Err, true)
		return
	}
	if p.Namespace != m.ctx.Namespace {
		return // an answer for a namespace we left
	}
	m.ctx.Perms = p.Perms
	var denied []string
	for a, perm := range p.Perms {
		if !perm.Allowed {
			denied = append(denied, a)
		}
	}
	sort.Strings(denied)
	if len(denied) > 0 {
		m.setStatus("not allowed here: "+strings.Join(denied, ", ")+" (? shows why)", true)
	}
}

func (m *Model) checkPermissions() tea.Cmd {
	if m.sess.Env.Client == nil {
		return nil
	}
	sess, ns := m.sess, m.ctx.Namespace
	return safe(func() tea.Msg {
		_, _ = sess.CheckPermissions(context.Background(), ns) // the answer comes on the bus
		return nil
	})
}

// onDrain shows a drain's progress; the session continues it.
func (m *Model) onDrain(p actions.DrainProgress) {
	if p.Done {
		txt := fmt.Sprintf("drain %s done: %s %d/%d", p.Plan.Scope, p.Plan.EvictVerb(), len(p.Evicted), len(p.Plan.Evict))
		if p.Err != "" {
			txt = fmt.Sprintf("drain %s: %s", p.Plan.Scope, p.Err)
		}
		m.setStatus(txt, p.Err != "") // the marker comes with the drain-done result
		return
	}
	m.setStatus(fmt.Sprintf("drain %s: %s %d/%d, %d waiting on disruption budgets", p.Plan.Scope, p.Plan.EvictVerb(), len(p.Evicted), len(p.Plan.Evict), len(p.Blocked)), false)
}
