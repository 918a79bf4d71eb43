package actions

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	authv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedaylab/gameday/bounds"
	"github.com/gamedaylab/gameday/model"
)

func init() {
	killAccess := []authv1.ResourceAttributes{{Verb: "delete", Resource: "pods"}}
	register(
		Spec{Name: Kill, Order: 10, Key: "kill", Keys: []string{"ctrl+k"}, Selected: true, Command: "kill", Usage: "[N|N%|all|pod/NAME][!] [grace SECONDS]",
			CommandHelp: "kill N random pods (! forces past the minimum; grace 0 deletes at once), or one pod", Help: "kill selected pod", Perm: "kill", Access: killAccess,
			Destructive: true, Verb: "Kill", Marker: "kill", Timed: true, Plan: planKillStep, Run: runWith((*Env).kill),
			ParseArgs: func(args string) error {
				if strings.HasPrefix(strings.TrimSpace(args), "pod/") {
					_, _, err := parsePodKill(strings.TrimSpace(args))
					return err
				}
				_, _, err := ParseKill(args)
				return err
			}},
		Spec{Name: Kill, Order: 11, Key: "killMany", Keys: []string{"K"}, Help: "kill random pods", Perm: "kill",
			Destructive: true, Verb: "Kill", Marker: "kill", Timed: true, Plan: planKillStep, Run: runWith((*Env).kill),
			Ask: &Ask{
				Title: func(w World) string { return "Kill how many pods of deploy/" + w.Target + "?" },
				Help: func(World) string {
					return "A number (3), a percentage (50%) or all; add ! to go below the minimum of ready replicas (2!), grace 0 to delete at once (all! grace 0)."
				},
				Default: func(World) string { return "1" },
				Check: func(_ World, s string) error {
					if strings.TrimSpace(s) == "" {
						return nil
					}
					_, _, err := ParseKill(s)
					return err
				},
				Args: func(s string) string { return s },
				None: func(w World) error { _, err := needTarget(w); return err },
			}},
		Spec{Name: Recovery, Order: 80, Help: "a kill's recovery measured (ready replicas back to desired)", Marker: "recovered", Event: true},
	)
}

// planKillStep reads a count (default 1) and picks random victims among the target's pods, or kills
// the one pod that pod/NAME names (the cockpit's selected pod).
func planKillStep(e *Env, w World, args string) (Step, error) {
	if strings.HasPrefix(args, "pod/") {
		name, grace, err := parsePodKill(args)
		if err != nil {
			return Step{}, err
		}
		return planKillPod(e, w, name, grace)
	}
	c, grace, err := ParseKill(args)
	if err != nil {
		return Step{}, err
	}
	d, err := needTarget(w)
	if err != nil {
		return Step{}, err
	}
	p := e.PlanKill(w.Namespace, w.Target, w.Cluster.TargetPods(w.Namespace, w.Target), c, grace)
	p.Desired = d.Desired
	return e.planStep(p, killHead(p), true), nil
}

// planKillPod plans the kill of one named pod: of the target (whose ready minimum the guard keeps),
// or of the namespace when there is no target.
func planKillPod(e *Env, w World, name string, grace *int64) (Step, error) {
	force := strings.HasSuffix(name, "!")
	name = strings.TrimSuffix(name, "!")
	pod := w.Cluster.Pods[w.Namespace+"/"+name]
	if pod == nil || name == "" {
		return Step{}, fmt.Errorf("pod/%s not found in namespace %q", name, w.Namespace)
	}
	var pods []model.Pod
	var desired int32
	if w.Target != "" {
		d, err := needTarget(w)
		if err != nil {
			return Step{}, err
		}
		desired = d.Desired
		pods = w.Cluster.TargetPods(w.Namespace, w.Target)
		if !slices.ContainsFunc(pods, func(p model.Pod) bool { return p.Name == name }) {
			return Step{}, fmt.Errorf("pod/%s is not a pod of the target deploy/%s", name, w.Target)
		}
	}
	p := e.PlanKillPod(w.Namespace, w.Target, pods, *pod, force)
	p.Desired = desired
	if grace != nil {
		p.Grace = grace
	}
	return e.planStep(p, killHead(p), true), nil
}

