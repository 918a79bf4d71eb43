package actions

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	authv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedaylab/gameday/bounds"
	"github.com/gamedaylab/gameday/model"
)

// ActorMonkey is the journal's actor of what the chaos monkey did.
const ActorMonkey = "monkey"

func init() {
	register(
		Spec{Name: Monkey, Order: 48, Key: "monkey", Keys: []string{"M"}, Args: "toggle", Command: "monkey", Usage: "on [for DUR]|off|skip",
			Help: "chaos monkey on / off", CommandHelp: "the chaos monkey: random kills in scope (config monkey:), skip its next kill",
			Perm: "kill", Destructive: true, Verb: "Start", Marker: "monkey", Plan: planMonkeyStep, Run: runMonkey,
			ParseArgs: worldless(planMonkeyStep)},
		Spec{Name: Monkey, Order: 48, Key: "monkeySkip", Keys: []string{"m"}, Args: "skip", Help: "skip the monkey's next kill",
			Perm: "kill", Marker: "monkey", Plan: planMonkeyStep, Run: runMonkey},
		Spec{Name: MonkeyKill, Order: 49, Help: "a kill by the chaos monkey (evicted: disruption budgets hold)", Perm: "kill",
			Access:      []authv1.ResourceAttributes{{Verb: "create", Resource: "pods", Subresource: "eviction"}},
			Destructive: true, Verb: "Kill", Marker: "monkey", Timed: true, Plan: planMonkeyKill, Run: runWith((*Env).evict)},
	)
}

// MonkeyControl is the session's monkey, as the monkey action steers it.
type MonkeyControl interface {
	Start(d time.Duration) error
	Stop() bool
	Skip() (string, error)
	Running() bool
}

func planMonkeyStep(e *Env, w World, args string) (Step, error) {
	f := strings.Fields(args)
	if len(f) == 0 {
		return Step{}, errors.New("want on, off or skip: :monkey on [for 5m]")
	}
	st := Step{Action: Monkey, Monkey: f[0]}
	if f[0] == "skip" && !w.MonkeyOn {
		st.Summary, st.Refusal = "skip the monkey's next kill", refuse("the chaos monkey is not running (M starts it)")
		return st, nil
	}
	switch f[0] {
	case "on", "off", "skip", "toggle":
	default:
		return Step{}, fmt.Errorf("%q: want on, off or skip (:monkey on [for 5m])", f[0])
	}
	if len(f) > 1 {
		if f[0] != "on" || len(f) != 3 || f[1] != "for" {
			return Step{}, fmt.Errorf("%q: only on takes a duration: :monkey on for 5m", args)
		}
		d, err := bounds.Span{MinOpen: true, Max: 7 * 24 * time.Hour}.Parse(f[2])
		if err != nil {
			return Step{}, fmt.Errorf("for: %w", err)
		}
		st.MonkeyFor = d
	}
	st.Summary = "chaos monkey " + strings.TrimSpace(args)
	if st.Monkey == "on" || st.Monkey == "toggle" && !w.MonkeyOn {
		st.Summary = "start the chaos monkey"
		if st.MonkeyFor > 0 {
			st.Summary += " for " + ShortDuration(st.MonkeyFor)
		}
		st.Detail, st.Confirm, st.Refusal = w.Monkey, true, e.Guard.Check(w.Namespace)
		if e.Guard != nil && e.Guard.DryRun {
			st.DryRun = true
			st.Detail += "\nDRY-RUN: evictions are validated by the API server, nothing is killed."
		}
		st.Confirm = st.Refusal == nil
	}
	return st, nil
}

func runMonkey(_ context.Context, x Exec, st Step) (Result, error) {
	e := x.Env
	entry := Entry{Time: e.now(), Context: e.Context, User: e.User, Action: Monkey}
	if x.Monkey == nil {
		return e.record(entry, refuse("no chaos monkey here (configure monkey: in the config file)"))
	}
	op := st.Monkey
	if op == "toggle" {
		op = map[bool]string{true: "off", false: "on"}[x.Monkey.Running()]
	}
	entry.Targets = []string{op}
	if st.Refusal != nil {
		return e.record(entry, st.Refusal)
	}
	var err error
	switch op {
	case "on":
		err = x.Monkey.Start(st.MonkeyFor)
		entry.Detail = "started"
		if st.MonkeyFor > 0 {
			entry.Detail += " for " + ShortDuration(st.MonkeyFor)
		}
	case "off":
		if !x.Monkey.Stop() {
			err = errors.New("the chaos monkey is not running")
		}
		entry.Detail = "stopped"
	case "skip":
		var what string
		what, err = x.Monkey.Skip()
		entry.Detail = "skipped the next kill: " + what
	}
	return e.record(entry, err)
}

// planMonkeyKill reads "NAMESPACE/DEPLOY COUNT MINAGE" (the monkey's choice) and plans the eviction
// of COUNT random pods of it that have lived at least MINAGE, within the guard's rules.
func planMonkeyKill(e *Env, w World, args string) (Step, error) {
	f := strings.Fields(args)
	if len(f) != 3 {
		return Step{}, fmt.Errorf("want NAMESPACE/DEPLOY COUNT MINAGE, got %q", args)
	}
	ns, deploy, ok := strings.Cut(f[0], "/")
	n, err := bounds.Count(1, MaxReplicas, "pods").ParseInt(f[1])
	minAge, aerr := bounds.Span{}.Parse(f[2])
	if !ok || err != nil || aerr != nil {
		return Step{}, fmt.Errorf("want NAMESPACE/DEPLOY COUNT MINAGE, got %q", args)
	}
	now := e.now()
	p := e.planVictims("monkey-kill", ns, deploy, w.Cluster.TargetPods(ns, deploy), Count{N: int(n)}, nil,
		func(pod model.Pod) bool { return pod.Ready && now.Sub(pod.Created) >= minAge })
	if len(p.Pods) == 0 {
		p.Refusal = refuse("deploy/%s in %s has no ready pod older than %s", deploy, ns, minAge)
	}
	if d := w.Cluster.Deployment(ns, deploy); d != nil {
		p.Desired = d.Desired
	}
	return e.planStep(p, killHead(p), false), nil
}

// evict asks the Eviction API for each pod, so disruption budgets hold (a refusal is journaled), and
// marks each victim with an Event, as chaoskube does.
func (e *Env) evict(ctx context.Context, p Plan) error {
	var errs []error
	for _, name := range p.Pods {
		blocked, err := e.evictPod(ctx, p.Namespace, name, p.Grace, p.DryRun)
		switch {
		case blocked != "":
			errs = append(errs, refuse("a PodDisruptionBudget keeps pod %s/%s: %s", p.Namespace, name, blocked))
		case err != nil:
			errs = append(errs, err)
		case !p.DryRun:
			e.victimEvent(ctx, p.Namespace, name)
		}
	}
	return errors.Join(errs...)
}

func (e *Env) victimEvent(ctx context.Context, ns, pod string) {
	now := metav1.NewTime(e.now())
	ev := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{GenerateName: pod + ".gameday-", Namespace: ns},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: pod, APIVersion: "v1"},
		Reason:         "Killing", Message: "killed by gameday monkey", Type: corev1.EventTypeNormal,
		Source: corev1.EventSource{Component: "gameday-monkey"}, FirstTimestamp: now, LastTimestamp: now, Count: 1,
		ReportingController: "gameday.dev/monkey", ReportingInstance: e.User,
	}
	_, _ = e.Client.CoreV1().Events(ns).Create(ctx, ev, metav1.CreateOptions{}) // a mark, not the kill: its failure is not one
}
