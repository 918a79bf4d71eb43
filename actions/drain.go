package actions

import (
	"context"
	"fmt"
	"strings"
	"time"

	authv1 "k8s.io/api/authorization/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedaylab/gameday/model"
)

func init() {
	register(
		Spec{Name: Drain, Order: 50, Key: "drain", Keys: []string{"D"}, Command: "drain", Usage: "zone Z|NODE[!]", Help: "drain a zone", Perm: "drain",
			Access:      []authv1.ResourceAttributes{{Verb: "patch", Resource: "nodes"}, {Verb: "create", Resource: "pods", Subresource: "eviction"}},
			Destructive: true, Verb: "Drain", Marker: "drain", Plan: planNodesStep("drain"), Run: runNodes,
			Ask: &Ask{
				Title: func(World) string { return "Drain which zone?" },
				Help: func(w World) string {
					return "Cordons its nodes and evicts their pods (PodDisruptionBudgets are respected). Zones: " +
						strings.Join(Zones(w.Cluster), ", ") + ". Add ! to go below the minimum of ready replicas."
				},
				Default: func(w World) string { return Zones(w.Cluster)[0] },
				Check: func(w World, s string) error {
					z := strings.TrimSuffix(strings.TrimSpace(s), "!")
					zs := Zones(w.Cluster)
					for _, x := range zs {
						if x == z {
							return nil
						}
					}
					return fmt.Errorf("%q is not a zone (have: %s)", z, strings.Join(zs, ", "))
				},
				Args: func(s string) string { return "zone " + s },
				None: func(w World) error {
					if len(Zones(w.Cluster)) == 0 {
						return fmt.Errorf("no zones: nodes carry no topology.kubernetes.io/zone label")
					}
					return nil
				},
			}},
		Spec{Name: DrainDone, Order: 51, Help: "a drain's evictions ended", Marker: "drained", Event: true},
	)
}

// DrainProgress reports a drain as it goes; Done ends it. The session schedules the next step.
type DrainProgress struct {
	Plan    NodePlan
	Evicted []string
	Blocked map[string]string // pod -> why (a PDB, for now)
	Done    bool
	Started time.Time
	Err     string `json:"err,omitempty"` // the error as text: events cross the bus and recordings as JSON
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
	var budgets int
	var refused, other []string // refusals no retry changes (RBAC, invalid); anything else
	for _, key := range pr.Plan.Evict {
		if done[key] {
			continue
		}
		ns, name, _ := strings.Cut(key, "/")
		budget, err := e.evictPod(ctx, ns, name, nil, pr.Plan.DryRun)
		switch {
		case budget != "":
			blocked[key] = "disruption budget: " + budget
			budgets++
		case err != nil:
			blocked[key] = err.Error()
			if final(err) {
				refused = append(refused, err.Error())
			} else {
				other = append(other, err.Error())
			}
		default:
			pr.Evicted = append(pr.Evicted, key)
		}
	}
	pr.Blocked = blocked
	timedOut := e.now().Sub(pr.Started) > pr.Plan.Timeout
	if len(blocked) == 0 || timedOut || len(refused) > 0 {
		pr.Done = true
		entry := Entry{Time: e.now(), Context: e.Context, User: e.User, Action: DrainDone,
			Targets: prefixed("node/", pr.Plan.Nodes), DryRun: pr.Plan.DryRun,
			Detail: fmt.Sprintf("%s: %s %d/%d in %s", pr.Plan.Scope, pr.Plan.EvictVerb(), len(pr.Evicted), len(pr.Plan.Evict), e.now().Sub(pr.Started).Round(100*time.Millisecond))}
		var err error
		if len(blocked) > 0 {
			when := ""
			if timedOut {
				when = " after " + pr.Plan.Timeout.String()
			}
			err = fmt.Errorf("%d pod(s) not evicted%s: %s", len(blocked), when, heldBack(budgets, refused, other))
		}
		r, rerr := e.record(entry, err)
		pr.Err = model.ErrText(rerr)
		return pr, &r
	}
	return pr, nil
}

// evictPod asks the Eviction API to evict one pod (a pod already gone is evicted). budget is the
// disruption budget's refusal (429) when one holds the pod back; err any other failure.
func (e *Env) evictPod(ctx context.Context, ns, name string, grace *int64, dry bool) (budget string, err error) {
	ev := &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	if grace != nil || dry {
		ev.DeleteOptions = &metav1.DeleteOptions{GracePeriodSeconds: grace}
		if dry {
			ev.DeleteOptions.DryRun = []string{metav1.DryRunAll}
		}
	}
	err = e.Client.PolicyV1().Evictions(ns).Evict(ctx, ev)
	switch {
	case err == nil || apierrors.IsNotFound(err):
		return "", nil
	case apierrors.IsTooManyRequests(err):
		return firstSentence(err.Error()), nil
	}
	return "", fmt.Errorf("evict pod %s/%s: %w", ns, name, err)
}

// final says whether an eviction's refusal would be the same on every retry (no permission, an
// invalid request), so the drain ends now rather than at its timeout.
func final(err error) bool {
	return apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) || apierrors.IsInvalid(err) ||
		apierrors.IsBadRequest(err) || apierrors.IsMethodNotSupported(err)
}

// heldBack says what kept pods from being evicted: budgets, refusals and failures, the first of
// each named.
func heldBack(budgets int, refused, other []string) string {
	var parts []string
	if budgets > 0 {
		parts = append(parts, fmt.Sprintf("%d held by disruption budgets", budgets))
	}
	if len(refused) > 0 {
		parts = append(parts, fmt.Sprintf("%d refused: %s", len(refused), refused[0]))
	}
	if len(other) > 0 {
		parts = append(parts, fmt.Sprintf("%d failed: %s", len(other), other[0]))
	}
	return strings.Join(parts, "; ")
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i]
	}
	return s
}

// StopDrain ends a drain before its evictions are done (HALT, the session closing) and journals why.
func (e *Env) StopDrain(pr DrainProgress, why string) (DrainProgress, Result) {
	pr.Done = true
	entry := Entry{Time: e.now(), Context: e.Context, User: e.User, Action: DrainDone,
		Targets: prefixed("node/", pr.Plan.Nodes), DryRun: pr.Plan.DryRun,
		Detail: fmt.Sprintf("%s: %s %d/%d, then stopped: %s", pr.Plan.Scope, pr.Plan.EvictVerb(), len(pr.Evicted), len(pr.Plan.Evict), why)}
	r, err := e.record(entry, fmt.Errorf("%w: drain stopped by %s", model.ErrRefused, why))
	pr.Err = model.ErrText(err)
	return pr, r
}
