// Package engines sees the other chaos engines of a cluster: Chaos Mesh experiments and Litmus
// ChaosEngines, read and steered through the dynamic client, so their modules stay out of gameday.
// The faults list shows them; HALT pauses Chaos Mesh experiments (their pause annotation) and stops
// Litmus engines (engineState: stop); objects stuck deleting (finalizers) are flagged.
package engines

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
)

// Engine names.
const (
	ChaosMesh = "chaos-mesh"
	Litmus    = "litmus"
)

// PauseAnnotation pauses a Chaos Mesh experiment.
const PauseAnnotation = "experiment.chaos-mesh.org/pause"

// StuckAfter is how long an object may be deleting before it is flagged stuck (a finalizer holds it).
const StuckAfter = time.Minute

// Experiment is one experiment of another engine.
type Experiment struct {
	Engine    string
	Kind      string
	Resource  schema.GroupVersionResource
	Namespace string
	Name      string
	// Target is what it selects, as its spec says (mode, namespaces, labels; a Litmus app).
	Target  string
	Created time.Time
	// Paused: Chaos Mesh's pause annotation, or a Litmus engine stopped.
	Paused   bool
	Deleting time.Time
	// Selects are the namespaces its selector names (Chaos Mesh) or its app's (Litmus).
	Selects []string
}

// Touches reports whether the experiment lives in ns or selects pods there ("" is every namespace).
func (x Experiment) Touches(ns string) bool {
	if ns == "" || x.Namespace == ns {
		return true
	}
	for _, s := range x.Selects {
		if s == ns {
			return true
		}
	}
	return false
}

// Stuck reports whether it has been deleting for longer than StuckAfter at now.
func (x Experiment) Stuck(now time.Time) bool {
	return !x.Deleting.IsZero() && now.Sub(x.Deleting) > StuckAfter
}

// Line is the experiment as one line: engine, kind, where, target, age, state.
func (x Experiment) Line(now time.Time) string {
	s := fmt.Sprintf("%s %s %s/%s", x.Engine, x.Kind, x.Namespace, x.Name)
	if x.Target != "" {
		s += " → " + x.Target
	}
	s += fmt.Sprintf(", %s old", now.Sub(x.Created).Round(time.Second))
	switch {
	case x.Stuck(now):
		s += fmt.Sprintf(", STUCK deleting for %s (finalizers)", now.Sub(x.Deleting).Round(time.Second))
	case !x.Deleting.IsZero():
		s += ", deleting"
	case x.Paused:
		s += ", paused"
	}
	return s
}

// Client finds and steers the engines' experiments.
type Client struct {
	Dyn       dynamic.Interface
	Discovery discovery.DiscoveryInterface
	// Scope is the game day's namespace ("" for all): HALT pauses the experiments that touch it, not
	// another team's.
	Scope func() string
}

// kinds are the resources of the engines the cluster serves (experiments, not their helpers).
func (c Client) kinds(ctx context.Context) []schema.GroupVersionResource {
	var out []schema.GroupVersionResource
	d := discovery.ToDiscoveryInterfaceWithContext(c.Discovery)
	for _, gv := range []string{"chaos-mesh.org/v1alpha1", "litmuschaos.io/v1alpha1"} {
		rl, err := d.ServerResourcesForGroupVersionWithContext(ctx, gv)
		if err != nil || rl == nil {
			continue
		}
		g, v, _ := strings.Cut(gv, "/")
		for _, r := range rl.APIResources {
			if strings.Contains(r.Name, "/") || !experimentKind(g, r.Name) {
				continue
			}
			out = append(out, schema.GroupVersionResource{Group: g, Version: v, Resource: r.Name})
		}
	}
	return out
}

// experimentKind keeps what injects chaos: Chaos Mesh's *chaos kinds, schedules and workflows (not the
// pod-level helpers the controller makes), Litmus' chaosengines.
func experimentKind(group, resource string) bool {
	if group == "litmuschaos.io" {
		return resource == "chaosengines"
	}
	if strings.HasPrefix(resource, "pod") && resource != "podchaos" {
		return false // podhttpchaos, podiochaos, podnetworkchaos: made by the controller per pod
	}
	return strings.HasSuffix(resource, "chaos") || resource == "schedules" || resource == "workflows"
}

