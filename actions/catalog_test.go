package actions

import (
	"os"
	"strings"
	"testing"
)

// TestConfigDocListsEveryJournalAction: docs/CONFIG.md carries the catalog's journal table as it is.
func TestConfigDocListsEveryJournalAction(t *testing.T) {
	doc, err := os.ReadFile("../docs/CONFIG.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := JournalTable(); !strings.Contains(string(doc), want) {
		t.Fatalf("docs/CONFIG.md lacks the journal table as the catalog has it; put this under \"The journal\":\n%s", want)
	}
}

// TestCatalogIsConsistent: names, keys and commands are unique where they must be, every permission
// has its access checks, and every destructive action is confirmed.
func TestCatalogIsConsistent(t *testing.T) {
	keys, cmds := map[string]bool{}, map[string]bool{}
	checks := accessChecks()
	for _, s := range Catalog() {
		if s.Key != "" {
			if keys[s.Key] {
				t.Errorf("key name %q twice", s.Key)
			}
			keys[s.Key] = true
			if len(s.Keys) == 0 {
				t.Errorf("%s: key %s has no default keys", s.Name, s.Key)
			}
		}
		if s.Command != "" {
			if cmds[s.Command] {
				t.Errorf("command %q twice", s.Command)
			}
			cmds[s.Command] = true
		}
		if s.Perm != "" && len(checks[s.Perm]) == 0 {
			t.Errorf("%s: permission %q has no access checks", s.Name, s.Perm)
		}
		if s.Destructive && s.Verb == "" {
			t.Errorf("%s is destructive but has no confirm verb", s.Name)
		}
		if s.Event && (s.Key != "" || s.Command != "") {
			t.Errorf("%s is an event: no key or command starts it", s.Name)
		}
		if s.Help == "" || s.Marker == "" {
			t.Errorf("%s: help and marker are required", s.Name)
		}
	}
}

func TestParseScaleAndRate(t *testing.T) {
	for _, c := range []struct {
		arg     string
		desired int32
		want    int32
		bad     bool
	}{{"+1", 3, 1, false}, {"-2", 3, -2, false}, {"5", 3, 2, false}, {"0", 3, -3, false}, {"", 3, 0, true}, {"many", 3, 0, true}} {
		got, err := ParseScale(c.arg, c.desired)
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("ParseScale(%q, %d) = %d, %v", c.arg, c.desired, got, err)
		}
	}
	if v, err := ParseRateStep("-50"); err != nil || v != -50 {
		t.Errorf("ParseRateStep(-50) = %v, %v", v, err)
	}
	if _, err := ParseRateStep("50"); err == nil {
		t.Error("ParseRateStep(50): a bare number is not a change")
	}
}
