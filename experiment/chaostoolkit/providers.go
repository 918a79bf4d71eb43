package chaostoolkit

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/session"
)

// SessionExecutor carries a Chaos Toolkit experiment's activities out on a gameday session: actions
// through the session's catalog (the guard, the journal, the markers, HALT), probes read from the
// cluster and the backends, http activities as the Chaos Toolkit's http provider.
type SessionExecutor struct {
	S *session.Session
	// faults are the Istio faults this run injected, by VirtualService (ns/name): chaosistio's
	// remove_* reverts them.
	faults map[string][]string
	mu     sync.Mutex
	// HTTP is the client of http activities and Prometheus queries (nil: a default one).
	HTTP *http.Client
	// Rand picks random pods (terminate_pods rand: true); nil: a random source.
	Rand *rand.Rand
}

// Execute implements Executor.
func (x *SessionExecutor) Execute(ctx context.Context, a Activity, vars Vars) (any, string, error) {
	switch a.Provider.Type {
	case "http":
		out, err := x.http(ctx, a.Provider, vars)
		return out, "", err
	case "python":
		f, ok := functions[a.Provider.Module+"."+a.Provider.Func]
		if !ok {
			return nil, "", fmt.Errorf("gameday does not run %s.%s", a.Provider.Module, a.Provider.Func)
		}
		args := bind(f, vars.Substitute(a.Provider.Arguments))
		return x.python(ctx, f, args, vars)
	}
	return nil, "", fmt.Errorf("gameday does not run %s activities", a.Provider.Type)
}

// bind gives every parameter its value: the argument given, else the default.
func bind(f function, given any) map[string]any {
	m, _ := given.(map[string]any)
	out := make(map[string]any, len(f.params))
	for _, p := range f.params {
		if v, ok := m[p.name]; ok {
			out[p.name] = v
		} else {
			out[p.name] = p.def
		}
	}
	return out
}

func str(args map[string]any, k string) string {
	s, _ := args[k].(string)
	return s
}

func integer(args map[string]any, k string) (int64, error) {
	switch t := args[k].(type) {
	case int64:
		return t, nil
	case float64:
		return int64(t), nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s %q is not a whole number", k, t)
		}
		return n, nil
	case nil:
		return 0, nil
	}
	return 0, fmt.Errorf("%s %v is not a whole number", k, args[k])
}

func truthy(args map[string]any, k string) bool {
	switch t := args[k].(type) {
	case bool:
		return t
	case string:
		return t != ""
	case int64:
		return t != 0
	}
	return false
}

func (x *SessionExecutor) python(ctx context.Context, f function, args map[string]any, vars Vars) (any, string, error) {
	switch f.name {
	case "terminate_pods", "delete_pods":
		return x.terminatePods(ctx, f.name, args)
	case "scale_deployment", "scale_microservice":
		n, err := integer(args, "replicas")
		if err != nil {
			return nil, "", err
		}
		if err := x.at(str(args, "ns"), str(args, "name")); err != nil {
			return nil, "", err
		}
		// chaosk8s patches the replicas whatever they are; gameday's scale refuses a change to the
		// same count, so that case is the success it is for the Chaos Toolkit.
		if d, err := x.S.Env.Client.AppsV1().Deployments(str(args, "ns")).Get(ctx, str(args, "name"), metav1.GetOptions{}); err == nil &&
			d.Spec.Replicas != nil && int64(*d.Spec.Replicas) == n {
			return nil, fmt.Sprintf("scale %d: already %d replicas", n, n), nil
		}
		return x.act(ctx, actions.Scale, strconv.FormatInt(n, 10))
	case "rollout_deployment":
		if err := x.at(str(args, "ns"), str(args, "name")); err != nil {
			return nil, "", err
		}
		return x.act(ctx, actions.Restart, "")
	case "drain_nodes", "cordon_node", "uncordon_node":
		return x.nodes(ctx, f.name, args)
	case "pods_in_conditions":
		return x.podConditions(ctx, args)
	case "pods_in_phase", "pods_not_in_phase", "count_pods", "count_min_pods", "all_pods_healthy", "all_microservices_healthy":
		return x.podProbe(ctx, f.name, args)
	case "deployment_fully_available", "deployment_not_fully_available":
		return x.deploymentReadiness(ctx, f.name, args)
	case "deployment_available_and_healthy", "microservice_available_and_healthy":
		return x.deploymentProbe(ctx, f.name, args)
	case "query", "query_interval":
		return x.prometheus(ctx, f.name, args, vars)
	case "add_delay_fault", "add_abort_fault":
		return x.addFault(ctx, f.name, args)
	case "remove_delay_fault", "remove_abort_fault":
		return x.removeFaults(ctx, args)
	}
	return nil, "", fmt.Errorf("gameday does not run %s.%s", f.module, f.name)
}

