package actions

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynfake "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/revert"
)

var vsGVR = schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "virtualservices"}

// meshTestbed is the shop with Istio: VirtualService shop/web routes host web (route main), as the
// cluster serves it and as the session sees it.
func meshTestbed(t *testing.T, guard *Guard) (*testbed, *dynfake.FakeDynamicClient, World) {
	t.Helper()
	tb := newTestbed(t, guard)
	vs := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
		"metadata": map[string]any{"name": "web", "namespace": "shop"},
		"spec": map[string]any{"hosts": []any{"web"}, "http": []any{
			map[string]any{"name": "main", "route": []any{map[string]any{"destination": map[string]any{"host": "web"}}}}}},
	}}
	dyn := dynfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{vsGVR: "VirtualServiceList"}, vs)
	tb.env.Mesh = &Mesh{Client: dyn, VS: vsGVR}
	w := meshWorld(model.VirtualService{Namespace: "shop", Name: "web", Hosts: []string{"web"},
		Routes: []model.VSRoute{{Name: "main", Destinations: []string{"web"}}}})
	return tb, dyn, w
}

func getVS(t *testing.T, dyn *dynfake.FakeDynamicClient, name string) (*unstructured.Unstructured, []string) {
	t.Helper()
	u, err := dyn.Resource(vsGVR).Namespace("shop").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	routes, _, _ := unstructured.NestedSlice(u.Object, "spec", "http")
	var names []string
	for _, r := range routes {
		names = append(names, r.(map[string]any)["name"].(string))
	}
	return u, names
}

