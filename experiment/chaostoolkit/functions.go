package chaostoolkit

import (
	"sort"
	"strings"
)

// param is one parameter of a Python function: its name and whether the call must give it.
type param struct {
	name     string
	required bool
	def      any // the default when not required
}

// function is a Python activity gameday carries out itself: the module and function the file names,
// their signature (as chaostoolkit-kubernetes 0.39.0 and chaostoolkit-prometheus 0.6.0 declare it),
// and what gameday does for it.
type function struct {
	module, name string
	params       []param
	// does says, for the support table, what gameday does instead.
	does string
}

func req(name string) param          { return param{name: name, required: true} }
func opt(name string, def any) param { return param{name: name, def: def} }

// functions are the Python activities gameday runs, keyed module.func.
var functions = indexFunctions([]function{
	// chaosk8s pod actions
	{module: "chaosk8s.pod.actions", name: "terminate_pods", params: []param{opt("label_selector", nil), opt("name_pattern", nil),
		opt("all", false), opt("rand", false), opt("mode", "fixed"), opt("qty", int64(1)), opt("grace_period", int64(-1)),
		opt("ns", "default"), opt("order", "alphabetic")}, does: "kill (each pod picked as chaosk8s picks it)"},
	{module: "chaosk8s.pod.actions", name: "delete_pods", params: []param{opt("name", nil), opt("ns", "default"), opt("label_selector", nil)},
		does: "kill (pods whose name matches)"},
	// chaosk8s deployment actions
	{module: "chaosk8s.deployment.actions", name: "scale_deployment", params: []param{req("name"), req("replicas"), opt("ns", "default")}, does: "scale"},
	{module: "chaosk8s.actions", name: "scale_microservice", params: []param{req("name"), req("replicas"), opt("ns", "default")}, does: "scale"},
	{module: "chaosk8s.deployment.actions", name: "rollout_deployment", params: []param{opt("name", nil), opt("ns", "default")}, does: "restart (rollout restart)"},
	// chaosk8s node actions
	{module: "chaosk8s.node.actions", name: "drain_nodes", params: []param{opt("name", nil), opt("label_selector", nil),
		opt("delete_pods_with_local_storage", false), opt("timeout", int64(120)), opt("count", nil), opt("pod_label_selector", nil),
		opt("pod_namespace", nil)}, does: "drain (cordon, then evictions that disruption budgets hold)"},
	{module: "chaosk8s.node.actions", name: "cordon_node", params: []param{opt("name", nil), opt("label_selector", nil)}, does: "cordon"},
	{module: "chaosk8s.node.actions", name: "uncordon_node", params: []param{opt("name", nil), opt("label_selector", nil)}, does: "uncordon"},
	// chaosk8s probes
	{module: "chaosk8s.pod.probes", name: "pods_in_phase", params: []param{req("label_selector"), opt("phase", "Running"), opt("ns", "default"),
		opt("raise_on_invalid_phase", true)}, does: "read from the session's cluster view"},
	{module: "chaosk8s.pod.probes", name: "pods_not_in_phase", params: []param{req("label_selector"), opt("phase", "Running"), opt("ns", "default"),
		opt("raise_on_in_phase", true)}, does: "read from the cluster"},
	{module: "chaosk8s.pod.probes", name: "pods_in_conditions", params: []param{req("label_selector"), req("conditions"), opt("ns", "default"),
		opt("raise_on_invalid_conditions", true)}, does: "read from the cluster"},
	{module: "chaosk8s.pod.probes", name: "count_pods", params: []param{req("label_selector"), opt("phase", nil), opt("ns", "default")}, does: "read from the cluster"},
	{module: "chaosk8s.pod.probes", name: "count_min_pods", params: []param{req("label_selector"), opt("phase", "Running"), opt("min_count", int64(2)),
		opt("ns", "default")}, does: "read from the cluster"},
	{module: "chaosk8s.pod.probes", name: "all_pods_healthy", params: []param{opt("ns", "default"), opt("raise_on_any_unhealthy", true)}, does: "read from the cluster"},
	{module: "chaosk8s.probes", name: "all_microservices_healthy", params: []param{opt("ns", "default")}, does: "read from the cluster"},
	{module: "chaosk8s.deployment.probes", name: "deployment_available_and_healthy", params: []param{req("name"), opt("ns", "default"),
		opt("label_selector", nil), opt("raise_on_unavailable", true)}, does: "read from the cluster"},
	{module: "chaosk8s.deployment.probes", name: "deployment_fully_available", params: []param{req("name"), opt("ns", "default"),
		opt("label_selector", nil), opt("timeout", int64(30)), opt("raise_on_not_fully_available", true)}, does: "polls the Deployment until its ready replicas are its replicas, or the timeout"},
	{module: "chaosk8s.deployment.probes", name: "deployment_not_fully_available", params: []param{req("name"), opt("ns", "default"),
		opt("label_selector", nil), opt("timeout", int64(30)), opt("raise_on_fully_available", true)}, does: "polls the Deployment until its ready replicas are not its replicas, or the timeout"},
	{module: "chaosk8s.probes", name: "microservice_available_and_healthy", params: []param{req("name"), opt("ns", "default"), opt("label_selector", nil)},
		does: "read from the cluster; returns nothing, as chaosk8s's does"},
	// chaosistio (chaostoolkit-istio 0.4.1)
	{module: "chaosistio.fault.actions", name: "add_delay_fault", params: []param{req("virtual_service_name"), req("fixed_delay"), req("routes"),
		opt("percentage", nil), opt("ns", "default"), opt("version", "networking.istio.io/v1alpha3")}, does: "fault VS delay D P% (gameday's Istio fault, reverted by HALT)"},
	{module: "chaosistio.fault.actions", name: "add_abort_fault", params: []param{req("virtual_service_name"), req("http_status"), req("routes"),
		opt("percentage", nil), opt("ns", "default"), opt("version", "networking.istio.io/v1alpha3")}, does: "fault VS abort S P% (gameday's Istio fault, reverted by HALT)"},
	{module: "chaosistio.fault.actions", name: "remove_delay_fault", params: []param{req("virtual_service_name"), req("routes"), opt("ns", "default"),
		opt("version", "networking.istio.io/v1alpha3")}, does: "unfault the run's faults on the VirtualService"},
	{module: "chaosistio.fault.actions", name: "remove_abort_fault", params: []param{req("virtual_service_name"), req("routes"), opt("ns", "default"),
		opt("version", "networking.istio.io/v1alpha3")}, does: "unfault the run's faults on the VirtualService"},
	// chaosprometheus
	{module: "chaosprometheus.probes", name: "query", params: []param{req("query"), opt("when", nil), opt("timeout", nil), opt("verify_tls", true)},
		does: "an instant query to configuration.prometheus_base_url"},
	{module: "chaosprometheus.probes", name: "query_interval", params: []param{req("query"), req("start"), req("end"), opt("step", int64(1)),
		opt("timeout", nil), opt("verify_tls", true)}, does: "a range query to configuration.prometheus_base_url"},
})

