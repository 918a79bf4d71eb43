package chaostoolkit

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// checker collects every problem of a file, each with its line, as one error.
type checker struct {
	e            *Experiment
	errs         []string
	allowProcess bool
}

func (v *checker) add(path, msg string) {
	where := v.e.File
	if l := v.e.Line(path); l > 0 {
		where = fmt.Sprintf("%s:%d", where, l)
	}
	if path != "" {
		where += ": " + path
	}
	v.errs = append(v.errs, where+": "+msg)
}

func (v *checker) err() error {
	if len(v.errs) == 0 {
		return nil
	}
	return errors.New(strings.Join(v.errs, "\n"))
}

// validate checks what `chaos validate` checks, in its words, and refuses what gameday cannot run,
// naming the activity and listing what is supported.
func (v *checker) validate() {
	e := v.e
	if s, _ := e.Doc["title"].(string); s == "" {
		v.add("", "experiment requires a title")
	}
	if s, _ := e.Doc["description"].(string); s == "" {
		v.add("", "experiment requires a description")
	}
	if _, ok := e.Doc["method"]; !ok {
		v.add("", "an experiment requires a method, which can be empty for only checking steady state hypothesis")
	}
	v.configuration()
	v.secrets()
	method := map[string]bool{} // what a ref may name: the method's activities and the hypothesis's probes
	for _, a := range e.Method {
		if a.Ref == "" {
			method[a.Name] = true
		}
	}
	if e.Hypothesis != nil {
		for _, a := range e.Hypothesis.Probes {
			if a.Ref == "" {
				method[a.Name] = true
			}
		}
	}
	if e.Hypothesis != nil {
		for _, a := range e.Hypothesis.Probes {
			if !a.HasTolerance {
				v.add(a.Path, "hypothesis probe must have a tolerance entry")
			} else {
				v.tolerance(a)
			}
			if a.Ref == "" {
				v.activity(a)
			}
		}
	}
	for _, a := range e.Method {
		if a.Ref != "" {
			if !method[a.Ref] {
				v.add(a.Path, fmt.Sprintf("referenced activity '%s' could not be found in the experiment", a.Ref))
			}
			continue
		}
		v.activity(a)
	}
	for _, a := range e.Rollbacks {
		if a.Ref == "" {
			v.activity(a)
		}
	}
	v.strategies()
}

// hypothesisStrategies and rollbackStrategies are the runtime strategies chaoslib knows.
var (
	hypothesisStrategies = []string{"default", "before-method-only", "after-method-only", "during-method-only", "continuously"}
	rollbackStrategies   = []string{"default", "always", "never", "deviated"}
)

