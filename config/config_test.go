package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/bounds"
	"github.com/gamedaylab/gameday/yamlfile"
)

func TestDefaultsAreValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestEmptyAndMissingFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := Read(filepath.Join(dir, "nope.yaml"), false); err != nil {
		t.Fatalf("a missing default file is fine: %v", err)
	}
	if _, err := Read(filepath.Join(dir, "nope.yaml"), true); err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Fatalf("a missing explicit file must fail naming it: %v", err)
	}
	empty := filepath.Join(dir, "empty.yaml")
	_ = os.WriteFile(empty, nil, 0o644)
	c, err := Read(empty, true)
	if err != nil || c.Theme != "dark" {
		t.Fatalf("empty file: %v %+v", err, c)
	}
}

func TestOverridesAndDurations(t *testing.T) {
	c := Default()
	err := Parse([]byte("theme: light\nload:\n  burst: {rate: 400, duration: 90s}\nsafety:\n  minReadyReplicas: 2\n  allowNamespaces: [kube-system]\nkeys:\n  kill: [ctrl+k]\n"), &c)
	if err != nil {
		t.Fatal(err)
	}
	if c.Theme != "light" || c.Load.Burst.Rate != 400 || c.Load.Burst.Duration.Duration != 90*time.Second || c.Safety.MinReadyReplicas != 2 {
		t.Fatalf("%+v", c)
	}
	if c.Load.RateStep != 50 {
		t.Fatal("unset fields keep their defaults")
	}
	ps := c.Safety.ProtectedSet()
	if ps["kube-system"] || !ps["kube-public"] {
		t.Fatalf("allowNamespaces must lift protection: %v", ps)
	}
	if c.Keys["kill"][0] != "ctrl+k" {
		t.Fatal(c.Keys)
	}
}

// TestDefaultBurstFollowsALowerCap (issue 13 item 18): a maxRate below the default burst is not an
// error (it refused headless load runs, which never use the burst); the burst follows the cap.
func TestDefaultBurstFollowsALowerCap(t *testing.T) {
	c := Default()
	if err := Parse([]byte("load:\n  maxRate: 100\n"), &c); err != nil || c.Load.Burst.Rate != 100 {
		t.Fatalf("err %v, burst %g", err, c.Load.Burst.Rate)
	}
}

func TestErrorsNameTheField(t *testing.T) {
	cases := map[string][]string{
		"safety:\n  minReady: 2\n":                       {"line 2", `unknown field "minReady"`, "minReadyReplicas"},
		"thme: dark\n":                                   {"line 1", `unknown field "thme"`, "theme"},
		"theme: sepia\n":                                 {"theme", "high-contrast"},
		"load:\n  burst:\n    duration: 5x\n":            {"line 3", "duration like 30s"},
		"load:\n  maxRate: 10\n  burst:\n    rate: 50\n": {"line 4: load.burst.rate", "above load.maxRate"},
		"metrics:\n  refresh: 10ms\n":                    {"line 2: metrics.refresh"},
		"load:\n  targets:\n  - url: ftp://x\n":          {"line 3: load.targets[0].url"},
		"demo:\n  speed: 0\n":                            {"line 2: demo.speed"},
		"demo:\n  sessions: disk\n":                      {"line 2: demo.sessions", "memory or redis"},
		"load:\n  targets:\n  - url: http://a/cart\n    session: {login: http://b/login}\n":             {"load.targets[0].session.login", "not on the target's host a"},
		"load:\n  targets:\n  - url: http://a/cart\n    session: {login: http://a/login, lost: [99]}\n": {"load.targets[0].session.lost", "99 is not an HTTP status"},
		// Issue 13 item 18: type errors say the field and what is wanted, not Go's types.
		"load:\n  maxRate: lots\n":     {`line 2: load.maxRate: want a number, got "lots"`},
		"load:\n  burst: 200\n":        {`line 2: load.burst: want a mapping with the fields duration, rate, got "200"`},
		"metrics:\n  refresh: 5\n":     {`line 2: metrics.refresh: want a duration like 30s or 5m, got "5"`},
		"safety:\n  readOnly: maybe\n": {`line 2: safety.`},
		"load:\n  targets: http://x\n": {`line 2: load.targets: want a list, got "http://x"`},
		"theme: [a\n":                  {"not valid YAML"},
		// Issue 28: a panel line names a signal or gives PromQL, not both, and only a signal that exists.
		"metrics:\n  panels:\n  - {title: T, unit: s, queries: [{legend: a, signal: p95}]}\n":           {"line 3: metrics.panels[0].queries[0].signal", "p99"},
		"metrics:\n  panels:\n  - {title: T, unit: s, queries: [{legend: a, signal: p99, expr: up}]}\n": {"line 3: metrics.panels[0].queries[0]", "expr or signal, not both"},
		"metrics:\n  panels:\n  - {title: T, unit: s, queries: [{legend: a}]}\n":                        {"metrics.panels[0].queries[0].expr", "signal: p99"},
	}
	for in, wants := range cases {
		c := Default()
		err := Parse([]byte(in), &c)
		if err == nil {
			t.Errorf("%q: no error", in)
			continue
		}
		for _, w := range wants {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q lacks %q", in, err, w)
			}
		}
		for _, internal := range []string{"config.", "!!", "unmarshal", "float64", "int64"} {
			if strings.Contains(err.Error(), internal) {
				t.Errorf("%q: error %q shows Go's internals (%s)", in, err, internal)
			}
		}
	}
}

