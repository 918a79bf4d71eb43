// Package chaosmesh reads Chaos Mesh resources (chaos-mesh.org/v1alpha1) and carries out what gameday
// can do itself: PodChaos pod-kill, its pods picked as Chaos Mesh's selector and mode pick them,
// each killed through gameday's catalog (the guard, the journal, HALT). What needs Chaos Mesh's
// controller or daemon (pod-failure, container-kill, network, stress, IO, HTTP, Schedule, Workflow)
// is refused at validate, naming the resource, the field and why.
package chaosmesh

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// APIVersion is the one Chaos Mesh API gameday reads.
const APIVersion = "chaos-mesh.org/v1alpha1"

// File is a Chaos Mesh file: one or more resources.
type File struct {
	Path      string
	Resources []Resource
}

// Resource is one Chaos Mesh object.
type Resource struct {
	Kind      string
	Name      string
	Namespace string // "" takes the run's (-n), as kubectl apply would
	Line      int
	Spec      map[string]any
	// PodChaos pod-kill, as read.
	Mode        string
	Value       string
	GracePeriod int64
	Selector    Selector
}

// Selector is Chaos Mesh's PodSelectorSpec.
type Selector struct {
	Namespaces  []string
	Labels      map[string]string
	Expressions []map[string]any
	Annotations map[string]string
	Fields      map[string]string
	Pods        map[string][]string
	Nodes       []string
	NodeLabels  map[string]string
	Phases      []string
}

// Detect reports whether data holds a Chaos Mesh resource.
func Detect(data []byte) bool {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			return false
		}
		if v, _ := doc["apiVersion"].(string); strings.HasPrefix(v, "chaos-mesh.org/") {
			return true
		}
	}
}