func (v *checker) strategies() {
	rt := v.e.Runtime
	if rt.Hypothesis == "continously" { // chaoslib accepts its old misspelling, with a warning
		v.e.Runtime.Hypothesis = "continuously"
	} else if rt.Hypothesis != "" && !contains(hypothesisStrategies, rt.Hypothesis) {
		v.add("runtime.hypothesis.strategy", fmt.Sprintf("unknown strategy %q: one of %s", rt.Hypothesis, strings.Join(hypothesisStrategies, ", ")))
	}
	if rt.Rollbacks != "" && !contains(rollbackStrategies, rt.Rollbacks) {
		v.add("runtime.rollbacks.strategy", fmt.Sprintf("unknown strategy %q: one of %s", rt.Rollbacks, strings.Join(rollbackStrategies, ", ")))
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (v *checker) configuration() {
	keys := sortedKeys(v.e.Configuration)
	for _, k := range keys {
		m, ok := v.e.Configuration[k].(map[string]any)
		if !ok {
			continue
		}
		p := "configuration." + k
		switch m["type"] {
		case "env":
			if _, ok := m["key"].(string); !ok {
				v.add(p, "an env configuration names its variable in key")
			}
		case "probe":
			v.add(p, "a dynamic configuration value (type: probe) is not supported by gameday: give the value, or an env entry")
		}
	}
}

func (v *checker) secrets() {
	for _, scope := range sortedKeys(v.e.Secrets) {
		m, ok := v.e.Secrets[scope].(map[string]any)
		if !ok {
			v.add("secrets."+scope, "a secrets scope is a mapping of names to values")
			continue
		}
		for _, k := range sortedKeys(m) {
			if sm, ok := m[k].(map[string]any); ok && sm["type"] == "vault" {
				v.add("secrets."+scope+"."+k, "a Vault secret is not supported by gameday: give it through an env entry ({type: env, key: NAME})")
			}
		}
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (v *checker) activity(a Activity) {
	switch a.Type {
	case "probe", "action":
	case "":
		v.add(a.Path, "an activity must have a type: probe or action")
	default:
		v.add(a.Path, fmt.Sprintf("'%s' is not a supported activity type", a.Type))
	}
	if a.Name == "" {
		v.add(a.Path, "an activity must have a name")
	}
	if _, ok := a.Raw["provider"]; !ok {
		v.add(a.Path, fmt.Sprintf("an activity requires a provider (activity '%s')", a.Name))
		return
	}
	if b, ok := a.Raw["background"]; ok {
		if _, isBool := b.(bool); !isBool {
			v.add(a.Path+".background", "activity background must be a boolean")
		}
	}
	if t, ok := a.Raw["timeout"]; ok && !isNumber(t) {
		v.add(a.Path+".timeout", "activity timeout must be a number")
	}
	for _, pause := range []struct {
		name string
		val  any
	}{{"before", a.PauseBefore}, {"after", a.PauseAfter}} {
		if pause.val == nil || isNumber(pause.val) || isWholeVar(pause.val) {
			continue
		}
		v.add(a.Path+".pauses."+pause.name, fmt.Sprintf("activity %s pause must be a number or a pattern to a variable from the configuration or secrets", pause.name))
	}
	p := a.Provider
	switch p.Type {
	case "python":
		v.python(a)
	case "http":
		if p.URL == "" {
			v.add(a.Path+".provider", fmt.Sprintf("an http provider requires a url (activity '%s')", a.Name))
		}
	case "process":
		switch p.Arguments.(type) {
		case nil, string, []any:
		default:
			v.add(a.Path+".provider.arguments", fmt.Sprintf("activity '%s': process arguments are a list or a string "+
				"(a mapping is deprecated by the Chaos Toolkit and its order is not kept here)", a.Name))
		}
		switch {
		case p.Path == "":
			v.add(a.Path+".provider", "a process activity must have a path")
		case !v.allowProcess:
			v.add(a.Path+".provider", fmt.Sprintf("activity '%s' runs a process (%s): gameday runs processes only with --allow-process "+
				"(or use a python activity of a supported module, or the http provider)", a.Name, p.Path))
		default:
			if _, err := processPath(p.Path); err != nil {
				v.add(a.Path+".provider.path", fmt.Sprintf("path '%s' cannot be found, in activity '%s'", p.Path, a.Name))
			}
		}
	case "":
		v.add(a.Path+".provider", fmt.Sprintf("a provider must have a type (activity '%s')", a.Name))
	default:
		v.add(a.Path+".provider", fmt.Sprintf("unknown provider type '%s'", p.Type))
	}
}

func (v *checker) python(a Activity) {
	p := a.Provider
	f, ok := functions[p.Module+"."+p.Func]
	if why, no := refused[p.Module+"."+p.Func]; no {
		v.add(a.Path+".provider", fmt.Sprintf("activity '%s' calls %s.%s, which gameday refuses: %s", a.Name, p.Module, p.Func, why))
		return
	}
	if !ok {
		v.add(a.Path+".provider", fmt.Sprintf("activity '%s' calls %s.%s, which gameday does not run; supported: %s", a.Name, p.Module, p.Func, supportedText()))
		return
	}
	args, ok := p.Arguments.(map[string]any)
	if p.Arguments != nil && !ok {
		v.add(a.Path+".provider.arguments", "python arguments are a mapping of names to values")
		return
	}
	known := map[string]bool{}
	for _, prm := range f.params {
		known[prm.name] = true
		if _, given := args[prm.name]; prm.required && !given {
			v.add(a.Path+".provider.arguments", fmt.Sprintf("required argument '%s' is missing from activity '%s'", prm.name, a.Name))
		}
	}
	for _, k := range sortedKeys(args) {
		if !known[k] {
			v.add(a.Path+".provider.arguments."+k, fmt.Sprintf("argument '%s' is not part of the function signature in activity '%s'", k, a.Name))
		}
	}
}

func (v *checker) tolerance(a Activity) {
	switch t := a.Tolerance.(type) {
	case bool, int64, string, []any:
	case float64: // chaoslib refuses a float, even 1.0
		v.add(a.Path+".tolerance", fmt.Sprintf("hypothesis probe tolerance must either be an integer, a string, a boolean or a pair of values for boundaries (%v is a float)", t))
	case map[string]any:
		switch t["type"] {
		case "probe":
			if _, ok := t["provider"]; !ok {
				v.add(a.Path+".tolerance", "a probe tolerance needs a provider")
			}
			v.add(a.Path+".tolerance", "a probe tolerance runs a Python function on the output, which gameday does not run: use a jsonpath, range, regex or plain tolerance")
		case "regex":
			if _, ok := t["pattern"].(string); !ok {
				v.add(a.Path+".tolerance", "a regex tolerance needs a pattern")
			}
		case "jsonpath":
			if _, ok := t["path"].(string); !ok {
				v.add(a.Path+".tolerance", "a jsonpath tolerance needs a path")
			}
		case "range":
			r, ok := t["range"].([]any)
			if !ok || len(r) != 2 {
				v.add(a.Path+".tolerance", "hypothesis range sequence must be made of two values")
			}
		default:
			v.add(a.Path+".tolerance", fmt.Sprintf("hypothesis probe tolerance type '%v' is unsupported", t["type"]))
		}
	default:
		v.add(a.Path+".tolerance", "hypothesis probe tolerance must either be an integer, a string, a boolean or a pair of values for boundaries")
	}
}

func isNumber(x any) bool {
	switch x.(type) {
	case int64, float64:
		return true
	}
	return false
}
