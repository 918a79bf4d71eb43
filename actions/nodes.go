package actions

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"

	authv1 "k8s.io/api/authorization/v1"

	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/revert"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

func init() {
	register(
		Spec{Name: Cordon, Order: 40, Command: "cordon", Usage: "NODE|zone Z", Help: "cordon a node or a zone's nodes", Perm: "cordon",
			Access: []authv1.ResourceAttributes{{Verb: "patch", Resource: "nodes"}}, Destructive: true, Verb: "Cordon", Marker: "cordon",
			Plan: planNodesStep("cordon"), Run: runNodes},
		Spec{Name: Uncordon, Order: 41, Command: "uncordon", Usage: "NODE|zone Z", Help: "uncordon a node or a zone's nodes", Perm: "cordon",
			Marker: "uncordon", Plan: planNodesStep("uncordon"), Run: runNodes},
		Spec{Name: Cleanup, Order: 90, Help: "what dead sessions left (cordons, Istio faults) reverted after one confirmation, or by gameday revert", Marker: "cleanup", Event: true,
			Verb: "Revert"},
	)
}

// planNodesStep reads "NODE" or "zone Z", optionally followed by ! (force past the minimum), and plans
// action on those nodes. Uncordoning takes nothing away: it is not confirmed.
func planNodesStep(action Name) func(e *Env, w World, args string) (Step, error) {
	return func(e *Env, w World, args string) (Step, error) {
		force := strings.HasSuffix(args, "!")
		scope := strings.TrimSpace(strings.TrimSuffix(args, "!"))
		if scope == "" || scope == "zone" {
			return Step{}, fmt.Errorf("want a node name or zone ZONE (:%s NODE, :%s zone ZONE)", action, action)
		}
		label, nodes := nodesIn(w.Cluster, scope)
		pods := make([]model.Pod, 0, len(w.Cluster.Pods))
		for _, p := range w.Cluster.Pods {
			pods = append(pods, *p)
		}
		var pdbs []model.PDB
		for _, b := range w.Cluster.PDBs {
			pdbs = append(pdbs, *b)
		}
		sort.Slice(pdbs, func(i, j int) bool { return pdbs[i].Key() < pdbs[j].Key() })
		var target *model.Deployment
		if d := w.Cluster.Deployment(w.Namespace, w.Target); d != nil {
			c := *d
			target = &c
		}
		np := e.PlanNodes(action, label, nodes, pods, target, pdbs, force)
		return Step{Action: action, Summary: np.Summary(), Detail: nodePlanText(np, e.Guard), DryRun: np.DryRun, Refusal: np.Refusal,
			Confirm: action != Uncordon && np.Refusal == nil, Nodes: &np}, nil
	}
}

// runNodes runs a cordon, an uncordon or the first step of a drain; the drain goes on through x.Drain.
func runNodes(ctx context.Context, x Exec, st Step) (Result, error) {
	if st.Nodes == nil {
		return x.Env.record(Entry{Time: x.Env.now(), Action: st.Action}, fmt.Errorf("internal error: %s step without nodes", st.Action))
	}
	r, progress, err := x.Env.RunNodes(ctx, *st.Nodes, x.Injected)
	if progress != nil && x.Drain != nil {
		x.Drain(*progress)
	}
	return r, err
}

