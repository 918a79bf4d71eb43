package chaostoolkit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func parse(t *testing.T, name, text string) (*Experiment, error) {
	t.Helper()
	return Parse(name, []byte(text))
}

const minimal = `{"title": "t", "description": "d", "method": []}`

func TestDetectByShape(t *testing.T) {
	for _, c := range []struct {
		text string
		want bool
	}{
		{minimal, true},
		{`{"title": "t", "method": [{"type": "action", "name": "a", "provider": {"type": "python"}}]}`, true},
		{`{"title": "t", "method": [{"ref": "a"}]}`, true},
		{"title: t\nsteady-state-hypothesis:\n  title: h\n", true},
		// gameday's own scenario: method steps have no type
		{"apiVersion: gameday.dev/v1\nkind: Scenario\nmethod:\n  - kill: 1\n", false},
		{"apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\n", false},
		{"not: [valid", false},
	} {
		if got := Detect([]byte(c.text)); got != c.want {
			t.Errorf("Detect(%q) = %v, want %v", c.text, got, c.want)
		}
	}
}

// TestValidateSaysWhatChaosToolkitSays: each problem `chaos validate` reports is reported in its
// words, with the line; all of a file's problems at once.
func TestValidateSaysWhatChaosToolkitSays(t *testing.T) {
	for _, c := range []struct {
		name, text string
		want       []string
	}{
		{"no-title.json", `{"description": "d", "method": []}`, []string{"experiment requires a title"}},
		{"no-method.json", `{"title": "t", "description": "d"}`, []string{"an experiment requires a method"}},
		{"bad.txt", minimal, []string{"a .json, .yaml or .yml file"}},
		{"tags.yaml", "title: t\ndescription: d\ntags: ['']\nmethod: []\n", []string{"tags.yaml:3: tags[0]: experiment tags must be a non-empty string"}},
		{"ssh.yaml", "title: t\ndescription: d\nsteady-state-hypothesis:\n  probes:\n    - type: probe\n      name: p\n      provider: {type: http, url: 'http://x'}\nmethod: []\n",
			[]string{"hypothesis requires a title", "hypothesis probe must have a tolerance entry"}},
		{"float.yaml", "title: t\ndescription: d\nsteady-state-hypothesis:\n  title: h\n  probes:\n    - type: probe\n      name: p\n      tolerance: 0.5\n      provider: {type: http, url: 'http://x'}\nmethod: []\n",
			[]string{"(0.5 is a float)"}},
		{"type.yaml", "title: t\ndescription: d\nmethod:\n  - type: task\n    name: a\n    provider: {type: http, url: 'http://x'}\n", []string{"'task' is not a supported activity type"}},
		{"provider.yaml", "title: t\ndescription: d\nmethod:\n  - type: action\n    name: a\n    provider: {type: go}\n", []string{"unknown provider type 'go'"}},
		{"pause.yaml", "title: t\ndescription: d\nmethod:\n  - type: action\n    name: a\n    pauses: {after: '10'}\n    provider: {type: http, url: 'http://x'}\n",
			[]string{"method[0].pauses.after: activity after pause must be a number or a pattern to a variable"}},
		{"ref.yaml", "title: t\ndescription: d\nmethod:\n  - ref: nothing\n", []string{"referenced activity 'nothing' could not be found in the experiment"}},
		{"args.yaml", `title: t
description: d
method:
  - type: action
    name: scale
    provider:
      type: python
      module: chaosk8s.deployment.actions
      func: scale_deployment
      arguments: {name: web, namespace: shop}
`, []string{"args.yaml:10: method[0].provider.arguments: required argument 'replicas' is missing from activity 'scale'",
			"argument 'namespace' is not part of the function signature in activity 'scale'"}},
		{"module.yaml", "title: t\ndescription: d\nmethod:\n  - type: action\n    name: stop-instance\n    provider: {type: python, module: chaosaws.ec2.actions, func: stop_instance}\n",
			[]string{"activity 'stop-instance' calls chaosaws.ec2.actions.stop_instance, which gameday does not run; supported: chaosistio.fault.actions (add_abort_fault, add_delay_fault, remove_abort_fault, remove_delay_fault); chaosk8s.actions (scale_microservice)"}},
		{"vault.yaml", "title: t\ndescription: d\nsecrets:\n  k8s:\n    token: {type: vault, path: secret/k8s}\nmethod: []\n", []string{"secrets.k8s.token: a Vault secret is not supported"}},
		{"process.yaml", "title: t\ndescription: d\nmethod:\n  - type: action\n    name: traffic\n    provider: {type: process, path: vegeta}\n", []string{"activity 'traffic' runs a process (vegeta): gameday runs processes only with --allow-process"}},
		{"tolerance.yaml", "title: t\ndescription: d\nsteady-state-hypothesis:\n  title: h\n  probes:\n    - type: probe\n      name: p\n      tolerance: {type: range, range: [1]}\n      provider: {type: http, url: 'http://x'}\nmethod: []\n",
			[]string{"hypothesis range sequence must be made of two values"}},
		{"strategy.yaml", "title: t\ndescription: d\nruntime:\n  hypothesis: {strategy: sometimes}\nmethod: []\n", []string{"unknown strategy \"sometimes\""}},
	} {
		_, err := parse(t, c.name, c.text)
		if err == nil {
			t.Errorf("%s: valid, want %q", c.name, c.want)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error\n%v\nlacks %q", c.name, err, w)
			}
		}
	}
}