// at points the session at the namespace and Deployment an activity names, as a scenario's target
// step does. An experiment runs in the session's namespace (-n): another one is an error.
func (x *SessionExecutor) at(ns, deploy string) error {
	if ns != "" && ns != x.S.Namespace() {
		return fmt.Errorf("the activity acts in namespace %q and this run is in %q: run with -n %s (gameday runs an experiment in one namespace)",
			ns, x.S.Namespace(), ns)
	}
	if deploy != "" && deploy != x.S.Target() {
		x.S.SetTarget(deploy)
	}
	return nil
}

// act runs one catalog action through the session; a refusal or an error fails the activity.
func (x *SessionExecutor) act(ctx context.Context, name actions.Name, args string) (any, string, error) {
	spec, ok := actions.Lookup(name)
	if !ok || spec.Command == "" {
		return nil, "", fmt.Errorf("no action %s in the catalog", name)
	}
	r, err := x.S.Act(ctx, spec.Command, args)
	did := strings.TrimSpace(string(name) + " " + args)
	if r.Entry.Result == actions.ResultDryRun {
		did += " (dry run)"
	}
	if err != nil {
		return nil, did, err
	}
	if r.Entry.Result == actions.ResultRefused || r.Entry.Result == actions.ResultError {
		return nil, did, fmt.Errorf("%s: %s", r.Entry.Result, firstOf(r.Entry.Error, r.Err))
	}
	return nil, did, nil
}

// terminatePods picks pods as chaosk8s's terminate_pods does and kills each through the catalog.
func (x *SessionExecutor) terminatePods(ctx context.Context, fn string, args map[string]any) (any, string, error) {
	ns := str(args, "ns")
	pattern := str(args, "name_pattern")
	if fn == "delete_pods" {
		pattern = str(args, "name")
	}
	qty, err := integer(args, "qty")
	if err != nil {
		return nil, "", err
	}
	if fn == "delete_pods" {
		qty = 0
		args["all"] = true
	}
	mode, order := firstOf(str(args, "mode"), "fixed"), firstOf(str(args, "order"), "alphabetic")
	switch {
	case qty < 0:
		return nil, "", fmt.Errorf("Cannot terminate pods. Quantity '%d' is negative.", qty) //nolint:staticcheck // chaosk8s's words
	case mode != "fixed" && mode != "percentage":
		return nil, "", fmt.Errorf("Unknown mode '%s' (fixed or percentage)", mode) //nolint:staticcheck // chaosk8s's words
	case order != "alphabetic" && order != "oldest":
		return nil, "", fmt.Errorf("Unknown order '%s' (alphabetic or oldest)", order) //nolint:staticcheck // chaosk8s's words
	}
	list, err := x.S.Env.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: str(args, "label_selector")})
	if err != nil {
		return nil, "", fmt.Errorf("listing pods in %s: %w", ns, err)
	}
	pods := list.Items
	if pattern != "" {
		rx, err := regexp.Compile(pattern)
		if err != nil {
			return nil, "", fmt.Errorf("name_pattern %q: %w", pattern, err)
		}
		pods = filterPods(pods, func(p corev1.Pod) bool { return rx.MatchString(p.Name) })
	}
	if order == "oldest" {
		sort.SliceStable(pods, func(i, j int) bool { return pods[i].CreationTimestamp.Before(&pods[j].CreationTimestamp) })
	}
	if !truthy(args, "all") {
		if mode == "percentage" {
			qty = int64(math.Ceil(float64(qty) * float64(len(pods)) / 100))
		}
		qty = min(qty, int64(len(pods)))
		if truthy(args, "rand") {
			r := x.Rand
			if r == nil {
				r = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
			}
			r.Shuffle(len(pods), func(i, j int) { pods[i], pods[j] = pods[j], pods[i] })
		}
		pods = pods[:qty]
	}
	names := make([]any, 0, len(pods))
	var did []string
	for _, p := range pods {
		if err := x.at(ns, deploymentOf(p)); err != nil {
			return names, strings.Join(did, ", "), err
		}
		if err := x.waitSeen(ctx, ns, p.Name); err != nil {
			return names, strings.Join(did, ", "), err
		}
		kill := "pod/" + p.Name
		if g, err := integer(args, "grace_period"); err == nil && g >= 0 && args["grace_period"] != nil {
			kill += " grace " + strconv.FormatInt(g, 10)
		}
		_, d, err := x.act(ctx, actions.Kill, kill)
		did = append(did, d)
		if err != nil {
			return names, strings.Join(did, ", "), err
		}
		names = append(names, p.Name)
	}
	return names, strings.Join(did, ", "), nil
}

