// Package scenario is the experiment file: a steady-state hypothesis (probes with expectations),
// a method (steps from the action catalog, waits, probes that must become true), rollbacks and a
// guard. It parses and validates; running one is the experiment engine's job.
package scenario

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/bounds"
	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/signals"
	"github.com/gamedaylab/gameday/yamlfile"
)

// APIVersion and Kind name the format; a file must say both.
const (
	APIVersion = "gameday.dev/v1alpha1"
	Kind       = "Experiment"
)

// Experiment is one scenario file.
type Experiment struct {
	APIVersion string            `yaml:"apiVersion" jsonschema:"required,enum=gameday.dev/v1alpha1"`
	Kind       string            `yaml:"kind" jsonschema:"required,enum=Experiment"`
	Metadata   Metadata          `yaml:"metadata" jsonschema:"required"`
	Guard      Guard             `yaml:"guard"`
	Target     string            `yaml:"target" jsonschema:"pattern=^deploy/"` // deploy/NAME: what the steps act on
	Vars       map[string]string `yaml:"vars"`
	// Load is where the experiment's load goes: its targets replace the config's load.targets for
	// the run (load goes only to configured targets, and these are configured here).
	Load       *Load      `yaml:"load"`
	Hypothesis Hypothesis `yaml:"hypothesis"`
	Method     []Step     `yaml:"method" jsonschema:"required,minItems=1"`
	Rollbacks  []Step     `yaml:"rollbacks"`
}

// Metadata names the experiment.
type Metadata struct {
	Name        string `yaml:"name" jsonschema:"required,minLength=1"`
	Description string `yaml:"description"`
}

// Guard is where the experiment may run and how hard it may hit; the cockpit's safety rules apply too.
type Guard struct {
	Context      string  `yaml:"context"`                                      // the kube context it may run in ("" for any)
	Namespace    string  `yaml:"namespace"`                                    // the namespace it runs in (refused elsewhere)
	MaxDisrupted string  `yaml:"maxDisrupted" jsonschema:"pattern=^[0-9]+%?$"` // the most pods of the target disrupted at once: N or N%
	MaxRate      float64 `yaml:"maxRate" jsonschema:"minimum=0"`               // the load ceiling, requests/s
}

// Load names the requests the experiment's load steps send, each with the checks every response
// must pass (status, body contains, a JSON path equals, a latency bound) and an optional login.
type Load struct {
	Targets []config.Target `yaml:"targets" jsonschema:"required,minItems=1"`
}

// Hypothesis is the steady state: what must hold.
type Hypothesis struct {
	Probes []Probe `yaml:"probes"`
	// ErrorBudget is the share of the load's requests that may fail (0.01: 1 %); the run reports how
	// much of it was burned, and more than all of it is a deviation.
	ErrorBudget float64 `yaml:"errorBudget" jsonschema:"minimum=0,maximum=1"`
}

// Probe observes the system through one backend and compares what it sees with Expect.
type Probe struct {
	Name       string           `yaml:"name" jsonschema:"required,minLength=1"`
	Kubernetes *KubernetesProbe `yaml:"kubernetes"`
	Prometheus *PrometheusProbe `yaml:"prometheus"`
	HTTP       *HTTPProbe       `yaml:"http"`
	Zipkin     *ZipkinProbe     `yaml:"zipkin"`
	// Elasticsearch counts log lines (OpenSearch too: the EFK stack's store).
	Elasticsearch *ElasticsearchProbe `yaml:"elasticsearch"`
	// Load reads the running load's own numbers (gameday's load engine, or the demo's).
	Load *LoadProbe `yaml:"load"`
	// Signal reads a named signal of the target as gameday detects it in the cluster's metric
	// convention (rate, errors, p50, p90, p99, ready, desired, cpu, memory, restarts): the same file
	// runs on the demo and on any cluster.
	Signal string `yaml:"signal" jsonschema:"enum=rate,enum=errors,enum=p50,enum=p90,enum=p99,enum=ready,enum=desired,enum=cpu,enum=memory,enum=restarts"`
	// Expect is a comparison of the observed value: "< 0.3", ">= 3", "== 0", "between 1 and 5"
	// (a Kubernetes probe's CEL expression and an HTTP probe's checks are themselves the expectation).
	Expect string `yaml:"expect"`
	// Phases are when it is checked: before, during, after (default: before and after).
	Phases []string `yaml:"phases" jsonschema:"enum=before,enum=during,enum=after"`
	// For is how long a breach during the method must last to count.
	For config.Duration `yaml:"for"`
	// Abort HALTs the run on a sustained breach.
	Abort bool `yaml:"abort"`
	// OnNoData is what no data means: fail (the default) or inconclusive; never a pass.
	OnNoData string `yaml:"onNoData" jsonschema:"enum=fail,enum=inconclusive"`
	// OnError is what a check that could not be made means (the backend unreachable, a bad query):
	// inconclusive (the default) or fail; never a pass.
	OnError string  `yaml:"onError" jsonschema:"enum=inconclusive,enum=fail"`
	Weight  float64 `yaml:"weight" jsonschema:"minimum=0"`
}