func TestAValidExperimentReadsWhole(t *testing.T) {
	e, err := parse(t, "ok.yaml", `title: Kill a pod and the service holds
description: d
configuration:
  ns: shop
  replicas: {type: env, key: REPLICAS, default: 3, env_var_type: int}
runtime:
  hypothesis: {strategy: continously}
steady-state-hypothesis:
  title: up
  probes:
    - type: probe
      name: web-running
      tolerance: true
      provider:
        type: python
        module: chaosk8s.pod.probes
        func: pods_in_phase
        arguments: {label_selector: app=web, ns: "${ns}"}
method:
  - type: action
    name: kill-one
    pauses: {after: 5}
    provider:
      type: python
      module: chaosk8s.pod.actions
      func: terminate_pods
      arguments: {label_selector: app=web, qty: 1, rand: true, ns: "${ns}"}
  - ref: kill-one
rollbacks:
  - type: action
    name: back-to-3
    provider:
      type: python
      module: chaosk8s.deployment.actions
      func: scale_deployment
      arguments: {name: web, replicas: "${replicas}", ns: "${ns}"}
`)
	if err != nil {
		t.Fatal(err)
	}
	if e.Title != "Kill a pod and the service holds" || len(e.Hypothesis.Probes) != 1 || len(e.Method) != 2 || len(e.Rollbacks) != 1 {
		t.Fatalf("read %+v", e)
	}
	if e.Runtime.Hypothesis != "continuously" || e.Method[1].Ref != "kill-one" || e.Method[0].PauseAfter != int64(5) {
		t.Fatalf("runtime %+v, method %+v", e.Runtime, e.Method)
	}
	vars, err := e.Resolve(func(string) (string, bool) { return "", false }, nil)
	if err != nil {
		t.Fatal(err)
	}
	args := vars.Substitute(e.Rollbacks[0].Provider.Arguments).(map[string]any)
	if args["replicas"] != int64(3) || args["ns"] != "shop" {
		t.Fatalf("substituted %v", args)
	}
	vars, _ = e.Resolve(func(k string) (string, bool) { return "5", k == "REPLICAS" }, nil)
	if got := vars.Substitute("${replicas}"); got != int64(5) {
		t.Fatalf("env int: %v (%T)", got, got)
	}
}

