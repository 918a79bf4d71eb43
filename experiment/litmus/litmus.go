// Package litmus reads LitmusChaos ChaosEngines (litmuschaos.io/v1alpha1) and runs what gameday can
// carry out itself: the pod-delete fault, its pods picked and killed as litmus-go's pod-delete does
// (TOTAL_CHAOS_DURATION, CHAOS_INTERVAL, PODS_AFFECTED_PERC, FORCE, TARGET_PODS), each through
// gameday's catalog, with the engine's httpProbe, promProbe and k8sProbe checks in their modes
// (SOT, EOT, Edge, Continuous, OnChaos), a verdict and probe success percentage as a ChaosResult
// has them, and the resiliency score as Litmus computes it. What needs Litmus's runner and helper
// pods (network, stress, cmdProbe) is refused at validate with why.
package litmus

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Engine is one ChaosEngine.
type Engine struct {
	Name, Namespace string
	Line            int
	// AppNS, AppLabel and AppKind are appinfo; chaos-charts ship them empty.
	AppNS, AppLabel, AppKind string
	Experiments              []Fault
}

// Fault is one of an engine's experiments (pod-delete) with its env and probes.
type Fault struct {
	Name     string
	Duration time.Duration // TOTAL_CHAOS_DURATION
	Interval time.Duration // CHAOS_INTERVAL
	Force    bool
	Percent  int      // PODS_AFFECTED_PERC (0: one pod)
	Targets  []string // TARGET_PODS
	Probes   []Probe
	// Latency is a latency fault's delay (NETWORK_LATENCY, or LATENCY of pod-http-latency), zero
	// for pod-delete; Toxicity is the share of the affected pods' requests delayed (TOXICITY).
	Latency  time.Duration
	Toxicity int
}

// Probe is one Litmus probe.
type Probe struct {
	Name, Type, Mode string
	Timeout          time.Duration
	Interval         time.Duration
	Polling          time.Duration
	Attempts         int
	InitialDelay     time.Duration
	StopOnFailure    bool
	HTTP             *HTTPInputs
	Prom             *PromInputs
	K8s              *K8sInputs
}

// HTTPInputs are an httpProbe's inputs.
type HTTPInputs struct {
	URL, Method, ContentType, Body string
	Criteria, ResponseCode         string
	InsecureSkipVerify             bool
}

// PromInputs are a promProbe's inputs.
type PromInputs struct{ Endpoint, Query, Criteria, Value string }

// K8sInputs are a k8sProbe's inputs.
type K8sInputs struct {
	Group, Version, Resource, Namespace, FieldSelector, LabelSelector, ResourceNames, Operation string
}

// Defaults of pod-delete: chaos-charts' fault.yaml, which a cluster with Litmus has installed.
const (
	defaultDuration = 15 * time.Second
	defaultInterval = 5 * time.Second
	// the latency faults' TOTAL_CHAOS_DURATION when unset (chaos-charts and litmus-go agree)
	latencyDuration = 60 * time.Second
)

// refusedFaults are the faults gameday does not run, and why.
var refusedFaults = map[string]string{
	"pod-cpu-hog":            "it runs stress-ng in the pod's cgroup from a Litmus helper pod",
	"pod-memory-hog":         "it runs stress-ng in the pod's cgroup from a Litmus helper pod",
	"container-kill":         "it kills a container through the node's container runtime from a Litmus helper pod; gameday kills pods (pod-delete)",
	"pod-network-loss":       "it runs tc in the pod's network namespace from a Litmus helper pod",
	"node-drain":             "use gameday's drain (D, :drain), which disruption budgets hold",
	"pod-autoscaler":         "use gameday's scale (s, :scale)",
	"pod-network-corruption": "it runs tc in the pod's network namespace from a Litmus helper pod",
}

// Detect reports whether data holds a LitmusChaos resource.
func Detect(data []byte) bool {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			return false
		}
		if v, _ := doc["apiVersion"].(string); strings.HasPrefix(v, "litmuschaos.io/") {
			return true
		}
	}
}