// waitSeen waits a little for the session's view to hold a pod the API listed (its watch may lag).
func (x *SessionExecutor) waitSeen(ctx context.Context, ns, name string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		seen := false
		x.S.View(func(w actions.World) { seen = w.Cluster.Pods[ns+"/"+name] != nil })
		if seen {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pod/%s is not in gameday's view of namespace %s", name, ns)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitSeenVS waits a little for the session's view to hold a VirtualService the API has.
func (x *SessionExecutor) waitSeenVS(ctx context.Context, ns, name string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		seen := false
		x.S.View(func(w actions.World) { seen = w.Cluster.VirtualServices[ns+"/"+name] != nil })
		if seen {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("virtualservice/%s is not in gameday's view of namespace %s", name, ns)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// deploymentOf names the Deployment that owns a pod through its ReplicaSet (name-hash), or "".
func deploymentOf(p corev1.Pod) string {
	for _, o := range p.OwnerReferences {
		if o.Kind == "ReplicaSet" {
			if h := p.Labels["pod-template-hash"]; h != "" {
				return strings.TrimSuffix(o.Name, "-"+h)
			}
		}
	}
	return ""
}

func filterPods(pods []corev1.Pod, keep func(corev1.Pod) bool) []corev1.Pod {
	out := pods[:0]
	for _, p := range pods {
		if keep(p) {
			out = append(out, p)
		}
	}
	return out
}

// nodes runs drain_nodes, cordon_node and uncordon_node on the nodes they name or select.
func (x *SessionExecutor) nodes(ctx context.Context, fn string, args map[string]any) (any, string, error) {
	var names []string
	if n := str(args, "name"); n != "" {
		names = []string{n}
	} else {
		list, err := x.S.Env.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: str(args, "label_selector")})
		if err != nil {
			return nil, "", fmt.Errorf("listing nodes: %w", err)
		}
		for _, n := range list.Items {
			names = append(names, n.Name)
		}
	}
	if len(names) == 0 {
		return nil, "", fmt.Errorf("failed to find a node that matches selector %s", str(args, "label_selector"))
	}
	action := map[string]actions.Name{"drain_nodes": actions.Drain, "cordon_node": actions.Cordon, "uncordon_node": actions.Uncordon}[fn]
	var did []string
	out := make([]any, 0, len(names))
	for _, n := range names {
		_, d, err := x.act(ctx, action, n)
		did = append(did, d)
		if err != nil {
			return out, strings.Join(did, ", "), err
		}
		out = append(out, n)
	}
	if fn == "drain_nodes" {
		return out, strings.Join(did, ", "), nil
	}
	return nil, strings.Join(did, ", "), nil
}

// podProbe answers chaosk8s's pod probes from the API, as they do.
func (x *SessionExecutor) podProbe(ctx context.Context, fn string, args map[string]any) (any, string, error) {
	ns := str(args, "ns")
	list, err := x.S.Env.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: str(args, "label_selector")})
	if err != nil {
		return nil, "", fmt.Errorf("listing pods in %s: %w", ns, err)
	}
	pods := list.Items
	phase := str(args, "phase")
	switch fn {
	case "pods_in_phase":
		if len(pods) == 0 {
			return nil, "", fmt.Errorf("no pods '%s' were found", str(args, "label_selector"))
		}
		for _, p := range pods {
			if string(p.Status.Phase) != phase {
				if truthy(args, "raise_on_invalid_phase") {
					return nil, "", fmt.Errorf("pod '%s' is in phase '%s' but should be '%s'", p.Name, p.Status.Phase, phase)
				}
				return false, "", nil
			}
		}
		return true, "", nil
	case "pods_not_in_phase":
		if len(pods) == 0 {
			return nil, "", fmt.Errorf("no pods '%s' were found", str(args, "label_selector"))
		}
		for _, p := range pods {
			if string(p.Status.Phase) == phase {
				if truthy(args, "raise_on_in_phase") {
					return nil, "", fmt.Errorf("pod '%s' should not be in phase '%s'", p.Name, phase)
				}
				return false, "", nil
			}
		}
		return true, "", nil
	case "count_pods":
		n := int64(0)
		for _, p := range pods {
			if phase == "" || string(p.Status.Phase) == phase {
				n++
			}
		}
		return n, "", nil
	case "count_min_pods":
		minCount, err := integer(args, "min_count")
		if err != nil {
			return nil, "", err
		}
		n := int64(0)
		for _, p := range pods {
			if phase == "" || string(p.Status.Phase) == phase {
				n++
			}
		}
		return n >= minCount, "", nil
	default: // all_pods_healthy, all_microservices_healthy
		for _, p := range pods {
			switch p.Status.Phase {
			case corev1.PodFailed:
				return nil, "", fmt.Errorf("the system is unhealthy")
			case corev1.PodRunning, corev1.PodSucceeded:
			default:
				return nil, "", fmt.Errorf("the system is unhealthy")
			}
		}
		if fn == "all_pods_healthy" && !truthy(args, "raise_on_any_unhealthy") {
			return true, "", nil
		}
		return true, "", nil
	}
}

