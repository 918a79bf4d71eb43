package actions

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/retry"

	"github.com/gamedaylab/gameday/revert"
)

// Mesh is Istio's API as the cluster serves it.
type Mesh struct {
	Client dynamic.Interface
	// VS is the VirtualService resource (the newest served version).
	VS schema.GroupVersionResource
}

// Records names the session in the revert records it writes, and keeps their local copy.
type Records struct {
	Session string
	// Lease is the session's heartbeat (namespace/name), "" when it could not be created.
	Lease func() string
	State *revert.State
}

// newRecord is a revert record of this session for a change of kind on obj.
func (e *Env) newRecord(kind string, obj revert.Ref, what string, expires time.Time) revert.Record {
	r := revert.Record{ID: newID(), Kind: kind, Object: obj, What: what, At: e.now().UTC(), Context: e.Context, User: e.User}
	if !expires.IsZero() {
		r.Expires = expires.UTC()
	}
	if e.Records != nil {
		r.Session = e.Records.Session
		if e.Records.Lease != nil {
			r.Lease = e.Records.Lease()
		}
	}
	return r
}

func newID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// keep writes r to the local state file before the change is made.
func (e *Env) keep(r revert.Record) error {
	if e.Records == nil {
		return nil
	}
	return e.Records.State.Put(r)
}

func (e *Env) forgetRecord(id string) {
	if e.Records != nil {
		_ = e.Records.State.Drop(id)
	}
}

func runFault(ctx context.Context, x Exec, st Step) (Result, error) {
	e := x.Env
	p := st.Fault
	if p == nil {
		return e.record(Entry{Time: e.now(), Action: InjectFault}, errors.New("internal error: fault step without a plan"))
	}
	entry := Entry{Time: e.now(), Context: e.Context, User: e.User, Action: InjectFault, Targets: []string{"virtualservice/" + p.VS},
		DryRun: p.DryRun, Detail: p.Summary()}
	if p.Refusal != nil {
		return e.record(entry, p.Refusal)
	}
	if e.Mesh == nil {
		return e.record(entry, refuse("this cluster serves no Istio VirtualServices"))
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout())
	defer cancel()
	ns, name, _ := strings.Cut(p.VS, "/")
	rec := e.newRecord(revert.KindFault, revert.Ref{Group: e.Mesh.VS.Group, Version: e.Mesh.VS.Version, Resource: "virtualservices", Namespace: ns, Name: name},
		p.Summary(), e.now().Add(p.For))
	rec.Created = p.Create
	entry.Targets = append(entry.Targets, "fault/"+rec.ID)
	if !p.DryRun {
		if err := e.keep(rec); err != nil {
			return e.record(entry, err)
		}
	}
	written, err := e.injectRoutes(ctx, *p, rec)
	if err != nil {
		e.forgetRecord(rec.ID)
		return e.record(entry, err)
	}
	patch, _ := json.Marshal(written) // exactly the routes the write inserted
	entry.Patch = string(patch)
	if !p.DryRun && x.Injected != nil {
		x.Injected.Add(&faultReverter{env: e, rec: rec})
	}
	return e.record(entry, nil)
}

// faultSpec is the route's fault block (Istio's HTTPFaultInjection).
func faultSpec(p FaultPlan) map[string]any {
	fault := map[string]any{}
	if p.Delay > 0 {
		fault["delay"] = map[string]any{"fixedDelay": p.Delay.String(), "percentage": map[string]any{"value": p.DelayPct}}
	}
	if p.Abort != 0 || p.AbortGRPC != "" {
		a := map[string]any{"percentage": map[string]any{"value": p.AbortPct}}
		if p.AbortGRPC != "" {
			a["grpcStatus"] = p.AbortGRPC
		} else {
			a["httpStatus"] = int64(p.Abort)
		}
		fault["abort"] = a
	}
	return fault
}

// newRoutes are the routes of a VirtualService created for a fault: the faulted route and, when the
// fault has a match, a plain one for the rest.
func newRoutes(p FaultPlan, id string) ([]any, error) {
	dest := []any{map[string]any{"destination": map[string]any{"host": p.Host}}}
	r := map[string]any{"name": fmt.Sprintf("gameday-%s-0", id), "fault": faultSpec(p), "route": dest}
	match, err := mergeMatch(nil, p.Fault)
	if err != nil {
		return nil, err
	}
	if match == nil {
		return []any{r}, nil
	}
	r["match"] = match
	return []any{r, map[string]any{"name": fmt.Sprintf("gameday-%s-rest", id), "route": dest}}, nil
}

