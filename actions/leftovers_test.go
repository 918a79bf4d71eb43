package actions

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/gamedaylab/gameday/engines"
	"github.com/gamedaylab/gameday/revert"
)

// TestLegacyCleanupKeepsALiveRecord: reverting an older gameday's cordon mark lifts that mark only;
// a record a live session keeps on the same node holds its cordon.
func TestLegacyCleanupKeepsALiveRecord(t *testing.T) {
	live, _ := revert.With(nil, revert.Record{ID: "live1", Session: "s1", Kind: revert.KindCordon})
	live[revert.LegacyCordonAnnotation] = "old/alice"
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", Annotations: live}, Spec: corev1.NodeSpec{Unschedulable: true}}
	cs := fake.NewSimpleClientset(node)
	j, err := OpenJournal(filepath.Join(t.TempDir(), "j.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{Client: cs, Journal: j}
	legacy := Leftover{Legacy: true, Record: revert.Record{Kind: revert.KindCordon, Object: revert.Ref{Version: "v1", Resource: "nodes", Name: "n1"}}}
	if _, err := e.RevertLeftovers(context.Background(), []Leftover{legacy}); err != nil {
		t.Fatal(err)
	}
	n, _ := cs.CoreV1().Nodes().Get(context.Background(), "n1", metav1.GetOptions{})
	recs, _ := revert.Decode(n.Annotations[revert.Annotation])
	if !n.Spec.Unschedulable || len(recs) != 1 || recs[0].ID != "live1" || n.Annotations[revert.LegacyCordonAnnotation] != "" {
		t.Fatalf("node after the legacy cleanup: unschedulable %v, annotations %v", n.Spec.Unschedulable, n.Annotations)
	}
}

// TestTheStateFileIsRead (issue 29: it was written and never read): a dead session's local record
// that no object carries (the change never landed, or was undone) is dropped from its file; a live
// session's is kept, since it writes its record before its change.
func TestTheStateFileIsRead(t *testing.T) {
	dir := t.TempDir()
	cs := fake.NewSimpleClientset(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}})
	now := time.Now()
	renew := metav1.NewMicroTime(now)
	secs := int32(30)
	lease := &coordv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: revert.LeaseName("alive"), Namespace: "shop"},
		Spec: coordv1.LeaseSpec{RenewTime: &renew, LeaseDurationSeconds: &secs}}
	if _, err := cs.CoordinationV1().Leases("shop").Create(context.Background(), lease, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	node := revert.Ref{Version: "v1", Resource: "nodes", Name: "n1"}
	for _, r := range []revert.Record{
		{ID: "gone", Session: "dead", Lease: "shop/" + revert.LeaseName("dead"), Kind: revert.KindCordon, Object: node},
		{ID: "wait", Session: "alive", Lease: "shop/" + revert.LeaseName("alive"), Kind: revert.KindCordon, Object: node},
	} {
		st, err := revert.OpenState(dir, r.Session)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Put(r); err != nil {
			t.Fatal(err)
		}
	}
	e := &Env{Client: cs, Now: func() time.Time { return now }}
	if _, err := e.FindLeftovers(context.Background(), LeftoverQuery{StateDir: dir}); err != nil {
		t.Fatal(err)
	}
	recs, err := revert.ReadStates(dir)
	if err != nil || len(recs) != 1 || recs[0].ID != "wait" {
		t.Fatalf("state after the read: %+v %v, want only the live session's record", recs, err)
	}
}

