package actions

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"

	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/revert"
)

func (tb *testbed) node(name string) *corev1.Node {
	tb.t.Helper()
	n, err := tb.cs.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		tb.t.Fatal(err)
	}
	return n
}

// drainOf is the drain of zone a as the plan makes it: web-1, web-2 and batch-1 to evict.
func drainOf(t *testing.T, tb *testbed) DrainProgress {
	t.Helper()
	st, err := tb.prepare("drain", shopWorld(), "zone a")
	if err != nil || st.Refusal != nil {
		t.Fatalf("%+v %v", st, err)
	}
	return DrainProgress{Plan: *st.Nodes, Started: tb.now, Blocked: map[string]string{}}
}

// TestDrainCordonsTheZoneEvictsItsPodsAndHALTUncordons: `:drain zone a` cordons n1 and n2 with its
// revert record on them, hands its progress to the session and registers the cordon for HALT; the
// next step evicts every pod on them and journals drain-done; HALT lifts the cordon and the record.
func TestDrainCordonsTheZoneEvictsItsPodsAndHALTUncordons(t *testing.T) {
	tb := newTestbed(t, &Guard{MinReady: 1})
	asked := tb.evictions(nil)
	st, err := tb.prepare("drain", shopWorld(), "zone a")
	if err != nil {
		t.Fatal(err)
	}
	np := st.Nodes
	if st.Refusal != nil || !st.Confirm || st.Verb() != "Drain" || !slices.Equal(np.Nodes, []string{"n1", "n2"}) ||
		!slices.Equal(np.Evict, []string{"shop/batch-1", "shop/web-1", "shop/web-2"}) || np.ReadyAfter != 1 {
		t.Fatalf("step %+v, nodes %+v", st, np)
	}
	in := &Injected{}
	var progress *DrainProgress
	r, err := Exec{Env: tb.env, Injected: in, Drain: func(p DrainProgress) { progress = &p }}.Do(context.Background(), st)
	if err != nil || r.Entry.Action != "drain" || !slices.Equal(r.Entry.Targets, []string{"node/n1", "node/n2"}) {
		t.Fatalf("%+v %v", r, err)
	}
	for _, n := range []string{"n1", "n2"} {
		node := tb.node(n)
		recs, _ := revert.Decode(node.Annotations[revert.Annotation])
		if !node.Spec.Unschedulable || len(recs) != 1 || recs[0].Kind != revert.KindCordon || recs[0].Object.Name != n {
			t.Fatalf("node %s: unschedulable %v, records %+v", n, node.Spec.Unschedulable, recs)
		}
	}
	if tb.node("n3").Spec.Unschedulable {
		t.Fatal("n3 is in zone b")
	}
	if progress == nil || progress.Done || len(*asked) != 0 || !slices.Equal(in.Pending(), []string{"cordon n1,n2"}) {
		t.Fatalf("progress %+v, evictions %d, injected %v", progress, len(*asked), in.Pending())
	}

	tb.now = tb.now.Add(3 * time.Second)
	pr, done := tb.env.DrainStep(context.Background(), *progress)
	if done == nil || !pr.Done || len(pr.Blocked) != 0 || pr.Err != "" {
		t.Fatalf("progress %+v, result %+v", pr, done)
	}
	if got := tb.podNames(); !slices.Equal(got, []string{"web-3"}) {
		t.Fatalf("pods left %v", got)
	}
	e := done.Entry
	if e.Action != "drain-done" || e.Result != ResultOK || e.Detail != "zone a: evicted 3/3 in 3s" || !slices.Equal(e.Targets, []string{"node/n1", "node/n2"}) {
		t.Fatalf("entry %+v", e)
	}

	if _, err := in.RevertAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"n1", "n2"} {
		if node := tb.node(n); node.Spec.Unschedulable || node.Annotations[revert.Annotation] != "" {
			t.Fatalf("node %s after HALT: unschedulable %v, annotations %v", n, node.Spec.Unschedulable, node.Annotations)
		}
	}
	if got := tb.entries(); len(got) != 2 || got[0].Action != "drain" || got[1].Action != "drain-done" {
		t.Fatalf("journal %+v", got)
	}
}

