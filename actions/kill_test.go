package actions

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedaylab/gameday/model"
)

// TestKillDeletesTheChosenPodsAndJournalsThem: `:kill 2` deletes exactly the two pods its plan names,
// of the target only, and journals them as its targets with the plan's summary.
func TestKillDeletesTheChosenPodsAndJournalsThem(t *testing.T) {
	tb := newTestbed(t, &Guard{MinReady: 1})
	st, err := tb.prepare("kill", shopWorld(), "2")
	if err != nil {
		t.Fatal(err)
	}
	if !st.Confirm || st.Refusal != nil || st.Verb() != "Kill" || len(st.Plan.Pods) != 2 || st.Plan.ReadyAfter != 1 {
		t.Fatalf("plan: %+v, verb %q", st.Plan, st.Verb())
	}
	r, err := Exec{Env: tb.env}.Do(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	left := tb.podNames()
	for _, victim := range st.Plan.Pods {
		if slices.Contains(left, victim) || !strings.HasPrefix(victim, "web-") {
			t.Fatalf("victims %v, pods left %v", st.Plan.Pods, left)
		}
	}
	if len(left) != 2 || !slices.Contains(left, "batch-1") {
		t.Fatalf("pods left %v: want one web pod and batch-1", left)
	}
	want := []string{"pod/" + st.Plan.Pods[0], "pod/" + st.Plan.Pods[1]}
	e := r.Entry
	if e.Action != "kill" || e.Result != ResultOK || !slices.Equal(e.Targets, want) || e.Detail != "kill 2 random pods of deploy/web in shop" ||
		e.Context != "kind-shop" || e.User != "alice" || !e.Time.Equal(tb.now) || e.Actor != "" {
		t.Fatalf("entry %+v, want targets %v", e, want)
	}
	if j := tb.entries(); len(j) != 1 || !slices.Equal(j[0].Targets, want) {
		t.Fatalf("journal %+v", j)
	}
}

// TestKillOfTheSelectedPodDeletesOnlyIt: pod/NAME (the cockpit's cursor) kills that pod of the target
// and nothing else, and counts it out of the target's ready replicas.
func TestKillOfTheSelectedPodDeletesOnlyIt(t *testing.T) {
	tb := newTestbed(t, &Guard{MinReady: 1})
	st, err := tb.prepare("kill", shopWorld(), "pod/web-2")
	if err != nil {
		t.Fatal(err)
	}
	p := st.Plan
	if st.Refusal != nil || !p.Selected || p.ReadyBefore != 3 || p.ReadyAfter != 2 || p.Desired != 3 ||
		st.Summary != "kill the selected pod web-2 of deploy/web in shop" || !strings.Contains(st.Detail, "• pod/web-2") {
		t.Fatalf("step %+v, plan %+v", st, p)
	}
	if _, err := (Exec{Env: tb.env}).Do(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	if got := tb.podNames(); !slices.Equal(got, []string{"batch-1", "web-1", "web-3"}) {
		t.Fatalf("pods left %v", got)
	}
}

// TestKillOfOnePodWithItsGrace: pod/NAME grace SECONDS deletes that pod with that grace period (a
// Chaos Toolkit terminate_pods with grace_period).
func TestKillOfOnePodWithItsGrace(t *testing.T) {
	tb := newTestbed(t, &Guard{MinReady: 1})
	st, err := tb.prepare("kill", shopWorld(), "pod/web-2 grace 0")
	if err != nil {
		t.Fatal(err)
	}
	if st.Plan.Grace == nil || *st.Plan.Grace != 0 || !strings.Contains(st.Detail, "grace 0s") {
		t.Fatalf("plan %+v, detail %q", st.Plan, st.Detail)
	}
}

// TestKillOfASelectedPodWithoutATargetHasNoFloor: with no target the cursor's pod belongs to no
// workload whose minimum the guard keeps: it is killed however high the minimum.
func TestKillOfASelectedPodWithoutATargetHasNoFloor(t *testing.T) {
	tb := newTestbed(t, &Guard{MinReady: 5})
	w := shopWorld()
	w.Target = ""
	st, err := tb.prepare("kill", w, "pod/batch-1")
	if err != nil {
		t.Fatal(err)
	}
	if st.Refusal != nil || st.Summary != "kill the selected pod batch-1 in shop" {
		t.Fatalf("%+v", st)
	}
	if r, err := (Exec{Env: tb.env}).Do(context.Background(), st); err != nil || r.Entry.Targets[0] != "pod/batch-1" {
		t.Fatalf("%+v %v", r, err)
	}
	if got := tb.podNames(); slices.Contains(got, "batch-1") || len(got) != 3 {
		t.Fatalf("pods left %v", got)
	}
}

// TestSelectedPodKillSaysWhyItCannot: a pod that is not there or not the target's is bad input; a
// terminating pod, the last ready replicas above the floor, a protected namespace and read-only mode
// are refusals naming their reason; ! forces past the floor only.
func TestSelectedPodKillSaysWhyItCannot(t *testing.T) {
	for _, c := range []struct {
		name, args string
		guard      *Guard
		world      func(w *World)
		err        string // bad input
		refusal    string
	}{
		{name: "missing", args: "pod/nope", err: `pod/nope not found in namespace "shop"`},
		{name: "empty", args: "pod/", err: "not found"},
		{name: "not the target's", args: "pod/batch-1", err: "pod/batch-1 is not a pod of the target deploy/web"},
		{name: "target gone", args: "pod/web-1", world: func(w *World) { delete(w.Cluster.Deployments, "shop/web") }, err: "deploy/web not found"},
		{name: "terminating", args: "pod/web-1", world: func(w *World) { w.Cluster.Pods["shop/web-1"].Deleting = time.Now() },
			refusal: "pod/web-1 is already terminating"},
		{name: "floor", args: "pod/web-1", guard: &Guard{MinReady: 3}, refusal: "would leave 2 ready of 3, below the minimum of 3"},
		{name: "protected", args: "pod/web-1", guard: &Guard{Protected: map[string]bool{"shop": true}}, refusal: `namespace "shop" is protected`},
		{name: "read-only", args: "pod/web-1!", guard: &Guard{ReadOnly: true}, refusal: "read-only mode"},
		{name: "forced past the floor", args: "pod/web-1!", guard: &Guard{MinReady: 3}},
		{name: "grace and force", args: "pod/web-1! grace 5s"},
		{name: "a count after the pod", args: "pod/web-1 3", err: "after pod/NAME only grace SECONDS may follow"},
		{name: "a bad grace", args: "pod/web-1 grace -1", err: "grace"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tb := newTestbed(t, c.guard)
			w := shopWorld()
			if c.world != nil {
				c.world(&w)
			}
			st, err := tb.prepare("kill", w, c.args)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.refusal == "" {
				if st.Refusal != nil || !st.Plan.Force || !st.Confirm || !strings.Contains(st.Detail, "FORCED") {
					t.Fatalf("forced: %+v", st)
				}
				return
			}
			if !errors.Is(st.Refusal, model.ErrRefused) || !strings.Contains(st.Refusal.Error(), c.refusal) || st.Confirm {
				t.Fatalf("refusal %v (confirm %v), want %q", st.Refusal, st.Confirm, c.refusal)
			}
		})
	}
}

// TestRefusedKillDeletesNothingAndIsJournaledAsRefused: a refused plan that is run anyway asks the
// cluster nothing and leaves a refused entry carrying the reason.
func TestRefusedKillDeletesNothingAndIsJournaledAsRefused(t *testing.T) {
	tb := newTestbed(t, &Guard{ReadOnly: true})
	st, err := tb.prepare("killMany", shopWorld(), "all!")
	if err != nil {
		t.Fatal(err)
	}
	if st.Confirm || st.Refusal == nil {
		t.Fatalf("a read-only kill must be refused, not asked: %+v", st)
	}
	r, err := Exec{Env: tb.env}.Do(context.Background(), st)
	if !errors.Is(err, model.ErrRefused) || r.Entry.Result != ResultRefused || !strings.Contains(r.Entry.Error, "read-only") || !strings.Contains(r.Err, "read-only") {
		t.Fatalf("%+v %v", r, err)
	}
	if d := tb.deletes("pods"); len(d) != 0 || len(tb.podNames()) != 4 {
		t.Fatalf("deletes %v, pods %v", d, tb.podNames())
	}
	if j := tb.entries(); len(j) != 1 || j[0].Result != ResultRefused {
		t.Fatalf("journal %+v", j)
	}
}

// TestDryRunKillOnlyAsksTheServerToValidate: in dry-run mode each delete carries dryRun=All, no pod
// goes, the confirm says so on its button and in its text, and the journal says dry-run.
func TestDryRunKillOnlyAsksTheServerToValidate(t *testing.T) {
	tb := newTestbed(t, &Guard{DryRun: true, MinReady: 1})
	tb.honourDryRun()
	st, err := tb.prepare("kill", shopWorld(), "2")
	if err != nil {
		t.Fatal(err)
	}
	if st.Verb() != "Kill (dry-run)" || !strings.Contains(st.Detail, "DRY-RUN") {
		t.Fatalf("verb %q, detail %q", st.Verb(), st.Detail)
	}
	r, err := Exec{Env: tb.env}.Do(context.Background(), st)
	if err != nil || r.Entry.Result != ResultDryRun || !r.Entry.DryRun {
		t.Fatalf("%+v %v", r, err)
	}
	d := tb.deletes("pods")
	if len(d) != 2 {
		t.Fatalf("%d deletes, want 2", len(d))
	}
	for _, a := range d {
		if !slices.Equal(a.DeleteOptions.DryRun, []string{metav1.DryRunAll}) {
			t.Fatalf("delete of %s without dryRun: %+v", a.Name, a.DeleteOptions)
		}
	}
	if len(tb.podNames()) != 4 {
		t.Fatalf("a dry run deleted pods: %v", tb.podNames())
	}
}

// TestKillSendsTheGracePeriod: "grace 0" deletes at once; without it the session's --grace applies,
// and the confirm says which.
func TestKillSendsTheGracePeriod(t *testing.T) {
	tb := newTestbed(t, nil)
	five := int64(5)
	tb.env.KillGrace = &five
	for args, want := range map[string]int64{"1 grace 0": 0, "1": 5} {
		st, err := tb.prepare("kill", shopWorld(), args)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(st.Detail, "Deletion: grace "+map[int64]string{0: "0s", 5: "5s"}[want]) {
			t.Fatalf("%q: detail %q", args, st.Detail)
		}
		if _, err := (Exec{Env: tb.env}).Do(context.Background(), st); err != nil {
			t.Fatal(err)
		}
		d := tb.deletes("pods")
		last := d[len(d)-1].DeleteOptions.GracePeriodSeconds
		if last == nil || *last != want {
			t.Fatalf("%q: grace %v, want %d", args, last, want)
		}
	}
}

// TestKillReportsEachPodItCouldNotDelete: a plan run with Env.Run deletes what it can and names each
// pod it could not in an error entry.
func TestKillReportsEachPodItCouldNotDelete(t *testing.T) {
	tb := newTestbed(t, nil)
	p := tb.env.PlanKillPod("shop", "", nil, model.Pod{Namespace: "shop", Name: "web-1", Ready: true}, false)
	p.Pods = append(p.Pods, "ghost")
	r, err := tb.env.Run(context.Background(), p)
	if err == nil || !strings.Contains(err.Error(), "delete pod shop/ghost") || r.Entry.Result != ResultError {
		t.Fatalf("%+v %v", r, err)
	}
	if slices.Contains(tb.podNames(), "web-1") {
		t.Fatalf("web-1 should be deleted: %v", tb.podNames())
	}
	if !slices.Equal(r.Entry.Targets, []string{"pod/web-1", "pod/ghost"}) {
		t.Fatalf("targets %v", r.Entry.Targets)
	}
}

// TestRunRefusesWhatIsNotAnAction: Env.Run of an unknown action, and a workload step that lost its
// plan, are journaled errors that touch nothing.
func TestRunRefusesWhatIsNotAnAction(t *testing.T) {
	tb := newTestbed(t, nil)
	r, err := tb.env.Run(context.Background(), Plan{Action: "explode", Namespace: "shop", Workload: "web"})
	if err == nil || !strings.Contains(err.Error(), `unknown action "explode"`) || r.Entry.Result != ResultError {
		t.Fatalf("%+v %v", r, err)
	}
	st, err := tb.prepare("kill", shopWorld(), "1")
	if err != nil {
		t.Fatal(err)
	}
	st.Plan = nil
	r, err = Exec{Env: tb.env}.Do(context.Background(), st)
	if err == nil || !strings.Contains(err.Error(), "internal error: kill step without a plan") {
		t.Fatalf("%+v %v", r, err)
	}
	if len(tb.deletes("pods")) != 0 || len(tb.entries()) != 2 {
		t.Fatalf("deletes %v, journal %+v", tb.deletes("pods"), tb.entries())
	}
}
