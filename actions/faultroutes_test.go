package actions

import (
	"errors"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/revert"
)

func vsWith(routes ...any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"name": "web", "namespace": "shop", "annotations": map[string]any{"keep": "me"}},
		"spec":     map[string]any{"http": routes},
	}}
}

// TestFaultRoutesGoFirst: each of a VirtualService's own routes gets a faulted copy placed before all
// of them (the first match wins as before), narrowed by the fault's match; routes gameday inserted are
// never copied again; the revert record travels on the object.
func TestFaultRoutesGoFirst(t *testing.T) {
	vs := vsWith(
		map[string]any{"name": "api", "match": []any{map[string]any{"uri": map[string]any{"prefix": "/api"}}}, "route": []any{"a"}},
		map[string]any{"name": "gameday-old-0", "route": []any{"x"}},
		map[string]any{"name": "main", "route": []any{"b"}, "fault": map[string]any{"old": true}},
	)
	p := FaultPlan{Fault: Fault{Abort: 500, AbortPct: 50, Method: "GET", Headers: map[string]string{"x-user": "test"}}}
	rec := revert.Record{ID: "f1", Kind: revert.KindFault}
	copies, err := insertFault(vs, p, rec)
	if err != nil {
		t.Fatal(err)
	}
	routes, _, _ := unstructured.NestedSlice(vs.Object, "spec", "http")
	if len(copies) != 2 || len(routes) != 5 {
		t.Fatalf("%d copies, %d routes: %+v", len(copies), len(routes), routes)
	}
	first, second := routes[0].(map[string]any), routes[1].(map[string]any)
	if first["name"] != "gameday-f1-0" || second["name"] != "gameday-f1-2" || routes[2].(map[string]any)["name"] != "api" {
		t.Fatalf("order: %v, %v, %v", first["name"], second["name"], routes[2].(map[string]any)["name"])
	}
	cond := first["match"].([]any)[0].(map[string]any)
	if cond["uri"].(map[string]any)["prefix"] != "/api" || cond["method"].(map[string]any)["exact"] != "GET" || cond["headers"].(map[string]any)["x-user"].(map[string]any)["exact"] != "test" {
		t.Fatalf("the copy's match is not the route's AND the fault's: %+v", cond)
	}
	abort := second["fault"].(map[string]any)["abort"].(map[string]any)
	if abort["httpStatus"] != int64(500) || abort["percentage"].(map[string]any)["value"] != 50.0 {
		t.Fatalf("fault %+v", second["fault"])
	}
	if rs, _ := revert.Decode(vs.GetAnnotations()[revert.Annotation]); len(rs) != 1 || rs[0].ID != "f1" || vs.GetAnnotations()["keep"] != "me" {
		t.Fatalf("annotations %v", vs.GetAnnotations())
	}
	// The route's own match list is not changed by the copy.
	if m := routes[2].(map[string]any)["match"].([]any)[0].(map[string]any); m["method"] != nil {
		t.Fatalf("the original route was narrowed: %+v", m)
	}
}

// TestFaultCannotNarrowWhatARouteAlreadyMatches: a route matching on the path, method or header the
// fault names is refused with the reason, not silently widened or narrowed; a VirtualService with no
// route of its own is refused.
func TestFaultCannotNarrowWhatARouteAlreadyMatches(t *testing.T) {
	for _, c := range []struct {
		match map[string]any
		fault Fault
		want  string
	}{
		{map[string]any{"uri": map[string]any{"prefix": "/"}}, Fault{Prefix: "/api"}, "already matches on its path"},
		{map[string]any{"method": map[string]any{"exact": "POST"}}, Fault{Method: "GET"}, "already matches on its method"},
		{map[string]any{"headers": map[string]any{"x-user": map[string]any{"exact": "a"}}}, Fault{Headers: map[string]string{"x-user": "b"}}, "header x-user"},
	} {
		vs := vsWith(map[string]any{"name": "r", "match": []any{c.match}})
		if _, err := insertFault(vs, FaultPlan{Fault: c.fault}, revert.Record{ID: "x"}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v over %+v: %v", c.fault, c.match, err)
		}
	}
	_, err := insertFault(vsWith(map[string]any{"name": "gameday-a-0"}), FaultPlan{Fault: Fault{Abort: 503, AbortPct: 100}}, revert.Record{ID: "x"})
	if !errors.Is(err, model.ErrRefused) || !strings.Contains(err.Error(), "no HTTP routes") {
		t.Errorf("no own route: %v", err)
	}
}

// TestCreatedVirtualServiceRoutes: a fault where no VirtualService exists creates one whose faulted
// route matches what the fault names and a plain route takes the rest; a delay and a gRPC abort are
// written in Istio's own fields.
func TestCreatedVirtualServiceRoutes(t *testing.T) {
	p := FaultPlan{Host: "web.shop.svc.cluster.local", Fault: Fault{Delay: 2 * time.Second, DelayPct: 10, AbortGRPC: "UNAVAILABLE", AbortPct: 5, Prefix: "/api"}}
	routes, err := newRoutes(p, "f2")
	if err != nil || len(routes) != 2 {
		t.Fatalf("%+v, %v", routes, err)
	}
	faulted, rest := routes[0].(map[string]any), routes[1].(map[string]any)
	f := faulted["fault"].(map[string]any)
	if f["delay"].(map[string]any)["fixedDelay"] != "2s" || f["abort"].(map[string]any)["grpcStatus"] != "UNAVAILABLE" || f["abort"].(map[string]any)["httpStatus"] != nil {
		t.Fatalf("fault %+v", f)
	}
	if faulted["match"] == nil || rest["name"] != "gameday-f2-rest" || rest["match"] != nil || rest["fault"] != nil {
		t.Fatalf("routes %+v", routes)
	}
	all, _ := newRoutes(FaultPlan{Host: "web", Fault: Fault{Abort: 500, AbortPct: 1}}, "f3")
	if len(all) != 1 || all[0].(map[string]any)["match"] != nil {
		t.Fatalf("a fault on every request: %+v", all)
	}
}
