package actions

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gamedaylab/gameday/model"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// CordonAnnotation marks nodes gameday cordoned, so a later start can find and undo leftovers of a
// session that crashed.
const CordonAnnotation = "gameday.dev/cordoned-by"

// PlanRestart plans a rollout restart of the target (the kubectl way: a template annotation).
func (e *Env) PlanRestart(namespace string, d model.Deployment) Plan {
	p := Plan{Action: "restart", Namespace: namespace, Workload: d.Name, From: d.Desired, Replicas: d.Desired,
		ReadyBefore: int(d.Ready), ReadyAfter: int(d.Ready)}
	if e.Guard != nil {
		p.DryRun = e.Guard.DryRun
	}
	p.Warnings = append(p.Warnings, "pods are replaced one by one following the Deployment's rollout strategy")
	if err := e.Guard.Check(namespace); err != nil {
		p.Refusal = err
	}
	return p
}

func (e *Env) restart(ctx context.Context, p Plan) error {
	patch := fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":%q}}}}}`,
		e.now().UTC().Format(time.RFC3339))
	_, err := e.Client.AppsV1().Deployments(p.Namespace).Patch(ctx, p.Workload, types.StrategicMergePatchType, []byte(patch),
		metav1.PatchOptions{DryRun: e.dryRun(p)})
	if err != nil {
		return fmt.Errorf("rollout restart deploy/%s in %s: %w", p.Workload, p.Namespace, err)
	}
	return nil
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
func (e *Env) PlanNodes(action, scope string, nodes []model.Node, pods []model.Pod, target *model.Deployment, pdbs []model.PDB, force bool) NodePlan {
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
		np.ReadyBefore, np.ReadyAfter = int(target.Ready), int(target.Ready)
	}
	if action == "drain" {
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
	case action == "uncordon":
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
	case "drain":
		return fmt.Sprintf("drain %s: cordon %d node(s), evict %d pod(s)", np.Scope, len(np.Nodes), len(np.Evict))
	default:
		return fmt.Sprintf("%s %s: %d node(s)", np.Action, np.Scope, len(np.Nodes))
	}
}

// cordonReverter uncordons nodes on HALT or exit.
type cordonReverter struct {
	env   *Env
	nodes []string
}

func (c *cordonReverter) Describe() string { return "cordon " + strings.Join(c.nodes, ",") }

func (c *cordonReverter) Revert(ctx context.Context) error {
	return c.env.setUnschedulable(ctx, c.nodes, false, false)
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
		return &cordonReverter{env: c.env, nodes: left}
	})
}

func (e *Env) setUnschedulable(ctx context.Context, nodes []string, on, dry bool) error {
	var dr []string
	if dry {
		dr = []string{metav1.DryRunAll}
	}
	ann := "null"
	if on {
		ann = fmt.Sprintf("%q", e.Context+"/"+e.User)
	}
	patch := []byte(fmt.Sprintf(`{"metadata":{"annotations":{%q:%s}},"spec":{"unschedulable":%t}}`, CordonAnnotation, ann, on))
	var errs []error
	for _, n := range nodes {
		if _, err := e.Client.CoreV1().Nodes().Patch(ctx, n, types.MergePatchType, patch, metav1.PatchOptions{DryRun: dr}); err != nil {
			errs = append(errs, fmt.Errorf("patch node %s: %w", n, err))
		}
	}
	return errors.Join(errs...)
}

// DrainProgress reports a drain as it goes; Done ends it. The root model schedules the next step.
type DrainProgress struct {
	Plan    NodePlan
	Evicted []string
	Blocked map[string]string // pod -> why (a PDB, for now)
	Done    bool
	Started time.Time
	Err     string `json:"err,omitempty"` // the error as text: events cross the bus and recordings as JSON
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
	case "cordon", "drain":
		err := e.setUnschedulable(ctx, np.Nodes, true, np.DryRun)
		if err == nil && !np.DryRun && in != nil {
			in.Add(&cordonReverter{env: e, nodes: np.Nodes})
		}
		if np.Action == "cordon" || err != nil {
			r, err := e.record(entry, err)
			return r, nil, err
		}
		r, err := e.record(entry, nil)
		return r, &DrainProgress{Plan: np, Started: e.now(), Blocked: map[string]string{}}, err
	case "uncordon":
		err := e.setUnschedulable(ctx, np.Nodes, false, np.DryRun)
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

// DrainStep evicts every pod not yet evicted; PDB refusals (429) are retried by the next step.
// When all are evicted, or the timeout passes, it journals the drain's outcome and returns that entry.
func (e *Env) DrainStep(ctx context.Context, pr DrainProgress) (DrainProgress, *Result) {
	ctx, cancel := context.WithTimeout(ctx, e.timeout())
	defer cancel()
	done := map[string]bool{}
	for _, k := range pr.Evicted {
		done[k] = true
	}
	blocked := map[string]string{}
	for _, key := range pr.Plan.Evict {
		if done[key] {
			continue
		}
		ns, name, _ := strings.Cut(key, "/")
		ev := &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
		if pr.Plan.DryRun {
			ev.DeleteOptions = &metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}}
		}
		err := e.Client.PolicyV1().Evictions(ns).Evict(ctx, ev)
		switch {
		case err == nil || apierrors.IsNotFound(err):
			pr.Evicted = append(pr.Evicted, key)
		case apierrors.IsTooManyRequests(err):
			blocked[key] = "disruption budget: " + firstSentence(err.Error())
		default:
			blocked[key] = err.Error()
		}
	}
	pr.Blocked = blocked
	timedOut := e.now().Sub(pr.Started) > pr.Plan.Timeout
	if len(blocked) == 0 || timedOut {
		pr.Done = true
		entry := Entry{Time: e.now(), Context: e.Context, User: e.User, Action: "drain-done",
			Targets: prefixed("node/", pr.Plan.Nodes), DryRun: pr.Plan.DryRun,
			Detail: fmt.Sprintf("%s: %s %d/%d in %s", pr.Plan.Scope, pr.Plan.EvictVerb(), len(pr.Evicted), len(pr.Plan.Evict), e.now().Sub(pr.Started).Round(100*time.Millisecond))}
		var err error
		if len(blocked) > 0 {
			err = fmt.Errorf("%d pod(s) not evicted after %s (blocked by disruption budgets)", len(blocked), pr.Plan.Timeout)
		}
		r, rerr := e.record(entry, err)
		pr.Err = model.ErrText(rerr)
		return pr, &r
	}
	return pr, nil
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i]
	}
	return s
}

// Leftovers finds nodes a previous session cordoned and did not uncordon (it crashed or was killed).
func (e *Env) Leftovers(ctx context.Context) ([]string, error) {
	list, err := e.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range list.Items {
		if _, ok := n.Annotations[CordonAnnotation]; ok && n.Spec.Unschedulable {
			out = append(out, n.Name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// CleanLeftovers uncordons what a previous session left and journals it; found is false when there was
// nothing to clean (nothing is journaled then).
func (e *Env) CleanLeftovers(ctx context.Context) (r Result, found bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, e.timeout())
	defer cancel()
	nodes, err := e.Leftovers(ctx)
	if err != nil || len(nodes) == 0 {
		return Result{}, false, err
	}
	entry := Entry{Time: e.now(), Context: e.Context, User: e.User, Action: "cleanup", Targets: prefixed("node/", nodes),
		Detail: fmt.Sprintf("uncordoned %d node(s) a previous session left cordoned", len(nodes))}
	r, err = e.record(entry, e.setUnschedulable(ctx, nodes, false, false))
	return r, true, err
}