// TestFaultIsInjectedRegisteredAndUnfaultedByID: `:fault web abort 500 30% for 90s` puts a faulted
// copy of the route first with its revert record, journals exactly the routes it wrote and
// registers the fault (ID, end) for HALT; `:unfault ID` restores the VirtualService and forgets it.
func TestFaultIsInjectedRegisteredAndUnfaultedByID(t *testing.T) {
	tb, dyn, w := meshTestbed(t, nil)
	state := tb.withRecords()
	in := &Injected{}
	x := Exec{Env: tb.env, Injected: in}
	st, err := tb.prepare("fault", w, "web abort 500 30% for 90s")
	if err != nil || st.Refusal != nil || st.Verb() != "Inject" {
		t.Fatalf("%+v %v", st, err)
	}
	r, err := x.Do(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	active := in.Active()
	if len(active) != 1 || !active[0].Expires.Equal(tb.now.Add(90*time.Second)) {
		t.Fatalf("active %+v", active)
	}
	id := active[0].ID
	vs, names := getVS(t, dyn, "web")
	recs, _ := revert.Decode(vs.GetAnnotations()[revert.Annotation])
	if !slices.Equal(names, []string{"gameday-" + id + "-0", "main"}) || len(recs) != 1 || recs[0].ID != id || recs[0].Session != "s1" {
		t.Fatalf("routes %v, records %+v", names, recs)
	}
	e := r.Entry
	if e.Action != "fault" || e.Result != ResultOK || !slices.Equal(e.Targets, []string{"virtualservice/shop/web", "fault/" + id}) ||
		!strings.Contains(e.Patch, `"httpStatus":500`) || !strings.Contains(e.Patch, "gameday-"+id+"-0") {
		t.Fatalf("entry %+v", e)
	}
	if len(state.Records()) != 1 {
		t.Fatalf("local records %+v", state.Records())
	}

	st, err = tb.prepare("unfault", w, id)
	if err != nil {
		t.Fatal(err)
	}
	r, err = x.Do(context.Background(), st)
	if err != nil || r.Entry.Action != "unfault" || r.Entry.Detail != "fault "+id+" on virtualservice shop/web" {
		t.Fatalf("%+v %v", r, err)
	}
	vs, names = getVS(t, dyn, "web")
	if !slices.Equal(names, []string{"main"}) || vs.GetAnnotations()[revert.Annotation] != "" || in.Len() != 0 || len(state.Records()) != 0 {
		t.Fatalf("routes %v, annotations %v, injected %v, local records %+v", names, vs.GetAnnotations(), in.Pending(), state.Records())
	}
}

// TestAnExpiredFaultIsRevertedByItself: once its duration is over, the fault's tick reverts it on
// the cluster and journals fault-expired with its ID.
func TestAnExpiredFaultIsRevertedByItself(t *testing.T) {
	tb, dyn, w := meshTestbed(t, nil)
	in := &Injected{}
	st, err := tb.prepare("fault", w, "web delay 2s 50% for 1m")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (Exec{Env: tb.env, Injected: in}).Do(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	id := in.Active()[0].ID
	tb.now = tb.now.Add(59 * time.Second)
	if rs, _ := tb.env.RevertExpired(context.Background(), in); len(rs) != 0 {
		t.Fatalf("not yet: %+v", rs)
	}
	tb.now = tb.now.Add(time.Second)
	rs, err := tb.env.RevertExpired(context.Background(), in)
	if err != nil || len(rs) != 1 || !slices.Contains(rs[0].Entry.Targets, "fault/"+id) {
		t.Fatalf("%+v %v", rs, err)
	}
	if _, names := getVS(t, dyn, "web"); !slices.Equal(names, []string{"main"}) || in.Len() != 0 {
		t.Fatalf("routes %v, injected %v", names, in.Pending())
	}
}

// TestAFaultOnAnUnroutedHostCreatesAVirtualServiceThatUnfaultDeletes: a host no VirtualService claims
// gets one made by gameday (labelled as its own); `:unfault all` deletes it, since only its routes
// are left.
func TestAFaultOnAnUnroutedHostCreatesAVirtualServiceThatUnfaultDeletes(t *testing.T) {
	tb, dyn, w := meshTestbed(t, nil)
	in := &Injected{}
	x := Exec{Env: tb.env, Injected: in}
	st, err := tb.prepare("fault", w, "cart abort 503 10% header x-user=qa")
	if err != nil || !st.Fault.Create || st.Fault.VS != "shop/gameday-cart" {
		t.Fatalf("%+v %v", st.Fault, err)
	}
	if _, err := x.Do(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	id := in.Active()[0].ID
	vs, names := getVS(t, dyn, "gameday-cart")
	if !slices.Equal(names, []string{"gameday-" + id + "-0", "gameday-" + id + "-rest"}) || vs.GetLabels()["app.kubernetes.io/managed-by"] != "gameday" {
		t.Fatalf("routes %v, labels %v", names, vs.GetLabels())
	}
	st, _ = tb.prepare("unfault", w, "all")
	if r, err := x.Do(context.Background(), st); err != nil || r.Entry.Result != ResultOK {
		t.Fatalf("%+v %v", r, err)
	}
	if _, err := dyn.Resource(vsGVR).Namespace("shop").Get(context.Background(), "gameday-cart", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the VirtualService gameday made is deleted: %v", err)
	}
	if _, names := getVS(t, dyn, "web"); !slices.Equal(names, []string{"main"}) {
		t.Fatalf("web untouched: %v", names)
	}
}

// TestFaultThatCannotBeWrittenChangesNothing: faults are refused without Istio and in read-only
// mode; a dry run writes with dryRun=All and registers nothing; an unknown ID or no injected set is
// an error of `:unfault`.
func TestFaultThatCannotBeWrittenChangesNothing(t *testing.T) {
	tb, dyn, w := meshTestbed(t, &Guard{ReadOnly: true})
	in := &Injected{}
	x := Exec{Env: tb.env, Injected: in}
	st, _ := tb.prepare("fault", w, "web abort 500 30%")
	if r, err := x.Do(context.Background(), st); !errors.Is(err, model.ErrRefused) || !strings.Contains(r.Entry.Error, "read-only") {
		t.Fatalf("%+v %v", r, err)
	}
	tb.env.Guard, tb.env.Mesh = nil, nil
	st, _ = tb.prepare("fault", w, "web abort 500 30%")
	if r, err := x.Do(context.Background(), st); !errors.Is(err, model.ErrRefused) || !strings.Contains(r.Entry.Error, "serves no Istio VirtualServices") {
		t.Fatalf("%+v %v", r, err)
	}
	if _, names := getVS(t, dyn, "web"); !slices.Equal(names, []string{"main"}) || in.Len() != 0 {
		t.Fatalf("routes %v, injected %v", names, in.Pending())
	}

	tb.env.Guard, tb.env.Mesh = &Guard{DryRun: true}, &Mesh{Client: dyn, VS: vsGVR}
	var dry [][]string
	dyn.PrependReactor("update", "virtualservices", func(a k8stesting.Action) (bool, runtime.Object, error) {
		u := a.(k8stesting.UpdateActionImpl)
		dry = append(dry, u.UpdateOptions.DryRun)
		return len(u.UpdateOptions.DryRun) > 0, u.GetObject(), nil // the apiserver validates a dry run and keeps nothing
	})
	st, _ = tb.prepare("fault", w, "web abort 500 30%")
	if r, err := x.Do(context.Background(), st); err != nil || r.Entry.Result != ResultDryRun || in.Len() != 0 {
		t.Fatalf("%+v %v, injected %v", r, err, in.Pending())
	}
	if _, names := getVS(t, dyn, "web"); len(dry) != 1 || !slices.Equal(dry[0], []string{metav1.DryRunAll}) || !slices.Equal(names, []string{"main"}) {
		t.Fatalf("updates with dryRun %v, routes %v", dry, names)
	}

	st, _ = tb.prepare("unfault", w, "f00")
	if r, err := x.Do(context.Background(), st); err == nil || !strings.Contains(r.Entry.Error, `no active fault "f00"`) {
		t.Fatalf("%+v %v", r, err)
	}
	if r, err := (Exec{Env: tb.env}).Do(context.Background(), st); err == nil || r.Entry.Error != "no faults are active" {
		t.Fatalf("%+v %v", r, err)
	}
	if _, err := tb.prepare("unfault", w, ""); err == nil {
		t.Fatal("unfault wants an ID")
	}
}
