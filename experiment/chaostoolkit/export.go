package chaostoolkit

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/scenario"
)

// ExportOptions say what the exported experiment points at.
type ExportOptions struct {
	// Namespace is the run's namespace when the scenario's guard names none ("default" if empty).
	Namespace string
	// PrometheusURL is configuration.prometheus_base_url (chaosprometheus's default if empty).
	PrometheusURL string
}

// The exported document, in the order a person reads a Chaos Toolkit file.
type (
	xDoc struct {
		Title         string         `json:"title"`
		Description   string         `json:"description"`
		Tags          []string       `json:"tags"`
		Configuration map[string]any `json:"configuration"`
		Runtime       *xRuntime      `json:"runtime,omitempty"`
		Hypothesis    *xHypothesis   `json:"steady-state-hypothesis,omitempty"`
		Method        []*xActivity   `json:"method"`
		Rollbacks     []*xActivity   `json:"rollbacks,omitempty"`
	}
	xRuntime struct {
		Hypothesis map[string]string `json:"hypothesis"`
	}
	xHypothesis struct {
		Title  string       `json:"title"`
		Probes []*xActivity `json:"probes"`
	}
	xActivity struct {
		Type       string         `json:"type"`
		Name       string         `json:"name"`
		Tolerance  any            `json:"tolerance,omitempty"`
		Provider   *xProvider     `json:"provider"`
		Pauses     map[string]any `json:"pauses,omitempty"`
		Background bool           `json:"background,omitempty"`
	}
	xProvider struct {
		Type      string         `json:"type"`
		Module    string         `json:"module,omitempty"`
		Func      string         `json:"func,omitempty"`
		Arguments map[string]any `json:"arguments,omitempty"`
		URL       string         `json:"url,omitempty"`
		Method    string         `json:"method,omitempty"`
		Timeout   any            `json:"timeout,omitempty"`
	}
)

// readyExpr is the Kubernetes probe a Deployment's readiness is written as (the examples' own):
// exported as chaosk8s's deployment probes.
var readyExpr = regexp.MustCompile(`^object\.status\.(\?readyReplicas\.orValue\(0\)|readyReplicas)\s*==\s*object\.spec\.replicas$`)