// KubernetesProbe is a CEL expression over one object, as Kubernetes' own validation rules are.
type KubernetesProbe struct {
	Kind string `yaml:"kind" jsonschema:"required,enum=Deployment,enum=ReplicaSet,enum=HorizontalPodAutoscaler,enum=Pod,enum=Node,enum=PodDisruptionBudget"`
	Name string `yaml:"name" jsonschema:"required"`
	Expr string `yaml:"expr" jsonschema:"required"` // e.g. object.status.readyReplicas == object.spec.replicas
}

// PrometheusProbe is an instant query (the latest value of every series it returns), or, with a
// window, every sample of the last window: a breach in the middle is not averaged away.
type PrometheusProbe struct {
	Query  string          `yaml:"query" jsonschema:"required,minLength=1"`
	Window config.Duration `yaml:"window"`
}

// HTTPProbe checks one request: every check given must pass.
type HTTPProbe struct {
	URL          string          `yaml:"url" jsonschema:"required,pattern=^(https?://|\\$)"`
	Method       string          `yaml:"method" jsonschema:"enum=GET,enum=HEAD,enum=POST,enum=PUT,enum=DELETE,enum=OPTIONS,enum=PATCH"` // GET by default
	Status       []int           `yaml:"status" jsonschema:"minimum=100,maximum=599"`                                                   // any 2xx by default
	BodyContains string          `yaml:"bodyContains"`
	JSONPath     string          `yaml:"jsonPath"` // a gjson path into the body, e.g. status or items.#
	Equals       string          `yaml:"equals"`   // what JSONPath must give
	MaxLatency   config.Duration `yaml:"maxLatency"`
	Timeout      config.Duration `yaml:"timeout"` // 5s by default
}

// ZipkinProbe measures the traces of a service (and span name) over a window.
type ZipkinProbe struct {
	Service  string          `yaml:"service"` // default: the target
	SpanName string          `yaml:"spanName"`
	Window   config.Duration `yaml:"window"` // default 1m
	// Measure is count, errors, errorRatio, or a latency percentile p50, p90, p95, p99 (seconds).
	Measure string `yaml:"measure" jsonschema:"required,enum=count,enum=errors,enum=errorRatio,enum=p50,enum=p90,enum=p95,enum=p99"`
}

// ZipkinMeasures are what a Zipkin probe can measure.
var ZipkinMeasures = []string{"count", "errors", "errorRatio", "p50", "p90", "p95", "p99"}

// ElasticsearchProbe counts the log lines a query string matches over a window, in the namespace.
type ElasticsearchProbe struct {
	Query  string          `yaml:"query" jsonschema:"required,minLength=1"` // an Elasticsearch query string, e.g. level:error
	Window config.Duration `yaml:"window"`                                  // default 1m
	// FailedRequests counts only the lines carrying the trace id of a load request that failed in
	// the window (gameday's load sends a B3 trace id with every request): "every failure is logged".
	FailedRequests bool `yaml:"failedRequests"`
}

// LoadProbe measures the load the run sends: sessionsLost (virtual users whose session the app lost),
// failed (requests), checkFailures (answers that failed a target's check), success (ratio 0..1), p99
// (seconds, from the intended send).
type LoadProbe struct {
	Measure string `yaml:"measure" jsonschema:"required,enum=sessionsLost,enum=failed,enum=checkFailures,enum=success,enum=p99"`
}

// LoadMeasures are what a load probe can measure.
var LoadMeasures = []string{"sessionsLost", "failed", "checkFailures", "success", "p99"}

// Step is one thing the method does: an action of the catalog with its arguments (as its `:`
// command takes them), a wait, a probe that must become true within a time, or a marker note.
type Step struct {
	Action     string          `yaml:"action"`
	Args       string          `yaml:"args"`
	Background bool            `yaml:"background"`
	Wait       config.Duration `yaml:"wait"`
	Probe      string          `yaml:"probe"`
	Within     config.Duration `yaml:"within"`
	Note       string          `yaml:"note"`
	// Manual holds the cockpit's run here until the facilitator presses the key (headless: passed).
	Manual bool `yaml:"manual"`
}