// List is every experiment of every engine the cluster serves, in every namespace; ok is false when
// it serves none.
func (c Client) List(ctx context.Context) (list []Experiment, ok bool, err error) {
	kinds := c.kinds(ctx)
	// All at once: a consistent list of a custom resource may wait for the apiserver's cache to catch
	// up with etcd (a second, measured on the testbed after a write), and Chaos Mesh serves sixteen
	// kinds: one after another, HALT and the reaper waited five seconds for them.
	lists := make([]*unstructured.UnstructuredList, len(kinds))
	errs := make([]error, len(kinds))
	var wg sync.WaitGroup
	for i, gvr := range kinds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := c.Dyn.Resource(gvr).Namespace("").List(ctx, metav1.ListOptions{})
			if err != nil && !apierrors.IsNotFound(err) {
				errs[i] = fmt.Errorf("list %s: %w", gvr.Resource, err)
			}
			lists[i] = l
		}()
	}
	wg.Wait()
	for i, l := range lists {
		if l == nil {
			continue
		}
		for j := range l.Items {
			list = append(list, toExperiment(kinds[i], &l.Items[j]))
		}
	}
	sort.Slice(list, func(i, j int) bool {
		return list[i].Engine+list[i].Namespace+list[i].Kind+list[i].Name < list[j].Engine+list[j].Namespace+list[j].Kind+list[j].Name
	})
	return list, len(kinds) > 0, errors.Join(errs...)
}

func toExperiment(gvr schema.GroupVersionResource, u *unstructured.Unstructured) Experiment {
	x := Experiment{Kind: u.GetKind(), Resource: gvr, Namespace: u.GetNamespace(), Name: u.GetName(), Created: u.GetCreationTimestamp().Time}
	if d := u.GetDeletionTimestamp(); d != nil {
		x.Deleting = d.Time
	}
	if gvr.Group == "litmuschaos.io" {
		x.Engine = Litmus
		state, _, _ := unstructured.NestedString(u.Object, "spec", "engineState")
		x.Paused = state == "stop"
		app, _, _ := unstructured.NestedString(u.Object, "spec", "appinfo", "applabel")
		ns, _, _ := unstructured.NestedString(u.Object, "spec", "appinfo", "appns")
		if app != "" {
			x.Target = ns + " " + app
		}
		if ns != "" {
			x.Selects = []string{ns}
		}
		return x
	}
	x.Engine = ChaosMesh
	x.Paused = u.GetAnnotations()[PauseAnnotation] == "true"
	mode, _, _ := unstructured.NestedString(u.Object, "spec", "mode")
	nss, _, _ := unstructured.NestedStringSlice(u.Object, "spec", "selector", "namespaces")
	lbl, _, _ := unstructured.NestedStringMap(u.Object, "spec", "selector", "labelSelectors")
	var parts []string
	if mode != "" {
		parts = append(parts, "mode "+mode)
	}
	if len(nss) > 0 {
		parts = append(parts, "in "+strings.Join(nss, ","))
	}
	keys := make([]string, 0, len(lbl))
	for k := range lbl {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, k+"="+lbl[k])
	}
	x.Target = strings.Join(parts, " ")
	x.Selects = nss
	return x
}

// Halt pauses every running Chaos Mesh experiment and stops every running Litmus engine that touches
// the scope's namespace; it says what it did, one item per experiment.
func (c Client) Halt(ctx context.Context) ([]string, error) {
	list, ok, err := c.List(ctx)
	if !ok {
		return nil, err
	}
	errs := []error{err}
	var done []string
	scope := ""
	if c.Scope != nil {
		scope = c.Scope()
	}
	for _, x := range list {
		if x.Paused || !x.Deleting.IsZero() || !x.Touches(scope) {
			continue
		}
		var patch []byte
		verb := "paused"
		if x.Engine == Litmus {
			patch, verb = []byte(`{"spec":{"engineState":"stop"}}`), "stopped"
		} else {
			patch = fmt.Appendf(nil, `{"metadata":{"annotations":{%q:"true"}}}`, PauseAnnotation)
		}
		_, perr := c.Dyn.Resource(x.Resource).Namespace(x.Namespace).Patch(ctx, x.Name, types.MergePatchType, patch, metav1.PatchOptions{})
		if perr != nil {
			errs = append(errs, fmt.Errorf("%s %s %s/%s: %w", verb, x.Kind, x.Namespace, x.Name, perr))
			continue
		}
		done = append(done, fmt.Sprintf("%s %s %s/%s", verb, x.Kind, x.Namespace, x.Name))
	}
	return done, errors.Join(errs...)
}
