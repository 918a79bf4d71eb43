package scenario

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gamedaylab/gameday/bounds"
)

// TestExamplesAreValid: every file in examples/ parses and validates.
func TestExamplesAreValid(t *testing.T) {
	files, _ := filepath.Glob("../examples/*.yaml")
	if len(files) == 0 {
		t.Fatal("no examples")
	}
	for _, f := range files {
		if _, err := Read(f); err != nil {
			t.Errorf("%v", err)
		}
	}
}

// TestErrorsNameLineAndField: each mistake is reported with its line, the field's path and what is
// allowed, never a Go type.
func TestErrorsNameLineAndField(t *testing.T) {
	base, err := os.ReadFile("../examples/kill-under-load.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		from, to string
		want     string
	}{
		{"kind: Experiment", "kind: Experment", `line 5: kind: want Experiment, got "Experment"`},
		{"  args: 30%", "  args: 30%\n  wait: 5s", "give exactly one of action, wait, probe, note"},
		{"- action: kill", "- action: explode", `"explode" is not an action (allowed: kill, scale, restart, cordon, uncordon, fault, unfault, monkey, drain, load, rate, unload, halt)`},
		{"- action: kill", "- action: note", "write note: TEXT instead of action: note"},
		{"- probe: replicas-ready", "- probe: replica-ready", `no probe is named "replica-ready"`},
		{`expect: "< 0.3"`, `expect: "below 0.3"`, `hypothesis.probes[1].expect: "below 0.3": want a comparison`},
		{"phases: [during]", "phases: [while]", `"while" is not a phase (allowed: before, during, after)`},
		{"  for: 30s", "  for: 30", `for: want a duration like 30s or 5m, got "30"`},
		{"  maxRate: 400", "  maxRate: lots", `line 12: guard.maxRate: want a number, got "lots"`},
		{"  abort: true", "  abort: true\n    onNoData: pass", "onNoData: want fail or inconclusive (no data is never a pass)"},
		{"  maxDisrupted: 50%", "  maxDisruptd: 50%", `unknown field "maxDisruptd" (allowed here: context, maxDisrupted, maxRate, namespace)`},
		// Whatever run would refuse halfway, validate refuses first (issue 29).
		{"  args: 30%", "  args: 30%\n- action: scale\n  args: NaN", `line 36: method[3].args: "NaN": want +N, -N or a replica count, N a whole number from 0 to 100000 replicas`},
		{"  args: ramp:0-200", "  args: ramp:0-NaN", `line 30: method[0].args: profile "ramp:0-NaN"`},
		{"  args: 30%", "  args: 30%\n- action: fault\n  args: web abort 500 NaN%", `method[3].args: abort percentage "NaN%"`},
		{"  args: 30%", "  args: 3O%", `method[2].args: "3o%": want a percentage`},
		{"  args: 30%", "  args: $nosuch", `method[2].args: "$nosuch"`},
		{"expr: object.status", "expr: object.status.(", `line 20: hypothesis.probes[0].kubernetes.expr: expr "object.status.(`},
		{"expr: object.status.?readyReplicas.orValue(0) == object.spec.replicas", "expr: object.spec.replicas + 1", `is a int, want true or false`},
		{"  maxRate: 400", "  maxRate: .nan", `line 12: guard.maxRate: want a finite number, got .nan`},
		{"  maxRate: 400", "  maxRate: 1e9", `guard.maxRate: want a number from 0 to 1000000 requests/s, got 1000000000`},
		{`expect: "< 0.3"`, `expect: "< NaN"`, `"< NaN": want a comparison`},
		{`expect: "< 0.3"`, `expect: "between -Inf and 1"`, `want a comparison`},
		{"  for: 30s", "  for: -30s", `hypothesis.probes[1].for: want a duration from 0s to 24h`},
		{"- wait: 20s", "- wait: -20s", `method[1].wait: want a duration from 0s to 24h`},
		{"  within: 60s", "  within: 1000h", `method[3].within: want a duration from 0s to 24h`},
		{"  abort: true", "  abort: true\n    weight: .inf", `weight: want a finite number, got .inf`},
	} {
		in := strings.Replace(string(base), c.from, c.to, 1)
		if in == string(base) {
			t.Fatalf("case %q changes nothing", c.from)
		}
		_, err := Parse([]byte(in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s -> %s: error %v, want %q", c.from, c.to, err, c.want)
			continue
		}
		for _, internal := range []string{"scenario.", "!!", "unmarshal"} {
			if strings.Contains(err.Error(), internal) {
				t.Errorf("%s: error %q shows Go's internals", c.to, err)
			}
		}
	}
}

func TestExpect(t *testing.T) {
	for s, cases := range map[string]map[float64]bool{
		"< 0.3":           {0.2: true, 0.3: false},
		">= 3":            {3: true, 2: false},
		"== 0":            {0: true, 1: false},
		"between 1 and 5": {1: true, 5: true, 5.1: false},
	} {
		x, err := ParseExpect(s)
		if err != nil {
			t.Fatal(err)
		}
		for v, want := range cases {
			if x.Holds(v) != want {
				t.Errorf("%q holds for %v: %v", s, v, !want)
			}
		}
	}
}

// FuzzParse: no input panics the parser.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("../examples/kill-under-load.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("method: [{action: kill}]"))
	f.Add([]byte("hypothesis: {errorBudget: .nan}\nguard: {maxRate: .inf}\nmethod: [{action: scale, args: NaN}]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Parse(b)
		if err != nil {
			return
		}
		// Whatever is accepted holds no number no one could mean (issue 29).
		if v := bounds.NonFinite(e); v != "" {
			t.Fatalf("accepted %q with %s", b, v)
		}
	})
}
