package chaostoolkit

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/experiment/bridge"
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
	// AllowProcess lets process activities run (gameday run --allow-process).
	AllowProcess bool
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
	case "process":
		if !x.AllowProcess {
			return nil, "", fmt.Errorf("activity '%s' runs a process (%s): gameday runs processes only with --allow-process", a.Name, a.Provider.Path)
		}
		out, err := process(ctx, a.Provider, vars)
		return out, "ran " + a.Provider.Path, err
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

// bridge is the session as other tools' experiments act on it.
func (x *SessionExecutor) bridge() bridge.Bridge { return bridge.Bridge{S: x.S} }

// at points the session at an activity's namespace and Deployment.
func (x *SessionExecutor) at(ns, deploy string) error {
	if err := x.bridge().At(ns, deploy); err != nil {
		return fmt.Errorf("the activity: %w", err)
	}
	return nil
}

// act runs one catalog action; a refusal or an error fails the activity.
func (x *SessionExecutor) act(ctx context.Context, name actions.Name, args string) (any, string, error) {
	_, did, err := x.bridge().Act(ctx, name, args)
	return nil, did, err
}
