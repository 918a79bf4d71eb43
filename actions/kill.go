package actions

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	authv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedaylab/gameday/model"
)

func init() {
	killAccess := []authv1.ResourceAttributes{{Verb: "delete", Resource: "pods"}}
	register(
		Spec{Name: "kill", Order: 10, Key: "kill", Keys: []string{"k"}, Command: "kill", Usage: "[N|N%|all][!]",
			CommandHelp: "kill N pods (! forces past the minimum)", Help: "kill a pod", Perm: "kill", Access: killAccess,
			Destructive: true, Verb: "Kill", Marker: "kill", Timed: true, Plan: planKillStep, Run: runWith((*Env).kill)},
		Spec{Name: "kill", Order: 11, Key: "killMany", Keys: []string{"K"}, Help: "kill N / N%", Perm: "kill",
			Destructive: true, Verb: "Kill", Marker: "kill", Timed: true, Plan: planKillStep, Run: runWith((*Env).kill),
			Ask: &Ask{
				Title: func(w World) string { return "Kill how many pods of deploy/" + w.Target + "?" },
				Help: func(World) string {
					return "A number (3), a percentage (50%) or all; add ! to go below the minimum of ready replicas (2!)."
				},
				Default: func(World) string { return "1" },
				Check: func(_ World, s string) error {
					if strings.TrimSpace(s) == "" {
						return nil
					}
					_, err := ParseCount(s)
					return err
				},
				Args: func(s string) string { return s },
				None: func(w World) error { _, err := needTarget(w); return err },
			}},
		Spec{Name: "recovery", Order: 80, Help: "a kill's recovery measured (ready replicas back to desired)", Marker: "recovered", Event: true},
	)
}

// planKillStep reads a count (default 1) and picks the victims among the target's pods.
func planKillStep(e *Env, w World, args string) (Step, error) {
	c := Count{N: 1}
	if args != "" {
		var err error
		if c, err = ParseCount(args); err != nil {
			return Step{}, err
		}
	}
	if _, err := needTarget(w); err != nil {
		return Step{}, err
	}
	p := e.PlanKill(w.Namespace, w.Target, w.Cluster.TargetPods(w.Namespace, w.Target), c, nil)
	var head strings.Builder
	head.WriteString("Pods to delete:\n")
	for _, n := range p.Pods {
		head.WriteString("  • pod/" + n + "\n")
	}
	grace := "graceful (the pod's terminationGracePeriodSeconds)"
	if p.Grace != nil {
		grace = fmt.Sprintf("grace %ds", *p.Grace)
	}
	fmt.Fprintf(&head, "Deletion: %s\n", grace)
	return e.planStep(p, head.String(), true), nil
}

// Count is how many pods to hit: N, N%, or all; a trailing ! forces past the blast-radius guard.
type Count struct {
	N     int
	Pct   int
	All   bool
	Force bool
}

// ParseCount reads "3", "50%", "all", each optionally followed by "!".
func ParseCount(s string) (Count, error) {
	var c Count
	s = strings.TrimSpace(strings.ToLower(s))
	if strings.HasSuffix(s, "!") {
		c.Force, s = true, strings.TrimSpace(strings.TrimSuffix(s, "!"))
	}
	switch {
	case s == "all":
		c.All = true
	case strings.HasSuffix(s, "%"):
		v, err := strconv.Atoi(strings.TrimSuffix(s, "%"))
		if err != nil || v <= 0 || v > 100 {
			return c, fmt.Errorf("%q: want a percentage from 1%% to 100%%", s)
		}
		c.Pct = v
	default:
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			return c, fmt.Errorf("%q: want a number of pods (3), a percentage (50%%) or all, optionally with ! to force", s)
		}
		c.N = v
	}
	return c, nil
}

// Of resolves the count against n candidates: a percentage rounds down (at least one), like Chaos
// Mesh's fixed-percent mode.
func (c Count) Of(n int) int {
	switch {
	case c.All:
		return n
	case c.Pct > 0:
		k := int(math.Floor(float64(n) * float64(c.Pct) / 100))
		if k < 1 && n > 0 {
			k = 1
		}
		return k
	}
	if c.N > n {
		return n
	}
	return c.N
}

// PlanKill picks victims among the target's live pods (not already terminating), ready ones first so
// the experiment removes real capacity, in random order.
func (e *Env) PlanKill(namespace, workload string, pods []model.Pod, c Count, grace *int64) Plan {
	if grace == nil {
		grace = e.KillGrace
	}
	p := Plan{Action: "kill", Namespace: namespace, Workload: workload, Grace: grace, Force: c.Force}
	if e.Guard != nil {
		p.DryRun = e.Guard.DryRun
	}
	var ready, notReady []model.Pod
	for _, pod := range pods {
		if pod.Terminating() {
			continue
		}
		if pod.Ready {
			ready = append(ready, pod)
		} else {
			notReady = append(notReady, pod)
		}
	}
	p.ReadyBefore = len(ready)
	e.shuffle(len(ready), func(i, j int) { ready[i], ready[j] = ready[j], ready[i] })
	e.shuffle(len(notReady), func(i, j int) { notReady[i], notReady[j] = notReady[j], notReady[i] })
	cands := append(ready, notReady...)
	k := c.Of(len(cands))
	hitReady := 0
	for i := 0; i < k; i++ {
		p.Pods = append(p.Pods, cands[i].Name)
		if cands[i].Ready {
			hitReady++
		}
	}
	sort.Strings(p.Pods)
	p.ReadyAfter = p.ReadyBefore - hitReady
	switch {
	case len(cands) == 0:
		p.Refusal = fmt.Errorf("%w: deploy/%s has no live pods to kill", model.ErrRefused, workload)
	default:
		if err := e.Guard.Check(namespace); err != nil {
			p.Refusal = err
		} else if err := e.Guard.CheckRemaining(p.ReadyAfter, p.ReadyBefore, c.Force); err != nil {
			p.Refusal = err
		}
	}
	return p
}

func (e *Env) kill(ctx context.Context, p Plan) error {
	var errs []error
	for _, name := range p.Pods {
		err := e.Client.CoreV1().Pods(p.Namespace).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: p.Grace, DryRun: e.dryRun(p)})
		if err != nil {
			errs = append(errs, fmt.Errorf("delete pod %s/%s: %w", p.Namespace, name, err))
		}
	}
	return errors.Join(errs...)
}
