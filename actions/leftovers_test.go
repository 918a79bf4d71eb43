package actions

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

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