// nodesIn resolves "zone NAME" or a node name.
func nodesIn(c *model.Cluster, scope string) (string, []model.Node) {
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

// Zones are the nodes' zones (topology.kubernetes.io/zone), sorted.
func Zones(c *model.Cluster) []string {
	seen := map[string]bool{}
	for _, n := range c.Nodes {
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

// nodePlanText lists the nodes, the pods a drain evicts, what is left alone and what the target keeps.
func nodePlanText(np NodePlan, guard *Guard) string {
	var b strings.Builder
	b.WriteString("Nodes to cordon: " + strings.Join(np.Nodes, ", ") + "\n")
	if np.Action == Drain {
		b.WriteString(fmt.Sprintf("Pods to evict (%d):\n", len(np.Evict)))
		for i, p := range np.Evict {
			if i == 8 {
				b.WriteString(fmt.Sprintf("  … and %d more\n", len(np.Evict)-8))
				break
			}
			b.WriteString("  • " + p + "\n")
		}
		if len(np.Protected) > 0 {
			b.WriteString(fmt.Sprintf("Left alone (protected namespaces): %d pod(s)\n", len(np.Protected)))
		}
	}
	if np.Workload != "" {
		minReady := 0
		if guard != nil {
			minReady = guard.MinReady
		}
		b.WriteString(fmt.Sprintf("deploy/%s ready replicas: %d → %d until replacements are ready (minimum %d)", np.Workload, np.ReadyBefore, np.ReadyAfter, minReady))
	}
	for _, w := range np.Warnings {
		b.WriteString("\n! " + w)
	}
	b.WriteString("\nHALT (x) or quitting uncordons these nodes.")
	if np.DryRun {
		b.WriteString("\nDRY-RUN: the API server validates the requests, nothing changes.")
	}
	return b.String()
}

// NodePlan is a cordon, uncordon or drain of nodes: which nodes, which pods get evicted, and what the
// target keeps.
type NodePlan struct {
	Scope     string // "node NAME" or "zone NAME"
	Nodes     []string
	Evict     []string // namespace/name of pods to evict (drain)
	Protected []string // pods left alone: protected namespaces
	Plan               // Action (cordon, uncordon, drain), target blast radius, dry-run, refusal, warnings
	// Timeout is how long the drain keeps retrying evictions a disruption budget holds back.
	Timeout time.Duration
}

// PlanNodes plans cordon / uncordon / drain of one node or a whole zone.
func (e *Env) PlanNodes(action Name, scope string, nodes []model.Node, pods []model.Pod, target *model.Deployment, pdbs []model.PDB, force bool) NodePlan {
	np := NodePlan{Scope: scope, Timeout: 2 * time.Minute}
	np.Action = action
	np.Force = force
	if e.Guard != nil {
		np.DryRun = e.Guard.DryRun
	}
	for _, n := range nodes {
		np.Nodes = append(np.Nodes, n.Name)
	}
	sort.Strings(np.Nodes)
	onNode := map[string]bool{}
	for _, n := range np.Nodes {
		onNode[n] = true
	}
	if target != nil {
		np.Workload, np.Namespace = target.Name, target.Namespace
		np.ReadyBefore, np.ReadyAfter, np.Desired = int(target.Ready), int(target.Ready), target.Desired
	}
	if action == Drain {
		for _, p := range pods {
			if !onNode[p.Node] || p.Terminating() || p.Phase == "Succeeded" || p.Phase == "Failed" {
				continue
			}
			if e.Guard != nil && e.Guard.Protected[p.Namespace] {
				np.Protected = append(np.Protected, p.Key())
				continue
			}
			np.Evict = append(np.Evict, p.Key())
			if target != nil && p.Ready && p.Namespace == target.Namespace && matchesSelector(p.Labels, target.Selector) {
				np.ReadyAfter--
			}
		}
		sort.Strings(np.Evict)
		for _, b := range pdbs {
			np.Warnings = append(np.Warnings, fmt.Sprintf("PDB %s/%s allows %d disruption(s) now: evictions beyond it wait", b.Namespace, b.Name, b.DisruptionsAllowed))
		}
	}
	switch {
	case len(np.Nodes) == 0:
		np.Refusal = fmt.Errorf("%w: no node matches %s", model.ErrRefused, scope)
	case action == Uncordon:
		if e.Guard != nil && e.Guard.ReadOnly {
			np.Refusal = e.Guard.Check("")
		}
	default:
		if err := e.Guard.Check(""); err != nil {
			np.Refusal = err
		} else if target != nil {
			np.Refusal = e.Guard.CheckRemaining(np.ReadyAfter, np.ReadyBefore, force)
		}
	}
	if np.Refusal == nil {
		np.Refusal = e.Guard.CheckDisrupted(np.Plan)
	}
	return np
}

func matchesSelector(labels, sel map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// EvictVerb is "evicted", or "would evict" for a dry run (the apiserver validated, nothing moved).
func (np NodePlan) EvictVerb() string {
	if np.DryRun {
		return "would evict"
	}
	return "evicted"
}

// Summary describes the node plan in one line.
func (np NodePlan) Summary() string {
	switch np.Action {
	case Drain:
		return fmt.Sprintf("drain %s: cordon %d node(s), evict %d pod(s)", np.Scope, len(np.Nodes), len(np.Evict))
	default:
		return fmt.Sprintf("%s %s: %d node(s)", np.Action, np.Scope, len(np.Nodes))
	}
}

// cordonReverter uncordons nodes on HALT or exit: it removes its record from each node, and lifts
// the cordon when no other gameday record holds the node.
type cordonReverter struct {
	env   *Env
	id    string
	nodes []string
}

func (c *cordonReverter) Describe() string { return "cordon " + strings.Join(c.nodes, ",") }

func (c *cordonReverter) Revert(ctx context.Context) error {
	var errs []error
	for _, n := range c.nodes {
		errs = append(errs, c.env.uncordon(ctx, n, c.id, false))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	c.env.forgetRecord(c.id)
	return nil
}

// forgetCordons drops the uncordoned nodes from the registered cordons (a cordon of a zone keeps its
// other nodes).
func forgetCordons(in *Injected, nodes []string) {
	gone := map[string]bool{}
	for _, n := range nodes {
		gone[n] = true
	}
	in.forget(func(r Reverter) Reverter {
		c, ok := r.(*cordonReverter)
		if !ok {
			return r
		}
		var left []string
		for _, n := range c.nodes {
			if !gone[n] {
				left = append(left, n)
			}
		}
		if len(left) == 0 {
			return nil
		}
		return &cordonReverter{env: c.env, id: c.id, nodes: left}
	})
}

// cordon marks each node unschedulable with the revert record rec on it, in one write per node.
func (e *Env) cordon(ctx context.Context, nodes []string, rec revert.Record, dry bool) error {
	var dr []string
	if dry {
		dr = []string{metav1.DryRunAll}
	}
	var errs []error
	for _, n := range nodes {
		r := rec
		r.Object = revert.Ref{Version: "v1", Resource: "nodes", Name: n}
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			node, err := e.Client.CoreV1().Nodes().Get(ctx, n, metav1.GetOptions{})
			if err != nil {
				return err
			}
			ann, err := revert.With(node.Annotations, r)
			if err != nil {
				return err
			}
			node.Annotations = ann
			node.Spec.Unschedulable = true
			_, err = e.Client.CoreV1().Nodes().Update(ctx, node, metav1.UpdateOptions{DryRun: dr})
			return err
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("cordon node %s: %w", n, err))
		}
	}
	return errors.Join(errs...)
}

// everyRecord makes uncordon drop every gameday record on the node (a person's :uncordon).
const everyRecord = "*"

// uncordon removes record id from the node (every record with everyRecord; only an older gameday's
// mark with "") and lifts the cordon unless another gameday record still holds the node. A node that
// is gone is done.
func (e *Env) uncordon(ctx context.Context, node, id string, dry bool) error {
	var dr []string
	if dry {
		dr = []string{metav1.DryRunAll}
	}
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		n, err := e.Client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		ann := maps.Clone(n.Annotations)
		switch id {
		case everyRecord:
			delete(ann, revert.Annotation)
		case "":
		default:
			if ann, err = revert.Without(ann, id); err != nil {
				return err
			}
		}
		delete(ann, revert.LegacyCordonAnnotation)
		n.Annotations = ann
		if _, held := ann[revert.Annotation]; !held {
			n.Spec.Unschedulable = false
		}
		_, err = e.Client.CoreV1().Nodes().Update(ctx, n, metav1.UpdateOptions{DryRun: dr})
		return err
	})
	if err != nil {
		return fmt.Errorf("uncordon node %s: %w", node, err)
	}
	return nil
}

// RunNodes executes a cordon or uncordon at once, or the first step of a drain (cordon, then evict):
// a drain that started returns its progress, which DrainStep continues.
func (e *Env) RunNodes(ctx context.Context, np NodePlan, in *Injected) (Result, *DrainProgress, error) {
	entry := Entry{Time: e.now(), Context: e.Context, User: e.User, Action: np.Action, Targets: prefixed("node/", np.Nodes),
		DryRun: np.DryRun, Detail: np.Summary()}
	if np.Refusal != nil {
		r, err := e.record(entry, np.Refusal)
		return r, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout())
	defer cancel()
	switch np.Action {
	case Cordon, Drain:
		rec := e.newRecord(revert.KindCordon, revert.Ref{Version: "v1", Resource: "nodes"}, np.Summary(), time.Time{})
		var err error
		if !np.DryRun {
			err = e.keep(rec)
		}
		if err == nil {
			err = e.cordon(ctx, np.Nodes, rec, np.DryRun)
		}
		if err == nil && !np.DryRun && in != nil {
			in.Add(&cordonReverter{env: e, id: rec.ID, nodes: np.Nodes})
		}
		if np.Action == Cordon || err != nil {
			r, err := e.record(entry, err)
			return r, nil, err
		}
		r, err := e.record(entry, nil)
		return r, &DrainProgress{Plan: np, Started: e.now(), Blocked: map[string]string{}}, err
	case Uncordon:
		var errs []error
		for _, n := range np.Nodes {
			errs = append(errs, e.uncordon(ctx, n, everyRecord, np.DryRun))
		}
		err := errors.Join(errs...)
		if err == nil && !np.DryRun && in != nil {
			forgetCordons(in, np.Nodes) // reverted by hand: HALT has nothing left to undo there
		}
		r, err := e.record(entry, err)
		return r, nil, err
	}
	r, err := e.record(entry, fmt.Errorf("unknown node action %q", np.Action))
	return r, nil, err
}

func prefixed(p string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = p + n
	}
	return out
}
