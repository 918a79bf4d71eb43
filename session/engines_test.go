package session

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/engines"
	"github.com/gamedaylab/gameday/testbed"
)

// TestOtherChaosEngines: with Chaos Mesh's CRDs on the real apiserver, the session lists its
// experiments (kind, target, age), flags one held by a finalizer as stuck once it has been deleting
// for over a minute, and HALT pauses the running ones that touch its namespace with Chaos Mesh's
// annotation and says so; one of another namespace is left alone.
func TestOtherChaosEngines(t *testing.T) {
	k := testbed.SharedKube(t)
	testbed.ChaosMeshCRDs(t, k)
	ns := k.Namespace(t, "chaosmesh")
	for _, x := range []struct{ kind, name, extra string }{
		{"PodChaos", "kill-web", "  action: pod-kill\n"},
		{"NetworkChaos", "slow-db", "  action: delay\n  delay: {latency: 100ms}\n"},
		{"PodChaos", "held", "  action: pod-failure\n  duration: 30s\n"},
	} {
		fin := ""
		if x.name == "held" {
			fin = "  finalizers: [test.gameday.dev/hold]\n"
		}
		k.KubectlApply(t, fmt.Sprintf(`apiVersion: chaos-mesh.org/v1alpha1
kind: %s
metadata:
  name: %s
  namespace: %s
%sspec:
%s  mode: one
  selector:
    namespaces: [%s]
    labelSelectors: {app: web}
`, x.kind, x.name, ns, fin, x.extra, ns))
	}
	elsewhere := k.Namespace(t, "chaosmesh-other")
	k.KubectlApply(t, fmt.Sprintf(`apiVersion: chaos-mesh.org/v1alpha1
kind: PodChaos
metadata: {name: theirs, namespace: %[1]s}
spec: {action: pod-kill, mode: one, selector: {namespaces: [%[1]s]}}
`, elsewhere))
	dyn, err := dynamic.NewForConfig(k.Config)
	if err != nil {
		t.Fatal(err)
	}
	podchaos := schema.GroupVersionResource{Group: "chaos-mesh.org", Version: "v1alpha1", Resource: "podchaos"}
	ctx := context.Background()
	if err := dyn.Resource(podchaos).Namespace(ns).Delete(ctx, "held", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = dyn.Resource(podchaos).Namespace(ns).Patch(context.Background(), "held", types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{})
	})
	s, err := New(Options{Kube: &Kube{Rest: k.Config, Context: "testbed", Namespace: ns},
		Journal: filepath.Join(t.TempDir(), "journal.jsonl"), RevertDir: t.TempDir(), Guard: &actions.Guard{MinReady: 1}, User: "tester"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	all, ok, err := s.OtherEngines(ctx)
	if !ok || err != nil {
		t.Fatalf("engines: ok %v, %v", ok, err)
	}
	mine := map[string]engines.Experiment{}
	for _, x := range all {
		if x.Namespace == ns {
			mine[x.Kind+"/"+x.Name] = x
		}
	}
	if len(mine) != 3 || mine["PodChaos/kill-web"].Target != "mode one in "+ns+" app=web" || mine["PodChaos/held"].Deleting.IsZero() {
		t.Fatalf("listed %+v", mine)
	}
	held := mine["PodChaos/held"]
	if held.Stuck(held.Deleting.Add(30*time.Second)) || !held.Stuck(held.Deleting.Add(61*time.Second)) ||
		!strings.Contains(held.Line(held.Deleting.Add(2*time.Minute)), "STUCK deleting for 2m0s (finalizers)") {
		t.Fatalf("the stuck flag: %s", held.Line(held.Deleting.Add(2*time.Minute)))
	}
	// Started, the session lists them by itself now and then (the cockpit's :faults and header).
	s.Start(ctx)
	mineIn := func(e Engines, paused bool) int {
		n := 0
		for _, x := range e.List {
			if x.Namespace == ns && (!paused || x.Paused) {
				n++
			}
		}
		return n
	}
	waitFor(t, 15*time.Second, "the session's own list of the engines", func() bool {
		e := s.EngineExperiments()
		return e.OK && e.Err == "" && mineIn(e, false) == 3
	})
	r, err := s.Halt(ctx)
	if err != nil || !strings.Contains(r.Entry.Detail, "other chaos engines: ") || !strings.Contains(r.Entry.Detail, "paused PodChaos "+ns+"/kill-web") ||
		!strings.Contains(r.Entry.Detail, "paused NetworkChaos "+ns+"/slow-db") || strings.Contains(r.Entry.Detail, "/held") {
		t.Fatalf("halt: %+v, %v", r.Entry, err)
	}
	u, err := dyn.Resource(podchaos).Namespace(ns).Get(ctx, "kill-web", metav1.GetOptions{})
	if err != nil || u.GetAnnotations()[engines.PauseAnnotation] != "true" {
		t.Fatalf("kill-web after HALT: %v, %v", u.GetAnnotations(), err)
	}
	waitFor(t, 15*time.Second, "the paused experiments in the session's list", func() bool { return mineIn(s.EngineExperiments(), true) == 2 })
	u, err = dyn.Resource(podchaos).Namespace(elsewhere).Get(ctx, "theirs", metav1.GetOptions{})
	if err != nil || u.GetAnnotations()[engines.PauseAnnotation] != "" || strings.Contains(r.Entry.Detail, "theirs") {
		t.Fatalf("another namespace's experiment was paused: %v, %v", u.GetAnnotations(), err)
	}
}