// TestDrainRetriesWhatADisruptionBudgetHoldsBack: a pod a PDB protects (429) is blocked with the
// budget's reason and not the end of the drain; the next step evicts only it.
func TestDrainRetriesWhatADisruptionBudgetHoldsBack(t *testing.T) {
	tb := newTestbed(t, nil)
	blocked := map[string]bool{"shop/web-1": true}
	asked := tb.evictions(blocked)
	pr, done := tb.env.DrainStep(context.Background(), drainOf(t, tb))
	if done != nil || pr.Done {
		t.Fatalf("a blocked drain is not done: %+v", done)
	}
	if why := pr.Blocked["shop/web-1"]; why != "disruption budget: Cannot evict pod as it would violate the pod's disruption budget" || len(pr.Blocked) != 1 {
		t.Fatalf("blocked %v", pr.Blocked)
	}
	if !slices.Equal(pr.Evicted, []string{"shop/batch-1", "shop/web-2"}) || !slices.Contains(tb.podNames(), "web-1") {
		t.Fatalf("evicted %v, pods %v", pr.Evicted, tb.podNames())
	}
	delete(blocked, "shop/web-1")
	tb.now = tb.now.Add(10 * time.Second)
	pr, done = tb.env.DrainStep(context.Background(), pr)
	if done == nil || done.Entry.Result != ResultOK || done.Entry.Detail != "zone a: evicted 3/3 in 10s" {
		t.Fatalf("%+v", done)
	}
	if len(*asked) != 4 || (*asked)[3].Name != "web-1" {
		t.Fatalf("%d evictions, want the 3 of the first step and web-1 again", len(*asked))
	}
}

// TestDrainGivesUpAfterItsTimeout: once the drain's timeout has passed, a pod still held back ends
// it with an error entry that says how many were not evicted.
func TestDrainGivesUpAfterItsTimeout(t *testing.T) {
	tb := newTestbed(t, nil)
	tb.evictions(map[string]bool{"shop/web-1": true})
	pr := drainOf(t, tb)
	tb.now = tb.now.Add(pr.Plan.Timeout + time.Second)
	pr, done := tb.env.DrainStep(context.Background(), pr)
	if done == nil || !pr.Done || done.Entry.Result != ResultError {
		t.Fatalf("%+v %+v", pr, done)
	}
	if want := "1 pod(s) not evicted after 2m0s"; !strings.Contains(done.Entry.Error, want) || !strings.Contains(pr.Err, want) {
		t.Fatalf("entry error %q, progress error %q", done.Entry.Error, pr.Err)
	}
	if done.Entry.Detail != "zone a: evicted 2/3 in 2m1s" {
		t.Fatalf("detail %q", done.Entry.Detail)
	}
}

// TestDrainCountsAPodAlreadyGoneAsEvicted: an eviction answered 404 is a pod that left by itself.
func TestDrainCountsAPodAlreadyGoneAsEvicted(t *testing.T) {
	tb := newTestbed(t, nil)
	tb.evictions(nil)
	pr := drainOf(t, tb)
	pr.Plan.Evict = append(pr.Plan.Evict, "shop/ghost")
	pr, done := tb.env.DrainStep(context.Background(), pr)
	if done == nil || done.Entry.Result != ResultOK || !slices.Contains(pr.Evicted, "shop/ghost") {
		t.Fatalf("%+v %+v", pr, done)
	}
}

// TestDrainNamesAnEvictionItCouldNotAsk: a refusal that no retry can change (RBAC here) ends the
// drain at once, after the other pods are evicted, with the API's error, not as a budget's hold.
func TestDrainNamesAnEvictionItCouldNotAsk(t *testing.T) {
	tb := newTestbed(t, nil)
	tb.evictions(nil)
	tb.cs.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() == "eviction" && a.(k8stesting.CreateAction).GetObject().(metav1.Object).GetName() == "web-2" {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods/eviction"}, "web-2", errors.New("no RBAC"))
		}
		return false, nil, nil
	})
	pr, done := tb.env.DrainStep(context.Background(), drainOf(t, tb))
	if why := pr.Blocked["shop/web-2"]; !strings.HasPrefix(why, "evict pod shop/web-2: ") || !strings.Contains(why, "forbidden") {
		t.Fatalf("blocked %v", pr.Blocked)
	}
	if done == nil || !pr.Done || len(pr.Evicted) != 2 {
		t.Fatalf("a forbidden eviction waits for the timeout: done %+v, evicted %v", done, pr.Evicted)
	}
	if e := done.Entry.Error; !strings.Contains(e, "1 pod(s) not evicted") || !strings.Contains(e, "forbidden") || strings.Contains(e, "budget") {
		t.Fatalf("entry error %q", e)
	}
}