// Read loads a file and checks every resource; the error lists every problem with its line.
func Read(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// modes are Chaos Mesh's selector modes.
var modes = []string{"one", "all", "fixed", "fixed-percent", "random-max-percent"}

// needsController says why a kind or an action is Chaos Mesh's own to carry out.
var needsController = map[string]string{
	"pod-failure":          "it swaps the pod's containers for a pause image until the chaos ends, which is Chaos Mesh's controller's work; gameday kills pods (pod-kill)",
	"container-kill":       "it kills a container through the node's container runtime, which is Chaos Mesh's daemon's work; gameday kills pods (pod-kill)",
	"NetworkChaos":         "it changes the pods' network with tc in their network namespace, which is Chaos Mesh's daemon's work",
	"StressChaos":          "it runs stress-ng inside the pods' cgroups, which is Chaos Mesh's daemon's work",
	"IOChaos":              "it injects into the pods' file systems through a FUSE sidecar, which is Chaos Mesh's daemon's work",
	"TimeChaos":            "it shifts the pods' clocks, which is Chaos Mesh's daemon's work",
	"KernelChaos":          "it injects kernel faults through BPF, which is Chaos Mesh's daemon's work",
	"DNSChaos":             "it needs Chaos Mesh's DNS server",
	"JVMChaos":             "it attaches to the JVM, which is Chaos Mesh's daemon's work",
	"HTTPChaos":            "it proxies the pods' HTTP through Chaos Mesh's daemon; for an Istio service, gameday's fault (F, :fault) aborts or delays its requests",
	"Schedule":             "it repeats chaos on a cron schedule, which is Chaos Mesh's controller's work; gameday's monkey (M) kills pods continuously",
	"Workflow":             "it orders several chaos with Chaos Mesh's controller; a gameday scenario orders steps",
	"PhysicalMachineChaos": "it acts on machines through chaosd",
	"AWSChaos":             "it acts on AWS through Chaos Mesh's controller",
	"GCPChaos":             "it acts on GCP through Chaos Mesh's controller",
	"AzureChaos":           "it acts on Azure through Chaos Mesh's controller",
	"BlockChaos":           "it injects into block devices through Chaos Mesh's daemon",
}

// Parse reads data (file names it in errors).
func Parse(path string, data []byte) (*File, error) {
	f := &File{Path: path}
	var errs []string
	add := func(line int, where, msg string) {
		errs = append(errs, fmt.Sprintf("%s:%d: %s: %s", path, line, where, msg))
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for n := 0; ; n++ {
		var node yaml.Node
		err := dec.Decode(&node)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: not valid YAML: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
		}
		var doc map[string]any
		if err := node.Decode(&doc); err != nil || doc == nil {
			continue
		}
		r := Resource{Line: node.Line}
		if len(node.Content) > 0 {
			r.Line = node.Content[0].Line
		}
		r.Kind, _ = doc["kind"].(string)
		meta, _ := doc["metadata"].(map[string]any)
		r.Name, _ = meta["name"].(string)
		r.Namespace, _ = meta["namespace"].(string)
		r.Spec, _ = doc["spec"].(map[string]any)
		where := fmt.Sprintf("%s %s", r.Kind, r.Name)
		v, _ := doc["apiVersion"].(string)
		switch {
		case !strings.HasPrefix(v, "chaos-mesh.org/"):
			continue // the file's other objects (RBAC, a Job) are not the chaos
		case v != APIVersion:
			add(r.Line, where, fmt.Sprintf("apiVersion %q: gameday reads %s", v, APIVersion))
			continue
		}
		if why, ok := needsController[r.Kind]; ok {
			add(r.Line, where, fmt.Sprintf("gameday does not run %s: %s (refused; apply it with kubectl where Chaos Mesh is installed)", r.Kind, why))
			continue
		}
		if r.Kind != "PodChaos" {
			add(r.Line, where, fmt.Sprintf("kind %q: gameday runs PodChaos (pod-kill)", r.Kind))
			continue
		}
		for _, msg := range r.readPodChaos() {
			add(r.Line, where, msg)
		}
		f.Resources = append(f.Resources, r)
	}
	if len(errs) > 0 {
		return nil, errors.New(strings.Join(errs, "\n"))
	}
	if len(f.Resources) == 0 {
		return nil, fmt.Errorf("%s: no Chaos Mesh resource", path)
	}
	return f, nil
}

// readPodChaos reads a PodChaos's spec and says what is wrong with it, in Chaos Mesh's words where
// it has them.
func (r *Resource) readPodChaos() []string {
	var errs []string
	s := r.Spec
	action, _ := s["action"].(string)
	switch action {
	case "pod-kill":
	case "pod-failure", "container-kill":
		return []string{fmt.Sprintf("spec.action %s: gameday does not run it: %s", action, needsController[action])}
	default:
		return []string{fmt.Sprintf("spec.action %q: one of pod-kill, pod-failure, container-kill", action)}
	}
	r.Mode, _ = s["mode"].(string)
	r.Value = scalar(s["value"])
	switch r.Mode {
	case "one", "all":
	case "fixed", "fixed-percent", "random-max-percent":
		v, err := strconv.Atoi(r.Value)
		switch {
		case err != nil:
			errs = append(errs, fmt.Sprintf("spec.value %q: a whole number for mode %s", r.Value, r.Mode))
		case v <= 0:
			errs = append(errs, "spec.value: cannot select any object as value below or equal 0")
		case r.Mode != "fixed" && v > 100:
			errs = append(errs, fmt.Sprintf("spec.value: percentage value of %d is invalid, Must be (0,100]", v))
		}
	case "":
		errs = append(errs, "spec.mode: required: one of "+strings.Join(modes, ", "))
	default:
		errs = append(errs, fmt.Sprintf("spec.mode %q: one of %s", r.Mode, strings.Join(modes, ", ")))
	}
	switch g := s["gracePeriod"].(type) {
	case nil:
	case int:
		if g < 0 {
			errs = append(errs, "spec.gracePeriod: must be >= 0")
		}
		r.GracePeriod = int64(g)
	default:
		errs = append(errs, fmt.Sprintf("spec.gracePeriod %v: whole seconds, >= 0", g))
	}
	sel, _ := s["selector"].(map[string]any)
	known := map[string]bool{"namespaces": true, "labelSelectors": true, "expressionSelectors": true, "annotationSelectors": true,
		"fieldSelectors": true, "pods": true, "nodes": true, "nodeSelectors": true, "podPhaseSelectors": true}
	for _, k := range sortedKeys(sel) {
		if !known[k] {
			errs = append(errs, fmt.Sprintf("spec.selector.%s: unknown; one of namespaces, labelSelectors, expressionSelectors, annotationSelectors, fieldSelectors, pods, nodes, nodeSelectors, podPhaseSelectors", k))
			continue
		}
		_, isMap := sel[k].(map[string]any)
		_, isList := sel[k].([]any)
		switch k {
		case "labelSelectors", "annotationSelectors", "fieldSelectors", "nodeSelectors", "pods":
			if !isMap && sel[k] != nil {
				errs = append(errs, fmt.Sprintf("spec.selector.%s: a mapping (key: value), not a %s", k, yamlType(sel[k])))
			}
		default:
			if !isList && sel[k] != nil {
				errs = append(errs, fmt.Sprintf("spec.selector.%s: a list, not a %s", k, yamlType(sel[k])))
			}
		}
	}
	r.Selector = Selector{Namespaces: stringList(sel["namespaces"]), Labels: stringMap(sel["labelSelectors"]),
		Annotations: stringMap(sel["annotationSelectors"]), Fields: stringMap(sel["fieldSelectors"]), Nodes: stringList(sel["nodes"]),
		NodeLabels: stringMap(sel["nodeSelectors"]), Phases: stringList(sel["podPhaseSelectors"])}
	if ex, ok := sel["expressionSelectors"].([]any); ok {
		for _, e := range ex {
			if m, ok := e.(map[string]any); ok {
				r.Selector.Expressions = append(r.Selector.Expressions, m)
			}
		}
	}
	if pods, ok := sel["pods"].(map[string]any); ok {
		r.Selector.Pods = map[string][]string{}
		for ns, names := range pods {
			r.Selector.Pods[ns] = stringList(names)
		}
	}
	return errs
}

func scalar(x any) string {
	switch t := x.(type) {
	case nil:
		return ""
	case string:
		return t
	}
	return fmt.Sprint(x)
}

func stringList(x any) []string {
	list, _ := x.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		out = append(out, scalar(e))
	}
	return out
}

func stringMap(x any) map[string]string {
	m, _ := x.(map[string]any)
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = scalar(v)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func yamlType(x any) string {
	switch x.(type) {
	case []any:
		return "list"
	case map[string]any:
		return "mapping"
	case string:
		return "string"
	}
	return fmt.Sprintf("%T", x)
}
