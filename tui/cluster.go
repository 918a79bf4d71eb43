package tui

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/model"
)

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

// permissionsMsg is what the identity may do in a namespace (SelfSubjectAccessReview).
type permissionsMsg struct {
	Namespace string
	Perms     actions.Permissions
	Err       error
}

func (m *Model) onPermissions(p permissionsMsg) {
	if p.Err != nil {
		m.setStatus(p.Err.Error(), true)
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
		perms, err := sess.CheckPermissions(context.Background(), ns)
		return permissionsMsg{Namespace: ns, Perms: perms, Err: err}
	})
}

// ---- rollout restart, cordon, drain ----

func (m *Model) planRestart() tea.Cmd {
	if !m.needTarget() {
		return nil
	}
	d := m.ctx.Cluster.Deployment(m.ctx.Namespace, m.ctx.Target)
	return m.confirm(m.sess.Env.PlanRestart(m.ctx.Namespace, *d))
}

// nodesIn resolves "zone NAME" or a node name.
func (m *Model) nodesIn(scope string) (string, []model.Node) {
	c := m.ctx.Cluster
	var out []model.Node
	if z, ok := strings.CutPrefix(scope, "zone "); ok {
		z = strings.TrimSpace(z)
		for _, n := range c.Nodes {
			if n.Zone == z {
				out = append(out, *n)
			}
		}
		return "zone " + z, out
	}
	if n, ok := c.Nodes[scope]; ok {
		out = append(out, *n)
	}
	return "node " + scope, out
}

func (m *Model) planNodes(action, scope string, force bool) tea.Cmd {
	label, nodes := m.nodesIn(scope)
	c := m.ctx.Cluster
	var pods []model.Pod
	for _, p := range c.Pods {
		pods = append(pods, *p)
	}
	var pdbs []model.PDB
	for _, b := range c.PDBs {
		pdbs = append(pdbs, *b)
	}
	sort.Slice(pdbs, func(i, j int) bool { return pdbs[i].Key() < pdbs[j].Key() })
	np := m.sess.Env.PlanNodes(action, label, nodes, pods, c.Deployment(m.ctx.Namespace, m.ctx.Target), pdbs, force)
	if np.Refusal != nil || action == "uncordon" {
		return m.runNodes(np)
	}
	m.dialog = newNodeConfirm(m.ctx.Styles, np, m.ctx.Guard, m.dialogWidth())
	return m.dialog.form.Init()
}

func (m *Model) zones() []string {
	seen := map[string]bool{}
	for _, n := range m.ctx.Cluster.Nodes {
		if n.Zone != "" {
			seen[n.Zone] = true
		}
	}
	out := make([]string, 0, len(seen))
	for z := range seen {
		out = append(out, z)
	}
	sort.Strings(out)
	return out
}

func (m *Model) promptDrain() tea.Cmd {
	zs := m.zones()
	if len(zs) == 0 {
		m.setStatus("no zones: nodes carry no topology.kubernetes.io/zone label", true)
		return nil
	}
	validate := func(s string) error {
		z := strings.TrimSuffix(strings.TrimSpace(s), "!")
		for _, x := range zs {
			if x == z {
				return nil
			}
		}
		return fmt.Errorf("%q is not a zone (have: %s)", z, strings.Join(zs, ", "))
	}
	m.dialog = newPrompt(m.ctx.Styles, "Drain which zone?", "Cordons its nodes and evicts their pods (PodDisruptionBudgets are respected). Zones: "+
		strings.Join(zs, ", ")+". Add ! to go below the minimum of ready replicas.", zs[0], validate, m.dialogWidth(),
		func(m *Model, s string) tea.Cmd {
			s = strings.TrimSpace(s)
			if s == "" {
				s = zs[0]
			}
			force := strings.HasSuffix(s, "!")
			return m.planNodes("drain", "zone "+strings.TrimSuffix(s, "!"), force)
		})
	return m.dialog.form.Init()
}

// onDrain shows progress and schedules the next eviction round until the drain is done.
func (m *Model) onDrain(p actions.DrainProgress) tea.Cmd {
	if p.Done {
		txt := fmt.Sprintf("drain %s done: %s %d/%d", p.Plan.Scope, p.Plan.EvictVerb(), len(p.Evicted), len(p.Plan.Evict))
		if p.Err != "" {
			txt = fmt.Sprintf("drain %s: %s", p.Plan.Scope, p.Err)
		}
		m.setStatus(txt, p.Err != "") // the marker comes with the drain-done result
		return nil
	}
	m.setStatus(fmt.Sprintf("drain %s: %s %d/%d, %d waiting on disruption budgets", p.Plan.Scope, p.Plan.EvictVerb(), len(p.Evicted), len(p.Plan.Evict), len(p.Blocked)), false)
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return drainNext{p} })
}

type drainNext struct{ p actions.DrainProgress }