// podConditions answers pods_in_conditions: every pod has every {type, status} given.
func (x *SessionExecutor) podConditions(ctx context.Context, args map[string]any) (any, string, error) {
	ns, selector := str(args, "ns"), str(args, "label_selector")
	list, err := x.S.Env.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, "", fmt.Errorf("listing pods in %s: %w", ns, err)
	}
	raise := truthy(args, "raise_on_invalid_conditions")
	if len(list.Items) == 0 {
		if !raise {
			return false, "", nil
		}
		return nil, "", fmt.Errorf("no pods '%s' were found", selector)
	}
	want, _ := args["conditions"].([]any)
	for _, p := range list.Items {
		for _, c := range want {
			cm, _ := c.(map[string]any)
			found := false
			for _, pc := range p.Status.Conditions {
				found = found || (pyStr(cm["type"]) == string(pc.Type) && pyStr(cm["status"]) == string(pc.Status) && len(cm) == 2)
			}
			if !found {
				if !raise {
					return false, "", nil
				}
				return nil, "", fmt.Errorf("pod %s does not match the following given condition: %s", p.Name, pyStr(c))
			}
		}
	}
	return true, "", nil
}

// deploymentReadiness waits, as chaosk8s's watch does, until the Deployment's ready replicas are
// (fully) or are not (not fully) its replicas, within the timeout.
func (x *SessionExecutor) deploymentReadiness(ctx context.Context, fn string, args map[string]any) (any, string, error) {
	ns, name := str(args, "ns"), str(args, "name")
	secs, err := integer(args, "timeout")
	if err != nil {
		return nil, "", err
	}
	want := fn == "deployment_fully_available"
	deadline := time.Now().Add(time.Duration(secs) * time.Second)
	for {
		d, err := x.S.Env.Client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			replicas := int32(1)
			if d.Spec.Replicas != nil {
				replicas = *d.Spec.Replicas
			}
			if (d.Status.ReadyReplicas == replicas) == want {
				return true, "", nil
			}
		}
		if time.Now().After(deadline) {
			raise := "raise_on_not_fully_available"
			m := fmt.Sprintf("deployment '%s' failed to recover within %ds", name, secs)
			if !want {
				raise, m = "raise_on_fully_available", fmt.Sprintf("deployment '%s' failed to stop running within %ds", name, secs)
			}
			if !truthy(args, raise) {
				return false, "", nil
			}
			return nil, "", errors.New(m)
		}
		select {
		case <-ctx.Done():
			return nil, "", ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// deploymentProbe answers deployment_available_and_healthy (and the old name, which returns
// nothing whatever it finds: a `true` tolerance on it never holds, as with chaosk8s).
func (x *SessionExecutor) deploymentProbe(ctx context.Context, fn string, args map[string]any) (any, string, error) {
	ns, name := str(args, "ns"), str(args, "name")
	selector := str(args, "label_selector")
	if fn == "microservice_available_and_healthy" && selector == "" {
		selector = "name in (" + name + ")"
	}
	opts := metav1.ListOptions{FieldSelector: "metadata.name=" + name}
	if selector != "" {
		opts = metav1.ListOptions{LabelSelector: selector}
	}
	list, err := x.S.Env.Client.AppsV1().Deployments(ns).List(ctx, opts)
	if err != nil {
		return nil, "", fmt.Errorf("reading deployment %s: %w", name, err)
	}
	if len(list.Items) == 0 {
		return nil, "", fmt.Errorf("Deployment '%s' was not found", name) //nolint:staticcheck // chaosk8s's words
	}
	for _, d := range list.Items {
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		if d.Status.AvailableReplicas != want {
			if fn == "deployment_available_and_healthy" && !truthy(args, "raise_on_unavailable") {
				return false, "", nil
			}
			return nil, "", fmt.Errorf("Deployment '%s' is not healthy", d.Name) //nolint:staticcheck // chaosk8s's words
		}
	}
	if fn == "microservice_available_and_healthy" {
		return nil, "", nil
	}
	return true, "", nil
}

// prometheus runs chaosprometheus's query and query_interval against configuration's
// prometheus_base_url (default http://localhost:9090) and returns Prometheus's JSON as is.
func (x *SessionExecutor) prometheus(ctx context.Context, fn string, args map[string]any, vars Vars) (any, string, error) {
	base := "http://localhost:9090"
	if b, ok := vars.Configuration["prometheus_base_url"].(string); ok && b != "" {
		base = b
	}
	q := url.Values{"query": {str(args, "query")}}
	path := "/api/v1/query"
	if fn == "query_interval" {
		path = "/api/v1/query_range"
		start, err := promTime(args["start"])
		if err != nil {
			return nil, "", fmt.Errorf("start: %w", err)
		}
		end, err := promTime(args["end"])
		if err != nil {
			return nil, "", fmt.Errorf("end: %w", err)
		}
		q.Set("start", start)
		q.Set("end", end)
		q.Set("step", pyStr(args["step"]))
	} else if w := args["when"]; w != nil {
		t, err := promTime(w)
		if err != nil {
			return nil, "", fmt.Errorf("when: %w", err)
		}
		q.Set("time", t)
	}
	verify := args["verify_tls"] != false
	timeout := 30 * time.Second
	if t := seconds(args["timeout"]); t > 0 {
		timeout = t
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path+"?"+q.Encode(), nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := x.client(verify).Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("Prometheus query %s failed: %w", q.Get("query"), err) //nolint:staticcheck // chaosprometheus's words
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, "", fmt.Errorf("Prometheus query %s: %w", q.Get("query"), err) //nolint:staticcheck // chaosprometheus's words
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("Prometheus query %s failed: %s", q.Get("query"), strings.TrimSpace(string(body))) //nolint:staticcheck // chaosprometheus's words
	}
	return decodeJSON(body)
}

// promTime reads a time as chaosprometheus accepts it: RFC 3339, "now", "N seconds|minutes|hours ago".
func promTime(x any) (string, error) {
	s := strings.TrimSpace(pyStr(x))
	if s == "now" {
		return strconv.FormatInt(time.Now().Unix(), 10), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return strconv.FormatFloat(float64(t.UnixNano())/1e9, 'f', 3, 64), nil
	}
	if f := strings.Fields(s); len(f) == 3 && f[2] == "ago" {
		n, err := strconv.ParseFloat(f[0], 64)
		if err == nil {
			unit := map[string]time.Duration{"second": time.Second, "seconds": time.Second, "minute": time.Minute, "minutes": time.Minute,
				"hour": time.Hour, "hours": time.Hour}[f[1]]
			if unit > 0 {
				return strconv.FormatInt(time.Now().Add(-time.Duration(n*float64(unit))).Unix(), 10), nil
			}
		}
	}
	return "", fmt.Errorf("%q: want RFC 3339, now, or N seconds|minutes|hours ago", s)
}

func decodeJSON(b []byte) (any, string, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, "", fmt.Errorf("not JSON: %w", err)
	}
	return pyNumbers(v), "", nil
}

// pyNumbers turns json.Numbers into int64 where Python's json would make an int, float64 otherwise.
func pyNumbers(v any) any {
	switch t := v.(type) {
	case json.Number:
		if n, err := t.Int64(); err == nil && !strings.ContainsAny(t.String(), ".eE") {
			return n
		}
		f, _ := t.Float64()
		return f
	case map[string]any:
		for k, x := range t {
			t[k] = pyNumbers(x)
		}
	case []any:
		for i, x := range t {
			t[i] = pyNumbers(x)
		}
	}
	return v
}

func (x *SessionExecutor) client(verify bool) *http.Client {
	c := x.HTTP
	if c == nil {
		c = &http.Client{}
	}
	if verify {
		return c
	}
	cp := *c
	var base *http.Transport
	if t, ok := c.Transport.(*http.Transport); ok {
		base = t.Clone()
	} else {
		base = http.DefaultTransport.(*http.Transport).Clone()
	}
	base.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the experiment asked: verify_tls false
	cp.Transport = base
	return &cp
}

// http runs the Chaos Toolkit's http provider: arguments are the query (GET) or the body (JSON when
// the request's Content-Type is application/json, else a form); 4xx and 5xx do not fail the
// activity; the output is {status, headers, body}, the body decoded when the answer is JSON.
func (x *SessionExecutor) http(ctx context.Context, p Provider, vars Vars) (any, error) {
	u, _ := vars.Substitute(p.URL).(string)
	headers, _ := vars.Substitute(p.Headers).(map[string]any)
	args, _ := vars.Substitute(p.Arguments).(map[string]any)
	timeout := 30 * time.Second
	switch t := vars.Substitute(p.Timeout).(type) {
	case int64, float64:
		timeout = seconds(t)
	case []any: // [connect, read]: the sum bounds the whole request
		timeout = 0
		for _, x := range t {
			timeout += seconds(x)
		}
	}
	var body io.Reader
	contentType := ""
	for k, v := range headers {
		if strings.EqualFold(k, "Content-Type") {
			contentType, _ = v.(string)
		}
	}
	if p.Method == http.MethodGet {
		if len(args) > 0 {
			q := url.Values{}
			for _, k := range sortedKeys(args) {
				q.Set(k, pyStr(args[k]))
			}
			sep := "?"
			if strings.Contains(u, "?") {
				sep = "&"
			}
			u += sep + q.Encode()
		}
	} else if len(args) > 0 {
		if contentType == "application/json" {
			b, _ := json.Marshal(args)
			body = bytes.NewReader(b)
		} else {
			f := url.Values{}
			for _, k := range sortedKeys(args) {
				f.Set(k, pyStr(args[k]))
			}
			body = strings.NewReader(f.Encode())
			if contentType == "" {
				contentType = "application/x-www-form-urlencoded"
				headers = mapsWith(headers, "Content-Type", contentType)
			}
		}
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, p.Method, u, body)
	if err != nil {
		return nil, fmt.Errorf("http activity: %w", err)
	}
	for k, v := range headers {
		req.Header.Set(k, pyStr(v))
	}
	resp, err := x.client(p.VerifyTLS).Do(req)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return nil, fmt.Errorf("activity took too long to complete")
		}
		return nil, fmt.Errorf("failed to connect to %s: %w", u, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", u, err)
	}
	hdr := map[string]any{}
	for k := range resp.Header {
		hdr[k] = resp.Header.Get(k)
	}
	var out any = string(raw)
	if resp.Header.Get("Content-Type") == "application/json" {
		if v, _, err := decodeJSON(raw); err == nil {
			out = v
		}
	}
	return map[string]any{"status": int64(resp.StatusCode), "headers": hdr, "body": out}, nil
}

func mapsWith(m map[string]any, k string, v any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for a, b := range m {
		out[a] = b
	}
	out[k] = v
	return out
}

// Namespaces lists the namespaces the experiment's Kubernetes activities name (chaosk8s's default
// is "default"), sorted: gameday runs an experiment in one.
func (e *Experiment) Namespaces(vars Vars) []string {
	seen := map[string]bool{}
	var all []Activity
	if e.Hypothesis != nil {
		all = append(all, e.Hypothesis.Probes...)
	}
	all = append(append(all, e.Method...), e.Rollbacks...)
	for _, a := range all {
		if a.Ref != "" || a.Provider.Type != "python" {
			continue
		}
		f, ok := functions[a.Provider.Module+"."+a.Provider.Func]
		if !ok {
			continue
		}
		args := bind(f, vars.Substitute(a.Provider.Arguments))
		if _, has := args["ns"]; has {
			seen[pyStr(args["ns"])] = true
		}
	}
	return sortedKeys(anyMapOf(seen))
}

func anyMapOf(m map[string]bool) map[string]any {
	out := make(map[string]any, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

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
	if err := x.waitSeenVS(ctx, ns, vs); err != nil {
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