// Read loads a file of ChaosEngines and checks them; the error lists every problem with its line.
func Read(path string) ([]Engine, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse reads data (path names it in errors). Other documents of the file (RBAC, a
// ChaosExperiment) are passed over: the engine is what runs.
func Parse(path string, data []byte) ([]Engine, error) {
	var engines []Engine
	var errs []string
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var node yaml.Node
		err := dec.Decode(&node)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: not valid YAML: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
		}
		var doc map[string]any
		if node.Decode(&doc) != nil || doc == nil || doc["kind"] != "ChaosEngine" {
			continue
		}
		line := node.Line
		if len(node.Content) > 0 {
			line = node.Content[0].Line
		}
		e, problems := readEngine(doc, line)
		for _, p := range problems {
			errs = append(errs, fmt.Sprintf("%s:%d: ChaosEngine %s: %s", path, line, e.Name, p))
		}
		engines = append(engines, e)
	}
	if len(errs) > 0 {
		return nil, errors.New(strings.Join(errs, "\n"))
	}
	if len(engines) == 0 {
		return nil, fmt.Errorf("%s: no ChaosEngine (gameday runs engines; a ChaosExperiment only defines a fault for Litmus's runner)", path)
	}
	return engines, nil
}

func str(x any) string {
	switch t := x.(type) {
	case nil:
		return ""
	case string:
		return t
	}
	return fmt.Sprint(x)
}

func m(x any) map[string]any {
	v, _ := x.(map[string]any)
	return v
}

func readEngine(doc map[string]any, line int) (Engine, []string) {
	var errs []string
	meta, spec := m(doc["metadata"]), m(doc["spec"])
	e := Engine{Name: str(meta["name"]), Namespace: str(meta["namespace"]), Line: line}
	if v := str(doc["apiVersion"]); v != "litmuschaos.io/v1alpha1" {
		errs = append(errs, fmt.Sprintf("apiVersion %q: gameday reads litmuschaos.io/v1alpha1", v))
	}
	app := m(spec["appinfo"])
	e.AppNS, e.AppLabel, e.AppKind = str(app["appns"]), str(app["applabel"]), str(app["appkind"])
	switch e.AppKind {
	case "", "deployment":
	default:
		errs = append(errs, fmt.Sprintf("spec.appinfo.appkind %q: gameday acts on Deployments", e.AppKind))
	}
	if st := str(spec["engineState"]); st == "stop" {
		errs = append(errs, "spec.engineState is stop: the engine asks for nothing to run")
	}
	list, _ := spec["experiments"].([]any)
	if len(list) == 0 {
		errs = append(errs, "spec.experiments: none")
	}
	for i, x := range list {
		f, problems := readFault(m(x), fmt.Sprintf("spec.experiments[%d]", i))
		errs = append(errs, problems...)
		e.Experiments = append(e.Experiments, f)
	}
	return e, errs
}

