package actions

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"time"

	"github.com/gamedaylab/gameday/engines"
	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
	// RevertTimeout bounds all of HALT's reverts together (safety.revertTimeout, --revert-timeout):
	// each revert gets a fair share of what is left, so one that hangs cannot starve the others.
	RevertTimeout time.Duration
	// KillGrace is the grace period of kills (--grace); nil leaves the pod's own.
	KillGrace *int64
	// Mesh reaches Istio's VirtualServices (nil when the cluster serves none).
	Mesh *Mesh
	// Records is where revert records go before a change (nil: changes carry no session record).
	Records *Records
	// Engines are the cluster's other chaos engines (Chaos Mesh, Litmus) that HALT pauses (nil: none).
	Engines *engines.Client

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
	// Timed is set when the session times this action's recovery: a "recovery" entry follows it
	// (the cockpit counts "recovering" on it, whatever the action: a kill, the monkey's kill).
	Timed bool `json:"timed,omitempty"`
}

// Plan is a destructive action worked out before it runs: exactly what it hits and what remains.
// The confirm dialog shows it; Run executes it.
type Plan struct {
	Action      Name // Kill, Scale, MonkeyKill
	Namespace   string
	Workload    string
	Pods        []string // pods to delete (kill)
	Replicas    int32    // the new replica count (scale)
	From        int32
	ReadyBefore int
	ReadyAfter  int
	// Desired is the workload's desired replicas when it is known (the disruption cap's base).
	Desired int32
	Grace   *int64
	Force   bool
	// Selected is set when a person picked the pod (the cursor), not chance.
	Selected bool
	DryRun   bool
	Warnings []string
	// Refusal is set when the safety rules forbid the plan; it cannot be confirmed. It is not encoded:
	// the journal entry of a refused plan carries it as text.
	Refusal error `json:"-"`
}

// Summary is the one-line description used by the dialog title and the journal.
func (p Plan) Summary() string {
	switch p.Action {
	case Kill:
		noun := "pods"
		if len(p.Pods) == 1 {
			noun = "pod"
		}
		switch {
		case p.Selected && p.Workload == "":
			return fmt.Sprintf("kill the selected pod %s in %s", p.Pods[0], p.Namespace)
		case p.Selected:
			return fmt.Sprintf("kill the selected pod %s of deploy/%s in %s", p.Pods[0], p.Workload, p.Namespace)
		}
		return fmt.Sprintf("kill %d random %s of deploy/%s in %s", len(p.Pods), noun, p.Workload, p.Namespace)
	case Scale:
		return fmt.Sprintf("scale deploy/%s in %s from %d to %d", p.Workload, p.Namespace, p.From, p.Replicas)
	case Restart:
		return fmt.Sprintf("rollout restart deploy/%s in %s", p.Workload, p.Namespace)
	case MonkeyKill:
		return fmt.Sprintf("monkey: evict %s of deploy/%s in %s", strings.Join(p.Pods, ", "), p.Workload, p.Namespace)
	}
	return string(p.Action)
}

// Targets are the objects the plan hits, for the journal.
func (p Plan) Targets() []string {
	if p.Action == Kill || p.Action == MonkeyKill {
		out := make([]string, len(p.Pods))
		for i, n := range p.Pods {
			out[i] = "pod/" + n
		}
		return out
	}
	return []string{"deploy/" + p.Workload}
}

// runPlan executes a plan with do and journals it. A refused plan is journaled and returned as refused.
func (e *Env) runPlan(ctx context.Context, p Plan, do func(context.Context, Plan) error) (Result, error) {
	entry := Entry{Time: e.now(), Context: e.Context, User: e.User, Action: p.Action, Targets: p.Targets(),
		DryRun: p.DryRun, Detail: p.Summary()}
	if p.Action == MonkeyKill {
		entry.Actor = ActorMonkey
	}
	var err error
	if p.Refusal != nil {
		err = p.Refusal
	} else {
		ctx, cancel := context.WithTimeout(ctx, e.timeout())
		defer cancel()
		err = do(ctx, p)
	}
	return e.record(entry, err)
}

// runWith is the Run of a workload action (kill, scale, restart) whose call is do.
func runWith(do func(e *Env, ctx context.Context, p Plan) error) func(context.Context, Exec, Step) (Result, error) {
	return func(ctx context.Context, x Exec, st Step) (Result, error) {
		if st.Plan == nil {
			return x.Env.record(Entry{Time: x.Env.now(), Action: st.Action}, fmt.Errorf("internal error: %s step without a plan", st.Action))
		}
		return x.Env.runPlan(ctx, *st.Plan, func(ctx context.Context, p Plan) error { return do(x.Env, ctx, p) })
	}
}

// planStep makes a workload plan a step: head lists what it hits, confirm says whether a person must
// say yes (a refused plan is never asked: it is journaled as refused).
func (e *Env) planStep(p Plan, head string, confirm bool) Step {
	if p.Refusal == nil {
		p.Refusal = e.Guard.CheckDisrupted(p)
	}
	return Step{Action: p.Action, Summary: p.Summary(), Detail: planText(p, head, e.Guard), Confirm: confirm && p.Refusal == nil,
		DryRun: p.DryRun, Refusal: p.Refusal, Plan: &p}
}

// planText lists exactly what a plan will hit and what remains.
func planText(p Plan, head string, guard *Guard) string {
	var b strings.Builder
	b.WriteString(head)
	minReady := 0
	if guard != nil {
		minReady = guard.MinReady
	}
	b.WriteString(fmt.Sprintf("Ready replicas: %d → %d (minimum %d)", p.ReadyBefore, p.ReadyAfter, minReady))
	if p.Force {
		b.WriteString("  FORCED past the minimum")
	}
	for _, w := range p.Warnings {
		b.WriteString("\n! " + w)
	}
	if p.DryRun {
		b.WriteString("\nDRY-RUN: the API server validates the request, nothing changes.")
	}
	return b.String()
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
