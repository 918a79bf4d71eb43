package actions

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/gamedaylab/gameday/model"
)

// The shop: deploy/web (3 ready pods, app=web) and a pod batch-1 that is no part of it, on three
// nodes: n1 and n2 in zone a, n3 in zone b.
//
//	n1: web-1, batch-1   n2: web-2   n3: web-3
var shopPods = []struct{ name, node, app string }{
	{"web-1", "n1", "web"}, {"web-2", "n2", "web"}, {"web-3", "n3", "web"}, {"batch-1", "n1", "batch"},
}

var shopNodes = map[string]string{"n1": "a", "n2": "a", "n3": "b"}

// testbed is an Env on a fake cluster, journaling to a temporary file, on a clock the test moves.
type testbed struct {
	t       *testing.T
	env     *Env
	cs      *fake.Clientset
	journal string
	now     time.Time
}

// newTestbed makes an Env with guard over a fake cluster holding the shop and extra objects.
func newTestbed(t *testing.T, guard *Guard, extra ...runtime.Object) *testbed {
	t.Helper()
	var objs []runtime.Object
	for name, zone := range shopNodes {
		objs = append(objs, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"topology.kubernetes.io/zone": zone}}})
	}
	for _, p := range shopPods {
		objs = append(objs, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: p.name, Namespace: "shop", Labels: map[string]string{"app": p.app}},
			Spec: corev1.PodSpec{NodeName: p.node}})
	}
	tb := &testbed{t: t, cs: fake.NewSimpleClientset(append(objs, extra...)...), now: time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)}
	tb.journal = filepath.Join(t.TempDir(), "journal.jsonl")
	j, err := OpenJournal(tb.journal)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	tb.env = &Env{Client: tb.cs, Context: "kind-shop", User: "alice", Guard: guard, Journal: j, Now: func() time.Time { return tb.now }}
	tb.env.SetSeed(7)
	return tb
}

// shopWorld is the session's view of the shop, with deploy/web as the target.
func shopWorld() World {
	c := model.NewCluster()
	c.Synced = true
	c.Deployments["shop/web"] = &model.Deployment{Namespace: "shop", Name: "web", Desired: 3, Ready: 3, Selector: map[string]string{"app": "web"}}
	for _, p := range shopPods {
		c.Pods["shop/"+p.name] = &model.Pod{Namespace: "shop", Name: p.name, Ready: true, Phase: "Running", Node: p.node,
			Labels: map[string]string{"app": p.app}, Created: time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)}
	}
	for name, zone := range shopNodes {
		c.Nodes[name] = &model.Node{Name: name, Zone: zone}
	}
	return World{Namespace: "shop", Target: "web", Cluster: c}
}

// entries reads the journal back.
func (tb *testbed) entries() []Entry {
	tb.t.Helper()
	f, err := os.Open(tb.journal)
	if err != nil {
		tb.t.Fatal(err)
	}
	defer f.Close()
	var out []Entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			tb.t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// podNames are the pods left in the fake cluster's shop namespace, sorted.
func (tb *testbed) podNames() []string {
	tb.t.Helper()
	list, err := tb.cs.CoreV1().Pods("shop").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		tb.t.Fatal(err)
	}
	var out []string
	for _, p := range list.Items {
		out = append(out, p.Name)
	}
	slices.Sort(out)
	return out
}

// prepare plans the catalog's action for a key binding or, failing that, a `:` command.
func (tb *testbed) prepare(keyOrCommand string, w World, args string) (Step, error) {
	tb.t.Helper()
	spec, ok := ByKey(keyOrCommand)
	if !ok {
		if spec, ok = ByCommand(keyOrCommand); !ok {
			if spec, ok = Lookup(Name(keyOrCommand)); !ok {
				tb.t.Fatalf("no action %q in the catalog", keyOrCommand)
			}
		}
	}
	return tb.env.Prepare(spec, w, args)
}

// evictions makes the fake cluster answer the Eviction API as an apiserver does: the pod is deleted,
// a dry run changes nothing, and the pods a disruption budget holds (blocked) are refused with 429.
// It returns the evictions asked, in order.
func (tb *testbed) evictions(blocked map[string]bool) *[]*policyv1.Eviction {
	asked := &[]*policyv1.Eviction{}
	tb.cs.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "eviction" {
			return false, nil, nil
		}
		ev := a.(k8stesting.CreateAction).GetObject().(*policyv1.Eviction)
		*asked = append(*asked, ev)
		if blocked[ev.Namespace+"/"+ev.Name] {
			return true, nil, apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget. The disruption budget web-pdb needs 2 healthy pods and has 2 currently", 10)
		}
		if ev.DeleteOptions != nil && len(ev.DeleteOptions.DryRun) > 0 {
			return true, ev, nil
		}
		podsGVR := corev1.SchemeGroupVersion.WithResource("pods")
		if err := tb.cs.Tracker().Delete(podsGVR, ev.Namespace, ev.Name); err != nil {
			return true, nil, err
		}
		return true, ev, nil
	})
	return asked
}

// honourDryRun makes deletes and creates that ask for a dry run change nothing, as the apiserver
// does (the fake's tracker ignores dryRun).
func (tb *testbed) honourDryRun() {
	tb.cs.PrependReactor("delete", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if d, ok := a.(k8stesting.DeleteAction); ok && len(d.GetDeleteOptions().DryRun) > 0 {
			return true, nil, nil
		}
		return false, nil, nil
	})
	tb.cs.PrependReactor("create", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if c, ok := a.(k8stesting.CreateActionImpl); ok && a.GetSubresource() == "" && len(c.CreateOptions.DryRun) > 0 {
			return true, c.GetObject(), nil
		}
		return false, nil, nil
	})
}

// deletes are the delete requests the fake cluster received for resource.
func (tb *testbed) deletes(resource string) []k8stesting.DeleteActionImpl {
	var out []k8stesting.DeleteActionImpl
	for _, a := range tb.cs.Actions() {
		if d, ok := a.(k8stesting.DeleteActionImpl); ok && a.GetResource().Resource == resource {
			out = append(out, d)
		}
	}
	return out
}