func TestResolveRefusesAMissingEnvVariable(t *testing.T) {
	e, err := parse(t, "env.yaml", "title: t\ndescription: d\nconfiguration:\n  url: {type: env, key: PROM_URL}\nsecrets:\n  s:\n    tok: {type: env, key: TOKEN}\nmethod: []\n")
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Resolve(func(string) (string, bool) { return "", false }, nil)
	if err == nil || !strings.Contains(err.Error(), "Configuration makes reference to an environment key that does not exist: PROM_URL") {
		t.Fatalf("got %v", err)
	}
	_, err = e.Resolve(func(k string) (string, bool) { return "x", k == "PROM_URL" }, nil)
	if err == nil || !strings.Contains(err.Error(), "Secrets make reference to an environment key that does not exist: TOKEN") {
		t.Fatalf("got %v", err)
	}
}

// TestSubstituteAsPythonTemplate: string.Template's rules ($$, $name, ${name}, unknown names kept),
// and a whole "${name}" keeps its type.
func TestSubstituteAsPythonTemplate(t *testing.T) {
	v := Vars{Configuration: map[string]any{"n": int64(3), "ns": "shop", "f": 1.5, "b": true, "m": map[string]any{"a": int64(1)}},
		Secrets: map[string]map[string]any{"k8s": {"token": "s3cret"}}}
	for _, c := range []struct {
		in   any
		want any
	}{
		{"${n}", int64(3)},
		{"$n pods", "3 pods"},
		{"${ns}-web", "shop-web"},
		{"$$ns", "$ns"},
		{"${unknown}", "${unknown}"},
		{"$unknown and ${ns}", "$unknown and shop"},
		{"${b} ${f}", "True 1.5"},
		{"${m}", map[string]any{"a": int64(1)}},
		{"bearer ${token}", "bearer s3cret"},
		{"${not-an-id}", "${not-an-id}"},
		{"$ alone", "$ alone"},
		{[]any{"${n}", "x${ns}"}, []any{int64(3), "xshop"}},
		{int64(7), int64(7)},
	} {
		if got := v.Substitute(c.in); !pyEqual(got, c.want) {
			t.Errorf("Substitute(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

// TestToleranceAsChaoslib: within_tolerance's rules, including the surprising ones of the facts
// (true accepts 1, an http status compared by int and list, a 2-list is a range, a float text in range).
func TestToleranceAsChaoslib(t *testing.T) {
	v := Vars{Configuration: map[string]any{"want": "ok", "zero": "0"}}
	prom := `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000.1,"0"]}]}}`
	var promOut any = map[string]any{"status": "success", "data": map[string]any{"resultType": "vector",
		"result": []any{map[string]any{"metric": map[string]any{}, "value": []any{1700000000.1, "0"}}}}}
	httpOut := map[string]any{"status": int64(503), "headers": map[string]any{}, "body": "down"}
	for i, c := range []struct {
		tol, value any
		want       bool
		err        bool
	}{
		{true, true, true, false},
		{true, int64(1), true, false},
		{true, nil, false, false},
		{false, false, true, false},
		{int64(200), map[string]any{"status": int64(200)}, true, false},
		{int64(200), httpOut, false, false},
		{int64(3), int64(3), true, false},
		{"ok", "ok", true, false},
		{"${want}", "ok", true, false},
		{"1", int64(1), false, false},
		{[]any{int64(200), int64(503)}, httpOut, true, false},
		{[]any{int64(1), int64(5)}, int64(3), true, false},
		{[]any{int64(1), int64(5)}, int64(6), false, false},
		{[]any{int64(1), int64(5), int64(9)}, int64(5), true, false},
		{[]any{int64(1), int64(5)}, nil, false, true},
		{map[string]any{"type": "regex", "pattern": "^do"}, "down", true, false},
		{map[string]any{"type": "regex", "pattern": "wn$", "target": "body"}, httpOut, true, false},
		{map[string]any{"type": "regex", "pattern": "x"}, promOut, false, true},
		{map[string]any{"type": "jsonpath", "path": "$.data.result[0].value[1]", "expect": "${zero}"}, promOut, true, false},
		{map[string]any{"type": "jsonpath", "path": "$.data.result[0].value[1]", "expect": "1"}, prom, false, false},
		{map[string]any{"type": "jsonpath", "path": "$.data.result[0].value[1]", "expect": "0"}, prom, true, false},
		{map[string]any{"type": "jsonpath", "path": "$.data.result[*]", "count": int64(1)}, promOut, true, false},
		{map[string]any{"type": "jsonpath", "path": "$.data.result[?(@.value[1]!=\"0\")]", "count": int64(0)}, promOut, true, false},
		{map[string]any{"type": "jsonpath", "path": "$.nothing"}, promOut, false, false},
		{map[string]any{"type": "range", "range": []any{int64(0), 0.5}}, "0.25", true, false},
		{map[string]any{"type": "range", "range": []any{int64(0), int64(1)}}, "abc", false, false},
		{map[string]any{"type": "range", "range": []any{int64(0), int64(1)}}, promOut, false, true},
		{map[string]any{"type": "range", "range": []any{int64(500), int64(504)}, "target": "status"}, httpOut, true, false},
	} {
		got, err := Within(c.tol, c.value, v)
		if got != c.want || (err != nil) != c.err {
			t.Errorf("%d: Within(%v, %v) = %v, %v; want %v (error %v)", i, c.tol, c.value, got, err, c.want, c.err)
		}
	}
}

// TestTheExamplesAreValid: every Chaos Toolkit file of testdata/ reads without an error.
func TestTheExamplesAreValid(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.yaml")
	jsonFiles, _ := filepath.Glob("testdata/*.json")
	for _, f := range append(files, jsonFiles...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseAllowing(f, data, true); err != nil { // process.yaml runs processes
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestOtherPeoplesExperiments: Chaos Toolkit experiments written by others (testdata/others,
// SOURCES.md) are read whole; those gameday runs are valid, the others are refused naming what
// gameday does not run.
func TestOtherPeoplesExperiments(t *testing.T) {
	want := map[string]string{
		"playground-kill-pods.json":              "",
		"playground-drain-node.json":             "",
		"book-ch6-drain-node-pods-in-phase.json": "",
		"godemo8-drain-uncordon.yaml":            "",
		"playground-rollout-prometheus.json":     "calls chaosk8s.deployment.actions.set_deployment_image, which gameday does not run",
		"superpower-unknown-module.json":         "calls chaospower.probes.ask_for_superpower, which gameday does not run",
		"godemo8-istio-abort-rollback.yaml":      "",
		"godemo8-istio-abort-delay.yaml":         "",
		"godemo8-process-kubectl.yaml":           "runs a process (kubectl)",
		"godemo8-terminate-pod-phase.yaml":       "",
		"aws-rds-reboot.yaml":                    "a dynamic configuration value (type: probe) is not supported",
		"tutorial-kill-microservice.json":        "calls chaosk8s.actions.kill_microservice, which gameday refuses: it deletes the Deployment",
	}
	files, _ := filepath.Glob("testdata/others/*.*")
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".md") {
			continue
		}
		n++
		w, known := want[filepath.Base(f)]
		if !known {
			t.Errorf("%s: no expectation in this test", f)
			continue
		}
		data, _ := os.ReadFile(f)
		if !Detect(data) {
			t.Errorf("%s: not detected as a Chaos Toolkit experiment", f)
		}
		_, err := Read(f)
		switch {
		case w == "" && err != nil:
			t.Errorf("%s: %v", f, err)
		case w != "" && (err == nil || !strings.Contains(err.Error(), w)):
			t.Errorf("%s: got %v, want an error with %q", f, err, w)
		}
	}
	if n != len(want) {
		t.Errorf("%d files, %d expectations", n, len(want))
	}
}