func readFault(x map[string]any, where string) (Fault, []string) {
	var errs []string
	f := Fault{Name: str(x["name"]), Duration: defaultDuration, Interval: defaultInterval, Force: true}
	if why, ok := refusedFaults[f.Name]; ok {
		return f, []string{fmt.Sprintf("%s: %s: gameday does not run it: %s", where, f.Name, why)}
	}
	switch f.Name {
	case "pod-delete":
	case "pod-network-latency":
		f.Duration, f.Latency, f.Toxicity = latencyDuration, 2*time.Second, 100
	case "pod-http-latency":
		f.Duration, f.Latency, f.Toxicity = latencyDuration, 6*time.Second, 100
	default:
		return f, []string{fmt.Sprintf("%s: %s: gameday runs pod-delete, and pod-network-latency and pod-http-latency as Istio delays", where, f.Name)}
	}
	spec := m(x["spec"])
	env, _ := m(spec["components"])["env"].([]any)
	for _, v := range env {
		kv := m(v)
		name, val := str(kv["name"]), strings.TrimSpace(str(kv["value"]))
		at := where + ".spec.components.env " + name
		switch name {
		case "TOTAL_CHAOS_DURATION", "CHAOS_INTERVAL":
			if val == "" {
				continue
			}
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 || n > 86400 {
				errs = append(errs, fmt.Sprintf("%s %q: whole seconds from 0 to 86400", at, val))
				continue
			}
			if name == "TOTAL_CHAOS_DURATION" {
				f.Duration = time.Duration(n) * time.Second
			} else {
				f.Interval = time.Duration(n) * time.Second
			}
		case "FORCE":
			if val != "" {
				b, err := strconv.ParseBool(val)
				if err != nil {
					errs = append(errs, fmt.Sprintf("%s %q: true or false", at, val))
				}
				f.Force = b
			}
		case "PODS_AFFECTED_PERC":
			if val != "" {
				n, err := strconv.Atoi(val)
				if err != nil || n < 0 || n > 100 {
					errs = append(errs, fmt.Sprintf("%s %q: a percentage from 0 to 100 (0 or empty: one pod)", at, val))
				}
				f.Percent = n
			}
		case "TARGET_PODS":
			for _, p := range strings.Split(val, ",") {
				if p = strings.TrimSpace(p); p != "" {
					f.Targets = append(f.Targets, p)
				}
			}
		case "NETWORK_LATENCY", "LATENCY":
			if f.Latency == 0 || val == "" || (name == "LATENCY") != (f.Name == "pod-http-latency") {
				continue
			}
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 || n > 3600000 {
				errs = append(errs, fmt.Sprintf("%s %q: whole milliseconds", at, val))
				continue
			}
			f.Latency = time.Duration(n) * time.Millisecond
		case "TOXICITY":
			if f.Latency == 0 || val == "" {
				continue
			}
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 || n > 100 {
				errs = append(errs, fmt.Sprintf("%s %q: a percentage from 0 to 100", at, val))
			}
			f.Toxicity = n
		case "JITTER":
			if f.Latency > 0 && val != "" && val != "0" {
				errs = append(errs, at+": an Istio delay is fixed (fixedDelay), so gameday cannot add jitter; set 0")
			}
		case "DESTINATION_IPS", "DESTINATION_HOSTS":
			if f.Latency > 0 && val != "" {
				errs = append(errs, at+": gameday delays every request to the app's Service through Istio, not the app's traffic toward chosen destinations; leave it empty")
			}
		case "NODE_LABEL":
			if val != "" {
				errs = append(errs, at+": picking pods by node label is not supported by gameday")
			}
		}
	}
	probes, _ := spec["probe"].([]any)
	for i, p := range probes {
		pr, problems := readProbe(m(p), fmt.Sprintf("%s.spec.probe[%d]", where, i))
		errs = append(errs, problems...)
		f.Probes = append(f.Probes, pr)
	}
	return f, errs
}

// duration reads a runProperties time: a string ("5s", "500ms") or, in older files, a number of
// seconds.
func duration(x any, name string, required bool) (time.Duration, error) {
	switch t := x.(type) {
	case nil:
		if required {
			return 0, fmt.Errorf("%s: required", name)
		}
		return 0, nil
	case int:
		if t < 0 {
			return 0, fmt.Errorf("%s %d: not negative", name, t)
		}
		return time.Duration(t) * time.Second, nil
	case string:
		if n, err := strconv.Atoi(t); err == nil && n >= 0 {
			return time.Duration(n) * time.Second, nil
		}
		d, err := time.ParseDuration(t)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("%s %q: a duration such as 5s", name, t)
		}
		return d, nil
	}
	return 0, fmt.Errorf("%s %v: a duration such as 5s", name, x)
}