// mergeMatch ANDs the fault's match into a route's match list (each condition of the list is OR'ed):
// nil when neither matches anything in particular. A condition that already matches on a field the
// fault also names cannot be narrowed in one route: that is an error saying so.
func mergeMatch(list []any, f Fault) ([]any, error) {
	extra := f.Prefix != "" || f.Method != "" || len(f.Headers) > 0
	if !extra {
		return list, nil
	}
	if len(list) == 0 {
		list = []any{map[string]any{}}
	}
	out := make([]any, 0, len(list))
	for _, c := range list {
		m, _ := c.(map[string]any)
		cond := runtimeCopy(m)
		if f.Prefix != "" {
			if cond["uri"] != nil {
				return nil, fmt.Errorf("a route already matches on its path: a fault on prefix %s cannot narrow it; drop prefix or name another route", f.Prefix)
			}
			cond["uri"] = map[string]any{"prefix": f.Prefix}
		}
		if f.Method != "" {
			if cond["method"] != nil {
				return nil, fmt.Errorf("a route already matches on its method: a fault on method %s cannot narrow it", f.Method)
			}
			cond["method"] = map[string]any{"exact": f.Method}
		}
		if len(f.Headers) > 0 {
			hs, _ := cond["headers"].(map[string]any)
			hs = runtimeCopy(hs)
			for k, v := range f.Headers {
				if hs[k] != nil {
					return nil, fmt.Errorf("a route already matches on header %s: a fault on it cannot narrow it", k)
				}
				hs[k] = map[string]any{"exact": v}
			}
			cond["headers"] = hs
		}
		out = append(out, cond)
	}
	return out, nil
}

// runtimeCopy is a shallow copy that can be written even when m is nil.
func runtimeCopy(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+2)
	maps.Copy(out, m)
	return out
}

// insertFault puts a faulted copy of each of vs's routes that is not already gameday's first (in
// order, so the first match still wins as before), and the revert record on it; it returns the copies.
func insertFault(vs *unstructured.Unstructured, p FaultPlan, rec revert.Record) ([]any, error) {
	routes, _, err := unstructured.NestedSlice(vs.Object, "spec", "http")
	if err != nil {
		return nil, fmt.Errorf("virtualservice %s/%s: spec.http: %w", vs.GetNamespace(), vs.GetName(), err)
	}
	fault := faultSpec(p)
	var copies []any
	for i, r := range routes {
		m, ok := r.(map[string]any)
		if !ok {
			continue
		}
		if name, _ := m["name"].(string); strings.HasPrefix(name, "gameday-") {
			continue
		}
		c := runtimeCopy(m)
		delete(c, "fault")
		match, _ := m["match"].([]any)
		merged, err := mergeMatch(match, p.Fault)
		if err != nil {
			return nil, err
		}
		if merged != nil {
			c["match"] = merged
		}
		c["name"] = fmt.Sprintf("gameday-%s-%d", rec.ID, i)
		c["fault"] = fault
		copies = append(copies, c)
	}
	if len(copies) == 0 {
		return nil, refuse("virtualservice %s/%s has no HTTP routes to fault", vs.GetNamespace(), vs.GetName())
	}
	if err := unstructured.SetNestedSlice(vs.Object, append(copies, routes...), "spec", "http"); err != nil {
		return nil, err
	}
	ann, err := revert.With(vs.GetAnnotations(), rec)
	if err != nil {
		return nil, fmt.Errorf("virtualservice %s/%s: %w", vs.GetNamespace(), vs.GetName(), err)
	}
	vs.SetAnnotations(ann)
	return copies, nil
}

// injectRoutes writes the fault and returns the routes it inserted: an update of the live object
// carrying its resourceVersion (a concurrent edit makes it conflict, and it is made again on the fresh
// object), or a create. The revert record travels in the same write as the change: there is never
// one without the other.
func (e *Env) injectRoutes(ctx context.Context, p FaultPlan, rec revert.Record) ([]any, error) {
	ns, name, _ := strings.Cut(p.VS, "/")
	res := e.Mesh.Client.Resource(e.Mesh.VS).Namespace(ns)
	var dry []string
	if p.DryRun {
		dry = []string{metav1.DryRunAll}
	}
	if p.Create {
		routes, err := newRoutes(p, rec.ID)
		if err != nil {
			return nil, err
		}
		vs := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": e.Mesh.VS.GroupVersion().String(), "kind": "VirtualService",
			"metadata": map[string]any{"name": name, "namespace": ns, "labels": map[string]any{"app.kubernetes.io/managed-by": "gameday"}},
			"spec":     map[string]any{"hosts": []any{p.Host}, "http": routes},
		}}
		ann, _ := revert.With(nil, rec)
		vs.SetAnnotations(ann)
		if _, err := res.Create(ctx, vs, metav1.CreateOptions{DryRun: dry}); err != nil {
			return nil, fmt.Errorf("create virtualservice %s: %w", p.VS, err)
		}
		return routes, nil
	}
	var written []any
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		vs, err := res.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("get virtualservice %s: %w", p.VS, err)
		}
		if written, err = insertFault(vs, p, rec); err != nil {
			return err
		}
		_, err = res.Update(ctx, vs, metav1.UpdateOptions{DryRun: dry})
		if err != nil && !apierrors.IsConflict(err) {
			return fmt.Errorf("update virtualservice %s: %w", p.VS, err)
		}
		return err
	})
	return written, err
}

