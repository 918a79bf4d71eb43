package actions

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// Env is what actions run with. One Env per cockpit; its fields are set once at start.
type Env struct {
	Client  kubernetes.Interface
	Context string // kube context name, for the journal
	User    string
	Guard   *Guard
	Journal *Journal
	Load    load.Driver
	Now     func() time.Time
	Timeout time.Duration
	// KillGrace is the grace period of kills (--grace); nil leaves the pod's own.
	KillGrace *int64

	mu  sync.Mutex
	rng *rand.Rand
}

// SetSeed makes random victim choice reproducible (tests, the seeded demo).
func (e *Env) SetSeed(seed int64) {
	e.mu.Lock()
	e.rng = rand.New(rand.NewSource(seed))
	e.mu.Unlock()
}

func (e *Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Env) shuffle(n int, swap func(i, j int)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.rng == nil {
		e.rng = rand.New(rand.NewSource(time.Now().UnixNano()))
	}
	e.rng.Shuffle(n, swap)
}

// Result is what every action returns: the journal entry as written. Err repeats the returned error
// for callers that pass the result on as one value (the cockpit's message).
type Result struct {
	Entry Entry
	Err   string `json:"err,omitempty"` // the error as text: events cross the bus and recordings as JSON
}

// Plan is a destructive action worked out before it runs: exactly what it hits and what remains.
// The confirm dialog shows it; Run executes it.
type Plan struct {
	Action      string // kill, scale
	Namespace   string
	Workload    string
	Pods        []string // pods to delete (kill)
	Replicas    int32    // the new replica count (scale)
	From        int32
	ReadyBefore int
	ReadyAfter  int
	Grace       *int64
	Force       bool
	DryRun      bool
	Warnings    []string
	// Refusal is set when the safety rules forbid the plan; it cannot be confirmed. It is not encoded:
	// the journal entry of a refused plan carries it as text.
	Refusal error `json:"-"`
}

// Summary is the one-line description used by the dialog title and the journal.
func (p Plan) Summary() string {
	switch p.Action {
	case "kill":
		noun := "pods"
		if len(p.Pods) == 1 {
			noun = "pod"
		}
		return fmt.Sprintf("kill %d %s of deploy/%s in %s", len(p.Pods), noun, p.Workload, p.Namespace)
	case "scale":
		return fmt.Sprintf("scale deploy/%s in %s from %d to %d", p.Workload, p.Namespace, p.From, p.Replicas)
	case "restart":
		return fmt.Sprintf("rollout restart deploy/%s in %s", p.Workload, p.Namespace)
	}
	return p.Action
}

// Targets are the objects the plan hits, for the journal.
func (p Plan) Targets() []string {
	if p.Action == "kill" {
		out := make([]string, len(p.Pods))
		for i, n := range p.Pods {
			out[i] = "pod/" + n
		}
		return out
	}
	return []string{"deploy/" + p.Workload}
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

// PlanScale plans a change of replicas by delta. An HPA on the target will fight a manual scale:
// the plan says so.
func (e *Env) PlanScale(namespace string, d model.Deployment, delta int32, hpa *model.HPA) Plan {
	p := Plan{Action: "scale", Namespace: namespace, Workload: d.Name, From: d.Desired, Replicas: d.Desired + delta,
		ReadyBefore: int(d.Ready)}
	if e.Guard != nil {
		p.DryRun = e.Guard.DryRun
	}
	if p.Replicas < 0 {
		p.Replicas = 0
	}
	p.ReadyAfter = int(d.Ready)
	if int(p.Replicas) < p.ReadyAfter {
		p.ReadyAfter = int(p.Replicas)
	}
	if hpa != nil {
		p.Warnings = append(p.Warnings, fmt.Sprintf("HPA %s manages this Deployment (min %d, max %d): it will move replicas back at its next sync",
			hpa.Name, hpa.Min, hpa.Max))
	}
	switch {
	case p.Replicas == p.From:
		p.Refusal = fmt.Errorf("%w: deploy/%s already has %d replicas", model.ErrRefused, d.Name, p.From)
	default:
		if err := e.Guard.Check(namespace); err != nil {
			p.Refusal = err
		} else if err := e.Guard.CheckRemaining(p.ReadyAfter, p.ReadyBefore, false); err != nil {
			p.Refusal = err
		}
	}
	return p
}

// Run executes a plan and journals it. A refused plan is journaled and returned as refused.
func (e *Env) Run(ctx context.Context, p Plan) (Result, error) {
	entry := Entry{Time: e.now(), Context: e.Context, User: e.User, Action: p.Action, Targets: p.Targets(),
		DryRun: p.DryRun, Detail: p.Summary()}
	var err error
	if p.Refusal != nil {
		err = p.Refusal
	} else {
		ctx, cancel := context.WithTimeout(ctx, e.timeout())
		defer cancel()
		switch p.Action {
		case "kill":
			err = e.kill(ctx, p)
		case "scale":
			err = e.scale(ctx, p)
		case "restart":
			err = e.restart(ctx, p)
		default:
			err = fmt.Errorf("unknown action %q", p.Action)
		}
	}
	return e.record(entry, err)
}

// record finishes an entry from err, writes it, and makes the result.
func (e *Env) record(entry Entry, err error) (Result, error) {
	switch {
	case err != nil && errors.Is(err, model.ErrRefused):
		entry.Result, entry.Error = ResultRefused, err.Error()
	case err != nil:
		entry.Result, entry.Error = ResultError, err.Error()
	case entry.DryRun:
		entry.Result = ResultDryRun
	default:
		entry.Result = ResultOK
	}
	if jerr := e.Journal.Append(entry); jerr != nil && err == nil {
		err = jerr
	}
	return Result{Entry: entry, Err: model.ErrText(err)}, err
}

// Record journals an entry that no plan made (a load run that ended by itself, a recovery measured
// by the session) with err as its outcome.
func (e *Env) Record(entry Entry, err error) (Result, error) {
	if entry.Context == "" {
		entry.Context, entry.User = e.Context, e.User
	}
	return e.record(entry, err)
}

func (e *Env) timeout() time.Duration {
	if e.Timeout > 0 {
		return e.Timeout
	}
	return 15 * time.Second
}

func (e *Env) dryRun(p Plan) []string {
	if p.DryRun {
		return []string{metav1.DryRunAll}
	}
	return nil
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

func (e *Env) scale(ctx context.Context, p Plan) error {
	patch := []byte(fmt.Sprintf(`{"spec":{"replicas":%d}}`, p.Replicas))
	_, err := e.Client.AppsV1().Deployments(p.Namespace).Patch(ctx, p.Workload, types.MergePatchType, patch,
		metav1.PatchOptions{DryRun: e.dryRun(p)}, "scale")
	if err != nil {
		return fmt.Errorf("scale deploy/%s in %s: %w", p.Workload, p.Namespace, err)
	}
	return nil
}