func readProbe(x map[string]any, where string) (Probe, []string) {
	var errs []string
	p := Probe{Name: str(x["name"]), Type: str(x["type"]), Mode: str(x["mode"]), Attempts: 1}
	at := where + " (" + p.Name + ")"
	switch p.Mode {
	case "SOT", "EOT", "Edge", "Continuous", "OnChaos":
	default:
		errs = append(errs, fmt.Sprintf("%s: mode %q: one of SOT, EOT, Edge, Continuous, OnChaos", at, p.Mode))
	}
	rp := m(x["runProperties"])
	var err error
	for _, d := range []struct {
		key      string
		to       *time.Duration
		required bool
	}{{"probeTimeout", &p.Timeout, true}, {"interval", &p.Interval, true}, {"probePollingInterval", &p.Polling, false},
		{"initialDelay", &p.InitialDelay, false}, {"initialDelaySeconds", &p.InitialDelay, false}} {
		if *d.to, err = duration(rp[d.key], d.key, d.required); err != nil && (d.required || rp[d.key] != nil) {
			errs = append(errs, at+": runProperties."+err.Error())
		}
	}
	for _, k := range []string{"attempt", "retry"} {
		if v, ok := rp[k]; ok {
			n, err := strconv.Atoi(str(v))
			if err != nil || n < 0 {
				errs = append(errs, fmt.Sprintf("%s: runProperties.%s %v: a whole number", at, k, v))
			} else if n > 0 {
				p.Attempts = n
			}
		}
	}
	p.StopOnFailure, _ = rp["stopOnFailure"].(bool)
	switch p.Type {
	case "httpProbe":
		in := m(x["httpProbe/inputs"])
		h := &HTTPInputs{URL: str(in["url"])}
		h.InsecureSkipVerify, _ = in["insecureSkipVerify"].(bool)
		method := m(in["method"])
		if g := m(method["get"]); g != nil {
			h.Method, h.Criteria, h.ResponseCode = "GET", str(g["criteria"]), str(g["responseCode"])
		} else if po := m(method["post"]); po != nil {
			h.Method, h.Criteria, h.ResponseCode = "POST", str(po["criteria"]), str(po["responseCode"])
			h.ContentType, h.Body = str(po["contentType"]), str(po["body"])
			if po["bodyPath"] != nil {
				errs = append(errs, at+": httpProbe/inputs.method.post.bodyPath: a file in the runner's pod; give body")
			}
		} else {
			errs = append(errs, at+": httpProbe/inputs.method: get or post")
		}
		if !strings.HasPrefix(h.URL, "http://") && !strings.HasPrefix(h.URL, "https://") {
			errs = append(errs, fmt.Sprintf("%s: httpProbe/inputs.url %q: an http:// or https:// URL", at, h.URL))
		}
		if !criteria(h.Criteria) {
			errs = append(errs, fmt.Sprintf("%s: criteria %q: one of >=, <=, >, <, ==, !=, oneOf, between", at, h.Criteria))
		}
		p.HTTP = h
	case "promProbe":
		in := m(x["promProbe/inputs"])
		c := m(in["comparator"])
		p.Prom = &PromInputs{Endpoint: str(in["endpoint"]), Query: str(in["query"]), Criteria: str(c["criteria"]), Value: str(c["value"])}
		if in["queryPath"] != nil {
			errs = append(errs, at+": promProbe/inputs.queryPath: a file in the runner's pod; give query")
		}
		if p.Prom.Query == "" || p.Prom.Endpoint == "" {
			errs = append(errs, at+": promProbe/inputs: endpoint and query are required")
		}
		if !criteria(p.Prom.Criteria) {
			errs = append(errs, fmt.Sprintf("%s: comparator.criteria %q: one of >=, <=, >, <, ==, !=, oneOf, between", at, p.Prom.Criteria))
		}
	case "k8sProbe":
		in := m(x["k8sProbe/inputs"])
		p.K8s = &K8sInputs{Group: str(in["group"]), Version: str(in["version"]), Resource: str(in["resource"]), Namespace: str(in["namespace"]),
			FieldSelector: str(in["fieldSelector"]), LabelSelector: str(in["labelSelector"]), ResourceNames: str(in["resourceNames"]), Operation: str(in["operation"])}
		switch p.K8s.Operation {
		case "present", "absent":
		case "create", "delete":
			errs = append(errs, fmt.Sprintf("%s: operation %s: gameday's probes read, they do not change the cluster (present or absent)", at, p.K8s.Operation))
		default:
			errs = append(errs, fmt.Sprintf("%s: operation %q: present or absent", at, p.K8s.Operation))
		}
	case "cmdProbe":
		errs = append(errs, at+": cmdProbe runs a command in Litmus's runner pod or a source image: gameday does not run commands; use an httpProbe or a promProbe")
	default:
		errs = append(errs, fmt.Sprintf("%s: type %q: gameday runs httpProbe, promProbe and k8sProbe", at, p.Type))
	}
	return p, errs
}

// criteria says whether c is one of litmus-go's number comparators (pkg/probe/comparator): an
// httpProbe's status code is compared as an int, a promProbe's value as a float.
func criteria(c string) bool {
	switch c {
	case "==", "!=", "oneOf", "OneOf", ">=", "<=", ">", "<", "between", "Between":
		return true
	}
	return false
}