// Export writes a gameday scenario as a Chaos Toolkit experiment for teams that keep the Chaos
// Toolkit in CI: kills become chaosk8s's terminate_pods (the Deployment's pods by name), scale,
// restart, cordon, uncordon and drain their chaosk8s actions, a Deployment-ready probe
// deployment_available_and_healthy (and, as a method step with within, deployment_fully_available
// with that timeout), a Prometheus probe a query whose comparison is PromQL's (a jsonpath tolerance
// on a non-empty answer), an http probe the http provider. What the Chaos Toolkit cannot express
// (load, faults, HALT, the monkey, CEL, traces and logs, latency) is refused, every part named.
func Export(e *scenario.Experiment, o ExportOptions) ([]byte, error) {
	ns := e.Guard.Namespace
	if ns == "" {
		ns = o.Namespace
	}
	if ns == "" {
		ns = "default"
	}
	x := &exporter{e: e, ns: ns, workload: strings.TrimPrefix(e.Target, "deploy/"), probes: map[string]scenario.Probe{}}
	x.expand = e.Expander(ns, x.workload)
	doc := &xDoc{Title: e.Metadata.Name, Description: e.Metadata.Description, Tags: []string{"gameday"},
		Configuration: map[string]any{"ns": ns}, Method: []*xActivity{}}
	if doc.Description == "" {
		doc.Description = "exported from the gameday scenario " + e.Metadata.Name
	}
	if o.PrometheusURL != "" {
		doc.Configuration["prometheus_base_url"] = o.PrometheusURL
	}
	during := false
	if len(e.Hypothesis.Probes) > 0 {
		doc.Hypothesis = &xHypothesis{Title: e.Metadata.Name + " holds"}
		for i, p := range e.Hypothesis.Probes {
			x.probes[p.Name] = p
			for _, ph := range p.Phases {
				during = during || ph == "during"
			}
			a := x.probe(fmt.Sprintf("hypothesis.probes[%d]", i), p)
			if a != nil {
				doc.Hypothesis.Probes = append(doc.Hypothesis.Probes, a)
			}
		}
	}
	if during {
		doc.Runtime = &xRuntime{Hypothesis: map[string]string{"strategy": "continuously"}}
	}
	doc.Method = x.steps("method", e.Method)
	doc.Rollbacks = x.steps("rollbacks", e.Rollbacks)
	if len(x.errs) > 0 {
		return nil, errors.New("cannot be written as a Chaos Toolkit experiment:\n  " + strings.Join(x.errs, "\n  "))
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

type exporter struct {
	e        *scenario.Experiment
	ns       string
	workload string
	expand   *strings.Replacer
	probes   map[string]scenario.Probe
	errs     []string
}

func (x *exporter) refuse(where, why string) { x.errs = append(x.errs, where+": "+why) }

func python(module, fn string, args map[string]any) *xProvider {
	return &xProvider{Type: "python", Module: module, Func: fn, Arguments: args}
}

// probe is a hypothesis probe as a Chaos Toolkit probe with its tolerance.
func (x *exporter) probe(where string, p scenario.Probe) *xActivity {
	switch {
	case p.Kubernetes != nil:
		k := p.Kubernetes
		if k.Kind != "Deployment" || !readyExpr.MatchString(strings.TrimSpace(k.Expr)) {
			x.refuse(where+" ("+p.Name+")", "a Kubernetes probe other than a Deployment's ready replicas (object.status.readyReplicas == object.spec.replicas) has no chaosk8s probe")
			return nil
		}
		return &xActivity{Type: "probe", Name: p.Name, Tolerance: true, Provider: python("chaosk8s.deployment.probes", "deployment_available_and_healthy",
			map[string]any{"name": x.expand.Replace(k.Name), "ns": "${ns}"})}
	case p.Prometheus != nil:
		if p.Expect == "" {
			x.refuse(where+" ("+p.Name+")", "a Prometheus probe without expect")
			return nil
		}
		ex, err := scenario.ParseExpect(p.Expect)
		if err != nil {
			x.refuse(where+" ("+p.Name+")", err.Error())
			return nil
		}
		if p.Prometheus.Window.Duration > 0 {
			x.refuse(where+" ("+p.Name+")", "a Prometheus probe over a window (every sample of it) has no chaosprometheus equivalent; an instant query has")
			return nil
		}
		q := strings.ReplaceAll(x.expand.Replace(p.Prometheus.Query), "$interval", "1m")
		return &xActivity{Type: "probe", Name: p.Name, Tolerance: map[string]any{"type": "jsonpath", "path": "$.data.result[*]"},
			Provider: python("chaosprometheus.probes", "query", map[string]any{"query": promCompare(q, ex)})}
	case p.HTTP != nil:
		h := p.HTTP
		switch {
		case h.BodyContains != "" || h.JSONPath != "":
			x.refuse(where+" ("+p.Name+")", "an http probe's bodyContains or jsonPath: export checks the status only; make it a probe of its own status")
			return nil
		case h.MaxLatency.Duration > 0:
			x.refuse(where+" ("+p.Name+")", "an http probe's maxLatency: the Chaos Toolkit's tolerances do not see latency")
			return nil
		}
		prov := &xProvider{Type: "http", URL: x.expand.Replace(h.URL), Method: h.Method}
		if h.Timeout.Duration > 0 {
			prov.Timeout = h.Timeout.Duration.Seconds()
		}
		var tol any = map[string]any{"type": "range", "range": []any{200, 299}, "target": "status"}
		if len(h.Status) > 0 {
			list := make([]any, len(h.Status))
			for i, s := range h.Status {
				list[i] = s
			}
			tol = list // on an http output, chaoslib reads any list as membership, a 2-list too
		}
		return &xActivity{Type: "probe", Name: p.Name, Tolerance: tol, Provider: prov}
	}
	x.refuse(where+" ("+p.Name+")", "only kubernetes (Deployment ready), prometheus and http probes have Chaos Toolkit equivalents")
	return nil
}

// promCompare makes expect a PromQL comparison: the answer is non-empty exactly when it holds.
func promCompare(q string, ex scenario.Expect) string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	if ex.Op == "between" {
		return fmt.Sprintf("((%s) >= %s) <= %s", q, f(ex.V), f(ex.Max))
	}
	return fmt.Sprintf("(%s) %s %s", q, ex.Op, f(ex.V))
}

// steps are the method's or the rollbacks' steps as activities; a wait becomes the pause after
// the activity before it (before the next one when it comes first).
func (x *exporter) steps(where string, steps []scenario.Step) []*xActivity {
	out := []*xActivity{}
	var pending time.Duration
	for i, st := range steps {
		at := fmt.Sprintf("%s[%d]", where, i)
		switch {
		case st.Wait.Duration > 0:
			if len(out) > 0 {
				prev := out[len(out)-1]
				if prev.Pauses == nil {
					prev.Pauses = map[string]any{}
				}
				after, _ := prev.Pauses["after"].(float64)
				prev.Pauses["after"] = after + st.Wait.Duration.Seconds()
			} else {
				pending += st.Wait.Duration
			}
			continue
		case st.Note != "":
			continue // a note is for the people in the room
		case st.Probe != "":
			a := x.probeStep(at, st)
			if a != nil {
				out = append(out, a)
			}
			continue
		}
		a := x.action(at, st)
		if a == nil {
			continue
		}
		a.Name = fmt.Sprintf("%s-%d", a.Name, i+1)
		a.Background = st.Background
		if pending > 0 {
			a.Pauses = map[string]any{"before": pending.Seconds()}
			pending = 0
		}
		out = append(out, a)
	}
	return out
}

// probeStep is a method's probe step: only a Deployment's readiness within a time has one.
func (x *exporter) probeStep(where string, st scenario.Step) *xActivity {
	p, ok := x.probes[st.Probe]
	if ok && p.Kubernetes != nil && p.Kubernetes.Kind == "Deployment" && readyExpr.MatchString(strings.TrimSpace(p.Kubernetes.Expr)) {
		timeout := 30
		if st.Within.Duration > 0 {
			timeout = int(st.Within.Duration.Round(time.Second) / time.Second)
		}
		return &xActivity{Type: "probe", Name: st.Probe + "-within", Provider: python("chaosk8s.deployment.probes", "deployment_fully_available",
			map[string]any{"name": x.expand.Replace(p.Kubernetes.Name), "ns": "${ns}", "timeout": timeout})}
	}
	x.refuse(where+" (probe "+st.Probe+")", "a probe step's check within a time has a Chaos Toolkit equivalent only for a Deployment's readiness (deployment_fully_available)")
	return nil
}

// action is one catalog step as a chaosk8s action.
func (x *exporter) action(where string, st scenario.Step) *xActivity {
	spec, ok := actions.ByCommand(st.Action)
	if !ok {
		x.refuse(where, fmt.Sprintf("unknown action %q", st.Action))
		return nil
	}
	args := strings.TrimSpace(x.expand.Replace(st.Args))
	zoneOrNode := func(fn string) *xActivity {
		if z, ok := strings.CutPrefix(args, "zone "); ok {
			return &xActivity{Type: "action", Name: fn, Provider: python("chaosk8s.node.actions", fn,
				map[string]any{"label_selector": "topology.kubernetes.io/zone=" + strings.TrimSpace(z)})}
		}
		return &xActivity{Type: "action", Name: fn, Provider: python("chaosk8s.node.actions", fn, map[string]any{"name": strings.TrimSuffix(args, "!")})}
	}
	switch spec.Name {
	case actions.Halt:
		return nil // it reverts what gameday injected; a Chaos Toolkit run of this file injects nothing of gameday's
	case actions.Kill:
		if x.workload == "" || strings.HasPrefix(args, "pod/") {
			x.refuse(where, "a kill exports for the scenario's target Deployment (target: deploy/NAME), not for a named pod")
			return nil
		}
		c, grace, err := actions.ParseKill(args)
		if err != nil {
			x.refuse(where, err.Error())
			return nil
		}
		a := map[string]any{"name_pattern": "^" + regexp.QuoteMeta(x.workload) + "-[a-z0-9]+-[a-z0-9]+$", "rand": true, "ns": "${ns}"}
		switch {
		case c.All:
			a["all"] = true
		case c.Pct > 0:
			a["mode"], a["qty"] = "percentage", c.Pct
		default:
			a["qty"] = c.N
		}
		if grace != nil {
			a["grace_period"] = *grace
		}
		return &xActivity{Type: "action", Name: "terminate-pods", Provider: python("chaosk8s.pod.actions", "terminate_pods", a)}
	case actions.Scale:
		n, err := strconv.Atoi(args)
		if err != nil || x.workload == "" || strings.HasPrefix(args, "+") || strings.HasPrefix(args, "-") {
			x.refuse(where, fmt.Sprintf("scale %q: export takes an absolute replica count of the target Deployment (chaosk8s has no relative scale)", args))
			return nil
		}
		return &xActivity{Type: "action", Name: "scale-deployment", Provider: python("chaosk8s.deployment.actions", "scale_deployment",
			map[string]any{"name": x.workload, "replicas": n, "ns": "${ns}"})}
	case actions.Restart:
		return &xActivity{Type: "action", Name: "rollout-deployment", Provider: python("chaosk8s.deployment.actions", "rollout_deployment",
			map[string]any{"name": x.workload, "ns": "${ns}"})}
	case actions.Cordon:
		return zoneOrNode("cordon_node")
	case actions.Uncordon:
		return zoneOrNode("uncordon_node")
	case actions.Drain:
		return zoneOrNode("drain_nodes")
	}
	x.refuse(where, fmt.Sprintf("%s has no Chaos Toolkit equivalent here (it exports kill, scale N, restart, cordon, uncordon and drain)", st.Action))
	return nil
}
