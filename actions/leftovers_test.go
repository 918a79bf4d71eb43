package actions

import (
	"context"
	"path/filepath"
	"testing"

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