// revertFault removes the routes of fault rec.ID and its record from the live object, leaving every
// other change (routes added or edited since, other faults) as it is; a VirtualService gameday created
// is deleted once only its routes were left. Gone already is done.
func (e *Env) revertFault(ctx context.Context, rec revert.Record, dry bool) error {
	var dr []string
	if dry {
		dr = []string{metav1.DryRunAll}
	}
	if e.Mesh == nil {
		return errors.New("this cluster serves no Istio VirtualServices: cannot revert " + rec.Object.String())
	}
	gvr := schema.GroupVersionResource{Group: rec.Object.Group, Version: rec.Object.Version, Resource: rec.Object.Resource}
	res := e.Mesh.Client.Resource(gvr).Namespace(rec.Object.Namespace)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		vs, err := res.Get(ctx, rec.Object.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		routes, _, _ := unstructured.NestedSlice(vs.Object, "spec", "http")
		prefix := "gameday-" + rec.ID + "-"
		kept := routes[:0:0]
		for _, r := range routes {
			if m, ok := r.(map[string]any); ok {
				if name, _ := m["name"].(string); strings.HasPrefix(name, prefix) {
					continue
				}
			}
			kept = append(kept, r)
		}
		ann, err := revert.Without(vs.GetAnnotations(), rec.ID)
		if err != nil {
			return err
		}
		if rec.Created && len(kept) == 0 {
			rv := vs.GetResourceVersion()
			err := res.Delete(ctx, rec.Object.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &rv}, DryRun: dr})
			if apierrors.IsNotFound(err) {
				return nil
			}
			return err
		}
		if len(kept) == len(routes) && ann[revert.Annotation] == vs.GetAnnotations()[revert.Annotation] {
			return nil // nothing of this fault is left
		}
		if err := unstructured.SetNestedSlice(vs.Object, kept, "spec", "http"); err != nil {
			return err
		}
		vs.SetAnnotations(ann)
		_, err = res.Update(ctx, vs, metav1.UpdateOptions{DryRun: dr})
		return err
	})
	if err != nil {
		return fmt.Errorf("revert fault %s on %s: %w", rec.ID, rec.Object, err)
	}
	if !dry {
		e.forgetRecord(rec.ID)
	}
	return nil
}

// faultReverter reverts one fault on HALT, on exit and when its time is up.
type faultReverter struct {
	env *Env
	rec revert.Record
}

func (f *faultReverter) Describe() string {
	return fmt.Sprintf("fault %s on virtualservice %s/%s", f.rec.ID, f.rec.Object.Namespace, f.rec.Object.Name)
}
func (f *faultReverter) Revert(ctx context.Context) error {
	return f.env.revertFault(ctx, f.rec, false)
}
func (f *faultReverter) Expires() time.Time { return f.rec.Expires }
func (f *faultReverter) ID() string         { return f.rec.ID }

func planUnfaultStep(_ *Env, _ World, args string) (Step, error) {
	if args == "" {
		return Step{}, errors.New("want a fault ID (the FAULTS badge lists them) or all: :unfault ID")
	}
	return Step{Action: Unfault, Summary: "revert fault " + args, Unfault: args}, nil
}

func runUnfault(ctx context.Context, x Exec, st Step) (Result, error) {
	e := x.Env
	entry := Entry{Time: e.now(), Context: e.Context, User: e.User, Action: Unfault, Targets: []string{"fault/" + st.Unfault}}
	if x.Injected == nil {
		return e.record(entry, errors.New("no faults are active"))
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout())
	defer cancel()
	done, err := x.Injected.RevertWhere(ctx, func(r Reverter) bool {
		f, ok := r.(*faultReverter)
		return ok && (st.Unfault == "all" || f.rec.ID == st.Unfault)
	})
	if err == nil && len(done) == 0 {
		err = fmt.Errorf("no active fault %q (the FAULTS badge lists them)", st.Unfault)
	}
	entry.Detail = strings.Join(done, ", ")
	return e.record(entry, err)
}