// refused are Python activities the Chaos Toolkit runs and gameday will not, with the reason.
var refused = map[string]string{
	"chaosk8s.actions.kill_microservice":            "it deletes the Deployment with its ReplicaSets and pods, which nothing brings back: gameday's catalog has no such action; use terminate_pods or scale_deployment",
	"chaosk8s.deployment.actions.delete_deployment": "it deletes the Deployment, which nothing brings back: gameday's catalog has no such action; use terminate_pods or scale_deployment",
}

func indexFunctions(list []function) map[string]function {
	m := make(map[string]function, len(list))
	for _, f := range list {
		m[f.module+"."+f.name] = f
	}
	return m
}

// Supported lists module.func of every Python activity gameday runs, sorted.
func Supported() []string {
	out := make([]string, 0, len(functions))
	for k := range functions {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// supportedText is the list for an error message: by module, functions after it.
func supportedText() string {
	by := map[string][]string{}
	for _, f := range functions {
		by[f.module] = append(by[f.module], f.name)
	}
	mods := make([]string, 0, len(by))
	for m := range by {
		mods = append(mods, m)
	}
	sort.Strings(mods)
	var parts []string
	for _, m := range mods {
		sort.Strings(by[m])
		parts = append(parts, m+" ("+strings.Join(by[m], ", ")+")")
	}
	return strings.Join(parts, "; ")
}
