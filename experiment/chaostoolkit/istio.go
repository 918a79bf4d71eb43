package chaostoolkit

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/model"
)

// faultFor bounds a fault a Chaos Toolkit experiment injects: it stays until its remove_* (or HALT,
// or the run's end) reverts it, and gameday's faults always end by themselves.
const faultFor = "1h"

// addFault injects chaosistio's delay or abort as gameday's Istio fault. chaosistio sets the fault
// on the routes whose destinations the experiment lists; gameday's fault covers every route of the
// VirtualService, so a VirtualService with other destinations is an error saying so. Without a
// percentage Istio injects nothing (istio #36303): that is an error too, not a silent no-op.
func (x *SessionExecutor) addFault(ctx context.Context, fn string, args map[string]any) (any, string, error) {
	ns, vs := str(args, "ns"), str(args, "virtual_service_name")
	if err := x.at(ns, ""); err != nil {
		return nil, "", err
	}
	pct, ok := number(args["percentage"])
	if !ok {
		return nil, "", fmt.Errorf("%s on virtualservice/%s: no percentage; Istio injects nothing without one (istio #36303): give percentage (100 for every request)", fn, vs)
	}
	if err := x.coversEveryRoute(ctx, ns, vs, args["routes"]); err != nil {
		return nil, "", err
	}
	// gameday's fault plans from the session's view, which must hold the VirtualService first (its
	// watch may lag the API).
	if err := x.bridge().WaitSeen(ctx, "virtualservice/"+vs, ns, func(c *model.Cluster) bool { return c.VirtualServices[ns+"/"+vs] != nil }); err != nil {
		return nil, "", err
	}
	var what string
	if fn == "add_delay_fault" {
		what = fmt.Sprintf("delay %s %s%%", pyStr(args["fixed_delay"]), strconv.FormatFloat(pct, 'g', -1, 64))
	} else {
		st, err := integer(args, "http_status")
		if err != nil {
			return nil, "", err
		}
		what = fmt.Sprintf("abort %d %s%%", st, strconv.FormatFloat(pct, 'g', -1, 64))
	}
	spec, _ := actions.Lookup(actions.InjectFault)
	r, err := x.S.Act(ctx, spec.Command, "vs/"+vs+" "+what+" for "+faultFor)
	did := "fault " + vs + " " + what
	if err == nil && r.Entry.Result != actions.ResultOK && r.Entry.Result != actions.ResultDryRun {
		err = fmt.Errorf("%s: %s", r.Entry.Result, firstOf(r.Entry.Error, r.Err))
	}
	if err != nil {
		return nil, did, err
	}
	for _, t := range r.Entry.Targets {
		if id, ok := strings.CutPrefix(t, "fault/"); ok {
			x.mu.Lock()
			if x.faults == nil {
				x.faults = map[string][]string{}
			}
			x.faults[ns+"/"+vs] = append(x.faults[ns+"/"+vs], id)
			x.mu.Unlock()
		}
	}
	return map[string]any{"status": int64(200), "body": map[string]any{}, "headers": map[string]any{}}, did, nil
}

// removeFaults reverts the faults this run injected on the VirtualService (chaosistio's remove_*
// drop the whole fault of the routes, delay and abort alike).
func (x *SessionExecutor) removeFaults(ctx context.Context, args map[string]any) (any, string, error) {
	ns, vs := str(args, "ns"), str(args, "virtual_service_name")
	x.mu.Lock()
	ids := x.faults[ns+"/"+vs]
	delete(x.faults, ns+"/"+vs)
	x.mu.Unlock()
	ok := map[string]any{"status": int64(200), "body": map[string]any{}, "headers": map[string]any{}}
	if len(ids) == 0 {
		return ok, "no fault of this run on virtualservice/" + vs, nil
	}
	var did []string
	for _, id := range ids {
		_, d, err := x.act(ctx, actions.Unfault, id)
		did = append(did, d)
		if err != nil {
			return nil, strings.Join(did, ", "), err
		}
	}
	return ok, strings.Join(did, ", "), nil
}

// coversEveryRoute checks that the destinations the experiment lists are every destination of the
// VirtualService's http routes.
func (x *SessionExecutor) coversEveryRoute(ctx context.Context, ns, vs string, routes any) error {
	want := map[string]bool{}
	list, _ := routes.([]any)
	for _, r := range list {
		m, _ := r.(map[string]any)
		d, _ := m["destination"].(map[string]any)
		want[pyStr(d["host"])+"|"+pyStr(d["subset"])] = true
	}
	mesh := x.S.Env.Mesh
	if mesh == nil {
		return fmt.Errorf("this cluster serves no Istio VirtualServices")
	}
	obj, err := mesh.Client.Resource(mesh.VS).Namespace(ns).Get(ctx, vs, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("Virtual Service '%s' does not exist: %w", vs, err) //nolint:staticcheck // chaosistio's words
	}
	http, _, _ := unstructured.NestedSlice(obj.Object, "spec", "http")
	var other []string
	for _, h := range http {
		hm, _ := h.(map[string]any)
		rs, _ := hm["route"].([]any)
		for _, r := range rs {
			rm, _ := r.(map[string]any)
			d, _ := rm["destination"].(map[string]any)
			key := pyStr(d["host"]) + "|" + pyStr(d["subset"])
			if !want[key] {
				other = append(other, strings.TrimSuffix(strings.ReplaceAll(key, "|None", ""), "|"))
			}
		}
	}
	if len(other) > 0 {
		return fmt.Errorf("virtualservice/%s also routes to %s, which the experiment's routes leave out: gameday's fault covers every route of a VirtualService, so it would fault them too", vs, strings.Join(other, ", "))
	}
	return nil
}
