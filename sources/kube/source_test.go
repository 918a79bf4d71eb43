package kube

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/model"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/watchlist"
)

// The first batch carries the pods without waiting for the events, which start after it and arrive
// in a later batch. (Unit test of the ordering on a fake clientset; the testbed tests run the real
// source against a real apiserver.)
func TestEventsStartAfterTheFirstBatch(t *testing.T) {
	var objs []runtime.Object
	for i := 0; i < 50; i++ {
		objs = append(objs, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("web-%d", i), Namespace: "demo"}})
	}
	objs = append(objs, &eventsv1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e1", Namespace: "demo"}, Reason: "Scheduled",
		Regarding: corev1.ObjectReference{Kind: "Pod", Name: "web-1"}})
	deltas := make(chan *model.ClusterDelta, 16)
	send := func(_ context.Context, m any) bool {
		if d, ok := m.(*model.ClusterDelta); ok {
			deltas <- d
		}
		return true
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	synced := make(chan struct{})
	src := New(fake.NewClientset(objs...), send, Options{Namespace: "demo", OnSynced: func() { close(synced) }})
	go src.Run(ctx)

	first := <-deltas
	if !first.Reset || len(first.Pods) != 50 || len(first.Events) != 0 {
		t.Fatalf("first batch: reset %v, %d pods, %d events; want the 50 pods and no events yet", first.Reset, len(first.Pods), len(first.Events))
	}
	select {
	case <-synced:
	case <-time.After(time.Second):
		t.Fatal("OnSynced was not called after the first batch")
	}
	deadline := time.After(3 * time.Second)
	for {
		select {
		case d := <-deltas:
			if len(d.Events) == 1 && d.Events[0].Reason == "Scheduled" {
				return
			}
		case <-deadline:
			t.Fatal("the event never arrived after the first batch")
		}
	}
}

// The informers' client asks for plain lists (see IsWatchListSemanticsUnSupported); embedding the
// base clientset must not hide that from client-go.
func TestTrimmingClientListsPlainly(t *testing.T) {
	c, err := WatchClient(&rest.Config{Host: "https://127.0.0.1:1"}, NewPacer(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if !watchlist.DoesClientNotSupportWatchListSemantics(c) {
		t.Fatal("client-go would use a streaming watch list with the trimming client")
	}
}
