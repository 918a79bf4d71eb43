package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

func TestErrorsNameTheField(t *testing.T) {
	cases := map[string][]string{
		"safety:\n  minReady: 2\n":              {"line 2", `unknown field "minReady"`, "minReadyReplicas"},
		"thme: dark\n":                          {"line 1", `unknown field "thme"`, "theme"},
		"theme: sepia\n":                        {"theme", "high-contrast"},
		"load:\n  burst:\n    duration: 5x\n":   {"line 3", "duration like 30s"},
		"load:\n  maxRate: 10\n":                {"load.burst.rate", "above load.maxRate"},
		"metrics:\n  refresh: 10ms\n":           {"metrics.refresh"},
		"load:\n  targets:\n  - url: ftp://x\n": {"load.targets[0].url"},
		"demo:\n  speed: 0\n":                   {"demo.speed"},
		"theme: [a\n":                           {"not valid YAML"},
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
	}
}