// types are the format's structs, whose fields an error lists.
var types = []any{Experiment{}, Metadata{}, Guard{}, Load{}, config.Target{}, config.Checks{}, config.Session{}, Hypothesis{}, Probe{}, KubernetesProbe{}, PrometheusProbe{}, HTTPProbe{},
	ZipkinProbe{}, ElasticsearchProbe{}, LoadProbe{}, Step{}}

// Read parses and validates the file at path; errors name the file, the line and the field.
func Read(path string) (*Experiment, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	e, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return e, nil
}

// Parse decodes a scenario strictly and validates it.
func Parse(data []byte) (*Experiment, error) {
	var e Experiment
	idx, err := yamlfile.Decode(data, &e, types...)
	if err != nil {
		return nil, err
	}
	if err := e.validate(); err != nil {
		return nil, idx.WithLines(err)
	}
	return &e, nil
}

var phases = []string{"before", "during", "after"}

// validate checks what YAML types alone cannot, as "field: what is wrong; ..." (Parse adds lines).
func (e *Experiment) validate() error {
	var errs []string
	bad := func(field, format string, a ...any) {
		errs = append(errs, fmt.Sprintf("%s: %s", field, fmt.Sprintf(format, a...)))
	}
	if e.APIVersion != APIVersion {
		bad("apiVersion", "want %s, got %q", APIVersion, e.APIVersion)
	}
	if e.Kind != Kind {
		bad("kind", "want %s, got %q", Kind, e.Kind)
	}
	if strings.TrimSpace(e.Metadata.Name) == "" {
		bad("metadata.name", "every experiment needs a name (it names the journal, the JUnit suite and the report)")
	}
	if e.Target != "" && !strings.HasPrefix(e.Target, "deploy/") {
		bad("target", "want deploy/NAME, got %q", e.Target)
	}
	if m := e.Guard.MaxDisrupted; m != "" {
		if c, err := actions.ParseCount(m); err != nil || c.All || c.Force {
			bad("guard.maxDisrupted", "want a number of pods (2) or a percentage (50%%), got %q", m)
		}
	}
	if err := bounds.Between(0, 1, "").Check(e.Hypothesis.ErrorBudget); err != nil {
		bad("hypothesis.errorBudget", "%v (a share of requests: 0.01 is 1%%)", err)
	}
	if err := bounds.Between(0, load.MaxRate, "requests/s").Check(e.Guard.MaxRate); err != nil {
		bad("guard.maxRate", "%v (0: the config's load.maxRate)", err)
	}
	span := func(field string, d config.Duration, max time.Duration) {
		if err := (bounds.Span{Max: max}).Check(d.Duration); err != nil {
			bad(field, "%v", err)
		}
	}
	if e.Load != nil {
		if len(e.Load.Targets) == 0 {
			bad("load.targets", "give at least one target (name, url, checks), or drop load: the config's targets are used then")
		}
		errs = append(errs, config.ValidateTargets("load.targets", e.Load.Targets)...)
	}
	names := map[string]bool{}
	for i, p := range e.Hypothesis.Probes {
		f := fmt.Sprintf("hypothesis.probes[%d]", i)
		switch {
		case strings.TrimSpace(p.Name) == "":
			bad(f+".name", "every probe needs a name (steps and reports refer to it)")
		case names[p.Name]:
			bad(f+".name", "%q is used twice", p.Name)
		}
		names[p.Name] = true
		kinds := 0
		for _, set := range []bool{p.Kubernetes != nil, p.Prometheus != nil, p.HTTP != nil, p.Zipkin != nil, p.Elasticsearch != nil, p.Load != nil, p.Signal != ""} {
			if set {
				kinds++
			}
		}
		if kinds != 1 {
			bad(f, "give exactly one of signal, kubernetes, prometheus, http, zipkin, elasticsearch, load (got %d)", kinds)
		}
		if p.Signal != "" {
			if _, err := signals.Parse(p.Signal); err != nil {
				bad(f+".signal", "%v", err)
			}
		}
		switch {
		case p.Kubernetes != nil:
			if p.Kubernetes.Kind == "" || p.Kubernetes.Name == "" || strings.TrimSpace(p.Kubernetes.Expr) == "" {
				bad(f+".kubernetes", "give kind, name and expr (a CEL expression over object)")
			}
			if p.Expect != "" {
				bad(f+".expect", "a kubernetes probe's expr is its expectation: drop expect")
			}
			if _, err := p.Kubernetes.Compile(); err != nil && strings.TrimSpace(p.Kubernetes.Expr) != "" {
				bad(f+".kubernetes.expr", "%v", err)
			}
		case p.HTTP != nil:
			if p.Expect != "" {
				bad(f+".expect", "an http probe's checks (status, bodyContains, jsonPath with equals, maxLatency) are its expectation: drop expect")
			}
		default:
			if _, err := ParseExpect(p.Expect); err != nil {
				bad(f+".expect", "%v", err)
			}
		}
		if p.Load != nil && !slices.Contains(LoadMeasures, p.Load.Measure) {
			bad(f+".load.measure", "want one of %s, got %q", strings.Join(LoadMeasures, ", "), p.Load.Measure)
		}
		if p.Prometheus != nil && strings.TrimSpace(p.Prometheus.Query) == "" {
			bad(f+".prometheus.query", "empty PromQL")
		}
		if p.Prometheus != nil {
			span(f+".prometheus.window", p.Prometheus.Window, 24*time.Hour)
		}
		if p.Zipkin != nil {
			span(f+".zipkin.window", p.Zipkin.Window, 24*time.Hour)
		}
		if p.Elasticsearch != nil {
			span(f+".elasticsearch.window", p.Elasticsearch.Window, 24*time.Hour)
		}
		if h := p.HTTP; h != nil {
			if !strings.HasPrefix(h.URL, "http://") && !strings.HasPrefix(h.URL, "https://") && !strings.HasPrefix(h.URL, "$") {
				bad(f+".http.url", "want an http:// or https:// URL, got %q", h.URL)
			}
			if (h.JSONPath == "") != (h.Equals == "") {
				bad(f+".http", "jsonPath and equals go together (the value at the path must equal it)")
			}
			if h.Method != "" && !slices.Contains([]string{"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"}, h.Method) {
				bad(f+".http.method", "want GET, HEAD, POST, PUT, DELETE, OPTIONS or PATCH, got %q", h.Method)
			}
			for _, c := range h.Status {
				if c < 100 || c > 599 {
					bad(f+".http.status", "%d is not an HTTP status (100-599)", c)
				}
			}
			span(f+".http.maxLatency", h.MaxLatency, time.Hour)
			span(f+".http.timeout", h.Timeout, time.Hour)
		}
		if z := p.Zipkin; z != nil && z.Measure != "" && !slices.Contains(ZipkinMeasures, z.Measure) {
			bad(f+".zipkin.measure", "want %s, got %q", strings.Join(ZipkinMeasures, ", "), z.Measure)
		}
		if z := p.Zipkin; z != nil && z.Measure == "" {
			bad(f+".zipkin.measure", "say what to measure: %s", strings.Join(ZipkinMeasures, ", "))
		}
		if es := p.Elasticsearch; es != nil && strings.TrimSpace(es.Query) == "" {
			bad(f+".elasticsearch.query", "give a query string (e.g. level:error); every line would be counted")
		}
		for _, ph := range p.Phases {
			if !slices.Contains(phases, ph) {
				bad(f+".phases", "%q is not a phase (allowed: %s)", ph, strings.Join(phases, ", "))
			}
		}
		if p.OnNoData != "" && p.OnNoData != "fail" && p.OnNoData != "inconclusive" {
			bad(f+".onNoData", "want fail or inconclusive (no data is never a pass), got %q", p.OnNoData)
		}
		if p.OnError != "" && p.OnError != "fail" && p.OnError != "inconclusive" {
			bad(f+".onError", "want inconclusive or fail (an error is never a pass), got %q", p.OnError)
		}
		span(f+".for", p.For, 24*time.Hour)
		if err := bounds.Between(0, 1000000, "").Check(p.Weight); err != nil {
			bad(f+".weight", "%v", err)
		}
	}
	// Step arguments are read with the file's vars in; the namespace and workload are names only the
	// run knows, and no argument reads a number from them.
	vars := e.Expander("namespace", "workload")
	check := func(list string, steps []Step) {
		for i, s := range steps {
			f := fmt.Sprintf("%s[%d]", list, i)
			n := 0
			for _, set := range []bool{s.Action != "", s.Wait.Duration != 0, s.Probe != "", s.Note != ""} {
				if set {
					n++
				}
			}
			if n != 1 {
				bad(f, "give exactly one of action, wait, probe, note (got %d)", n)
				continue
			}
			switch {
			case isNote(s.Action):
				bad(f+".action", "a marker is its own step: write note: TEXT instead of action: note")
			case s.Action != "":
				spec, ok := actions.ByCommand(s.Action)
				if !ok || spec.Run == nil {
					bad(f+".action", "%q is not an action (allowed: %s)", s.Action, strings.Join(Commands(), ", "))
				} else if spec.ParseArgs != nil {
					// What the run would refuse when it came to this step, refused before anything runs.
					if err := spec.ParseArgs(vars.Replace(s.Args)); err != nil {
						bad(f+".args", "%v", err)
					}
				}
			case s.Wait.Duration != 0:
				span(f+".wait", s.Wait, 24*time.Hour)
			case s.Probe != "":
				if !names[s.Probe] {
					bad(f+".probe", "no probe is named %q in hypothesis.probes", s.Probe)
				}
			case len(s.Note) > actions.MaxNote || strings.ContainsAny(s.Note, "\n\r"):
				bad(f+".note", "a note is one line of at most %d characters: write it shorter", actions.MaxNote)
			}
			if s.Within.Duration > 0 && s.Probe == "" {
				bad(f+".within", "only a probe step waits within a time")
			}
			span(f+".within", s.Within, 24*time.Hour)
			if s.Background && s.Action == "" {
				bad(f+".background", "only an action runs in the background")
			}
		}
	}
	if len(e.Method) == 0 {
		bad("method", "give at least one step")
	}
	check("method", e.Method)
	check("rollbacks", e.Rollbacks)
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// Expander replaces the file's vars, $namespace and $workload (the file's target, else the session's) in
// a probe's or a step's text; $interval is left to the Prometheus backend, which knows the scrape
// interval.
func (e *Experiment) Expander(namespace, target string) *strings.Replacer {
	vars := map[string]string{"namespace": namespace, "workload": strings.TrimPrefix(e.Target, "deploy/")}
	if vars["workload"] == "" {
		vars["workload"] = target
	}
	for k, v := range e.Vars {
		vars[k] = v
	}
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	// longest first: $workload_port must not be read as $workload followed by _port
	slices.SortFunc(names, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	var pairs []string
	for _, k := range names {
		pairs = append(pairs, "${"+k+"}", vars[k], "$"+k, vars[k])
	}
	return strings.NewReplacer(pairs...)
}

// Commands are the `:` commands a step may name: the catalog's actions.
func Commands() []string {
	var out []string
	for _, s := range actions.Catalog() {
		// A marker is the note: step, so action: note would be a second way to write it.
		if s.Command != "" && s.Run != nil && s.Command != "note" {
			out = append(out, s.Command)
		}
	}
	return out
}

// Expect is a comparison of an observed value.
type Expect struct {
	Op     string // < <= > >= == != between
	V, Max float64
}

// ParseExpect reads "< 0.3", ">= 3", "== 0", "!= 0", "between 1 and 5".
func ParseExpect(s string) (Expect, error) {
	f := strings.Fields(s)
	want := `want a comparison such as "< 0.3", ">= 3", "== 0" or "between 1 and 5"`
	switch {
	case len(f) == 4 && f[0] == "between" && f[2] == "and":
		lo, err1 := bounds.Finite(f[1])
		hi, err2 := bounds.Finite(f[3])
		if err1 != nil || err2 != nil || lo > hi {
			return Expect{}, fmt.Errorf("%q: %s", s, want)
		}
		return Expect{Op: "between", V: lo, Max: hi}, nil
	case len(f) == 2 && slices.Contains([]string{"<", "<=", ">", ">=", "==", "!="}, f[0]):
		v, err := bounds.Finite(f[1])
		if err != nil {
			return Expect{}, fmt.Errorf("%q: %s (a finite number)", s, want)
		}
		return Expect{Op: f[0], V: v}, nil
	}
	return Expect{}, fmt.Errorf("%q: %s", s, want)
}

// Holds reports whether v meets the expectation.
func (x Expect) Holds(v float64) bool {
	switch x.Op {
	case "<":
		return v < x.V
	case "<=":
		return v <= x.V
	case ">":
		return v > x.V
	case ">=":
		return v >= x.V
	case "==":
		return v == x.V
	case "!=":
		return v != x.V
	case "between":
		return v >= x.V && v <= x.Max
	}
	return false
}

// String is the expectation as written: "< 0.3", "between 1 and 5".
func (x Expect) String() string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	if x.Op == "between" {
		return "between " + f(x.V) + " and " + f(x.Max)
	}
	return x.Op + " " + f(x.V)
}

// isNote says whether a step's action is the note command, which is a step of its own.
func isNote(action string) bool {
	spec, ok := actions.ByCommand(action)
	return ok && spec.Name == actions.Note
}