// TestLeftoverLineSaysWhatWhereWhoseAndSinceWhen: the line names the change, its object, the session
// (or that there was none) and its user, its age, when it expires or expired, and, for a session
// that still looks alive, when it will count as dead.
func TestLeftoverLineSaysWhatWhereWhoseAndSinceWhen(t *testing.T) {
	now := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	vs := revert.Ref{Group: "networking.istio.io", Version: "v1", Resource: "virtualservices", Namespace: "shop", Name: "web"}
	fault := revert.Record{ID: "f1", Session: "s1", User: "alice", Kind: revert.KindFault, Object: vs, What: "fault abort 500 30%", At: now.Add(-90 * time.Second)}
	for _, c := range []struct {
		name string
		l    Leftover
		want string
	}{
		{"no end", Leftover{Record: fault}, fault.Kind + " " + vs.String() + ": fault abort 500 30% — session s1 (alice), 1m30s ago"},
		{"expires", Leftover{Record: with(fault, func(r *revert.Record) { r.Expires = now.Add(30 * time.Second) })}, ", expires in 30s"},
		{"expired", Leftover{Record: with(fault, func(r *revert.Record) { r.Expires = now.Add(-10 * time.Second) })}, ", expired 10s ago"},
		{"no session", Leftover{Record: with(fault, func(r *revert.Record) { r.Session, r.User = "", "" })}, "— a session without a heartbeat, 1m30s ago"},
		{"alive", Leftover{Record: fault, Alive: true, DeadAt: now.Add(20 * time.Second)},
			"; its session still looks alive: dead at " + now.Add(20*time.Second).Local().Format("15:04:05") + " (in 20s) unless it renews its heartbeat"},
	} {
		if got := c.l.Line(now); !strings.HasSuffix(got, c.want) {
			t.Errorf("%s: %q, want it to end with %q", c.name, got, c.want)
		}
	}
}

func with(r revert.Record, change func(*revert.Record)) revert.Record {
	change(&r)
	return r
}

// TestPauseEnginesPausesOnlyTheDeadSessionsNamespaces: the reaper's pause stops the other engines'
// experiments in the dead sessions' namespaces, leaves the others running, and journals what it
// stopped as cleanup; with nothing running there it says so.
func TestPauseEnginesPausesOnlyTheDeadSessionsNamespaces(t *testing.T) {
	gvr := schema.GroupVersionResource{Group: "litmuschaos.io", Version: "v1alpha1", Resource: "chaosengines"}
	engine := func(ns string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "litmuschaos.io/v1alpha1", "kind": "ChaosEngine",
			"metadata": map[string]any{"name": "nginx-chaos", "namespace": ns},
			"spec":     map[string]any{"engineState": "active", "appinfo": map[string]any{"appns": ns, "applabel": "app=nginx"}},
		}}
	}
	dyn := dynfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{gvr: "ChaosEngineList"}, engine("shop"), engine("billing"))
	disc := fake.NewSimpleClientset().Discovery().(*fakediscovery.FakeDiscovery)
	disc.Resources = []*metav1.APIResourceList{{GroupVersion: "litmuschaos.io/v1alpha1", APIResources: []metav1.APIResource{
		{Name: "chaosengines", Kind: "ChaosEngine", Namespaced: true}}}}
	tb := newTestbed(t, nil)
	tb.env.Engines = &engines.Client{Dyn: dyn, Discovery: disc}
	r, err := tb.env.PauseEngines(context.Background(), []string{"shop"})
	if err != nil || r.Entry.Action != "cleanup" || !slices.Equal(r.Entry.Targets, []string{"stopped ChaosEngine shop/nginx-chaos"}) ||
		r.Entry.Detail != "other chaos engines in the namespaces of dead sessions (shop): stopped ChaosEngine shop/nginx-chaos" {
		t.Fatalf("%+v %v", r, err)
	}
	for ns, want := range map[string]string{"shop": "stop", "billing": "active"} {
		u, err := dyn.Resource(gvr).Namespace(ns).Get(context.Background(), "nginx-chaos", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if state, _, _ := unstructured.NestedString(u.Object, "spec", "engineState"); state != want {
			t.Errorf("%s: engineState %q, want %q", ns, state, want)
		}
	}
	if tb.env.Engines.Scope != nil {
		t.Fatal("the session's own engine scope is left as it was")
	}
	r, err = tb.env.PauseEngines(context.Background(), []string{"shop"})
	if err != nil || len(r.Entry.Targets) != 0 || !strings.HasSuffix(r.Entry.Detail, "(shop): none running") {
		t.Fatalf("%+v %v", r, err)
	}
}