// parsePodKill reads "pod/NAME[!] [grace SECONDS]".
func parsePodKill(args string) (string, *int64, error) {
	name, rest, _ := strings.Cut(strings.TrimPrefix(args, "pod/"), " ")
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return name, nil, nil
	}
	c, grace, err := ParseKill(rest)
	if err != nil {
		return "", nil, err
	}
	if grace == nil || c != (Count{N: 1}) {
		return "", nil, fmt.Errorf("%q: after pod/NAME only grace SECONDS may follow", args)
	}
	return name, grace, nil
}

// PlanKillPod plans the kill of pod, one of pods (the workload's, whose ready replicas the guard
// counts; none when there is no workload).
func (e *Env) PlanKillPod(namespace, workload string, pods []model.Pod, pod model.Pod, force bool) Plan {
	p := Plan{Action: Kill, Namespace: namespace, Workload: workload, Grace: e.KillGrace, Force: force, Selected: true, Pods: []string{pod.Name}}
	if e.Guard != nil {
		p.DryRun = e.Guard.DryRun
	}
	for _, q := range pods {
		if q.Ready && !q.Terminating() {
			p.ReadyBefore++
		}
	}
	p.ReadyAfter = p.ReadyBefore
	if pod.Ready && !pod.Terminating() && workload != "" {
		p.ReadyAfter--
	}
	switch {
	case pod.Terminating():
		p.Refusal = fmt.Errorf("%w: pod/%s is already terminating", model.ErrRefused, pod.Name)
	default:
		if err := e.Guard.Check(namespace); err != nil {
			p.Refusal = err
		} else if workload != "" {
			p.Refusal = e.Guard.CheckRemaining(p.ReadyAfter, p.ReadyBefore, force)
		}
	}
	return p
}

// killHead lists the pods a kill deletes and how.
func killHead(p Plan) string {
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
	return head.String()
}

// Count is how many pods to hit: N, N%, or all; a trailing ! forces past the blast-radius guard.
type Count struct {
	N     int
	Pct   int
	All   bool
	Force bool
}

// MaxGrace is the longest grace period a kill may give, in seconds (a day).
const MaxGrace = 86400

// ParseKill reads a kill's arguments: a count (default 1) and an optional "grace SECONDS" after it
// (grace 0 deletes at once; nil: the session's --grace, else the pod's own period).
func ParseKill(s string) (Count, *int64, error) {
	f := strings.Fields(s)
	var grace *int64
	if n := len(f); n >= 2 && strings.EqualFold(f[n-2], "grace") {
		g, err := bounds.Count(0, MaxGrace, "seconds").ParseInt(strings.TrimSuffix(f[n-1], "s"))
		if err != nil {
			return Count{}, nil, fmt.Errorf("grace %q: the seconds a pod gets to stop (0: at once): %w", f[n-1], err)
		}
		grace, f = &g, f[:n-2]
	}
	if len(f) == 0 {
		return Count{N: 1}, grace, nil
	}
	c, err := ParseCount(strings.Join(f, " "))
	return c, grace, err
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
		v, err := bounds.Count(1, 100, "%").ParseInt(strings.TrimSuffix(s, "%"))
		if err != nil {
			return c, fmt.Errorf("%q: want a percentage from 1%% to 100%%", s)
		}
		c.Pct = int(v)
	default:
		v, err := bounds.Count(1, MaxReplicas, "pods").ParseInt(s)
		if err != nil {
			return c, fmt.Errorf("%q: want a number of pods (3), a percentage (50%%) or all, optionally with ! to force", s)
		}
		c.N = int(v)
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
	return e.planVictims("kill", namespace, workload, pods, c, grace, nil)
}

// planVictims picks c of pods at random, ready ones first, among those eligible allows (nil: any), and
// works out the blast radius over all of them.
func (e *Env) planVictims(action Name, namespace, workload string, pods []model.Pod, c Count, grace *int64, eligible func(model.Pod) bool) Plan {
	if grace == nil {
		grace = e.KillGrace
	}
	p := Plan{Action: action, Namespace: namespace, Workload: workload, Grace: grace, Force: c.Force}
	if e.Guard != nil {
		p.DryRun = e.Guard.DryRun
	}
	var ready, notReady []model.Pod
	for _, pod := range pods {
		if pod.Terminating() {
			continue
		}
		if pod.Ready {
			p.ReadyBefore++
		}
		if eligible != nil && !eligible(pod) {
			continue
		}
		if pod.Ready {
			ready = append(ready, pod)
		} else {
			notReady = append(notReady, pod)
		}
	}
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