// TestDrainAtItsTimeoutSaysWhatHeldEachBack: at the timeout, pods a budget held and pods the API
// refused for another reason are told apart.
func TestDrainAtItsTimeoutSaysWhatHeldEachBack(t *testing.T) {
	tb := newTestbed(t, nil)
	tb.evictions(map[string]bool{"shop/web-1": true})
	tb.cs.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() == "eviction" && a.(k8stesting.CreateAction).GetObject().(metav1.Object).GetName() == "web-2" {
			return true, nil, apierrors.NewServiceUnavailable("etcd leader changed")
		}
		return false, nil, nil
	})
	pr := drainOf(t, tb)
	if _, done := tb.env.DrainStep(context.Background(), pr); done != nil {
		t.Fatalf("a budget's hold and an unavailable apiserver are retried: %+v", done)
	}
	tb.now = tb.now.Add(pr.Plan.Timeout + time.Second)
	pr, done := tb.env.DrainStep(context.Background(), pr)
	if done == nil || !pr.Done {
		t.Fatalf("%+v %+v", pr, done)
	}
	if e := done.Entry.Error; !strings.Contains(e, "2 pod(s) not evicted after 2m0s") || !strings.Contains(e, "1 held by disruption budgets") || !strings.Contains(e, "etcd leader changed") {
		t.Fatalf("entry error %q", e)
	}
}

// TestDryRunDrainOnlyValidates: a dry-run drain's evictions carry dryRun=All, no pod goes, and the
// journal says "would evict".
func TestDryRunDrainOnlyValidates(t *testing.T) {
	tb := newTestbed(t, &Guard{DryRun: true})
	asked := tb.evictions(nil)
	pr, done := tb.env.DrainStep(context.Background(), drainOf(t, tb))
	if done == nil || done.Entry.Result != ResultDryRun || done.Entry.Detail != "zone a: would evict 3/3 in 0s" {
		t.Fatalf("%+v", done)
	}
	for _, ev := range *asked {
		if ev.DeleteOptions == nil || !slices.Equal(ev.DeleteOptions.DryRun, []string{metav1.DryRunAll}) {
			t.Fatalf("eviction of %s without dryRun", ev.Name)
		}
	}
	if len(tb.podNames()) != 4 || len(pr.Evicted) != 3 {
		t.Fatalf("pods %v, evicted %v", tb.podNames(), pr.Evicted)
	}
}

// TestStopDrainEndsItAndJournalsWhy: HALT ends a drain half done; its entry is refused, says how far
// it got and who stopped it.
func TestStopDrainEndsItAndJournalsWhy(t *testing.T) {
	tb := newTestbed(t, nil)
	pr := drainOf(t, tb)
	pr.Evicted = []string{"shop/web-1"}
	pr, r := tb.env.StopDrain(pr, "HALT")
	if !pr.Done || r.Entry.Result != ResultRefused || r.Entry.Action != "drain-done" || !strings.Contains(pr.Err, "drain stopped by HALT") {
		t.Fatalf("%+v %+v", pr, r)
	}
	if r.Entry.Detail != "zone a: evicted 1/3, then stopped: HALT" {
		t.Fatalf("detail %q", r.Entry.Detail)
	}
	if len(tb.entries()) != 1 || len(tb.cs.Actions()) != 0 {
		t.Fatalf("journal %+v, cluster actions %v", tb.entries(), tb.cs.Actions())
	}
}

// TestDrainOfAZoneWithoutNodesIsRefused: a zone no node is in is refused before anything is cordoned.
func TestDrainOfAZoneWithoutNodesIsRefused(t *testing.T) {
	tb := newTestbed(t, nil)
	st, err := tb.prepare("drain", shopWorld(), "zone z")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Exec{Env: tb.env}.Do(context.Background(), st)
	if !errors.Is(err, model.ErrRefused) || !strings.Contains(r.Entry.Error, "no node matches zone z") || len(tb.cs.Actions()) != 0 {
		t.Fatalf("%+v %v, actions %v", r, err, tb.cs.Actions())
	}
}