// TestConfigDocIsTrue (issue 13, docs): the sample in docs/CONFIG.md is a valid config and sets every
// field the code reads, so a new field cannot be left undocumented.
func TestConfigDocIsTrue(t *testing.T) {
	doc, err := os.ReadFile("../docs/CONFIG.md")
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(doc), "```yaml\n")
	end := strings.Index(string(doc)[start+8:], "```")
	sample := string(doc)[start+8 : start+8+end]
	c := Default()
	if err := Parse([]byte(sample), &c); err != nil {
		t.Fatalf("the sample in docs/CONFIG.md is not a valid config: %v", err)
	}
	var into Config
	idx, err := yamlfile.Decode([]byte(sample), &into, configTypes...)
	if err != nil {
		t.Fatal(err)
	}
	has := func(p string) bool { // set on some element of a list: the first or the second
		return idx.Has(p) || idx.Has(strings.Replace(p, "[0]", "[1]", 1)) || idx.Has(strings.Replace(p, ".queries[0]", ".queries[1]", 1))
	}
	for _, p := range fieldPaths(reflect.TypeOf(Config{}), "") {
		if !has(p) {
			t.Errorf("docs/CONFIG.md's sample lacks %s", p)
		}
	}
}

// fieldPaths are the YAML paths of every field of t (a list's first element stands for all).
func fieldPaths(t reflect.Type, prefix string) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if name == "" || name == "-" {
			continue
		}
		p := name
		if prefix != "" {
			p = prefix + "." + name
		}
		out = append(out, p)
		ft := f.Type
		if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct {
			out = append(out, fieldPaths(ft.Elem(), p+"[0]")...)
		} else if ft.Kind() == reflect.Struct && ft != reflect.TypeOf(Duration{}) {
			out = append(out, fieldPaths(ft, p)...)
		}
	}
	return out
}

// FuzzParse: any config file is refused with an error naming the line and field, or accepted with
// no NaN or infinity in it (issue 29: load.maxRate: .nan removed the rate cap); never a panic.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"load: {maxRate: .nan}\n", "load: {burst: {rate: .inf}}\n", "demo: {speed: 1e400}\n", "safety: {minReadyReplicas: 2.5}\n",
		"metrics: {panels: [{title: x, unit: s, thresholds: [.nan], queries: [{expr: up}]}]}\n", "monkey: {mtbf: -1s}\n", "load:\n  maxRate: 100\n  burst: {rate: 50}\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		cfg := Default()
		if err := Parse([]byte(src), &cfg); err != nil {
			return
		}
		if v := bounds.NonFinite(cfg); v != "" {
			t.Fatalf("accepted %q with %s", src, v)
		}
		if cfg.Load.MaxRate <= 0 || cfg.Load.Burst.Rate <= 0 || cfg.Demo.Speed <= 0 || cfg.Safety.Heartbeat.Duration <= 0 {
			t.Fatalf("accepted %q with a rate, speed or heartbeat of 0 or less: %+v", src, cfg)
		}
	})
}
