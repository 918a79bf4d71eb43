package keys

import (
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/gamedaylab/gameday/actions"
)

func TestRebind(t *testing.T) {
	m := Default()
	if err := m.Apply(map[string][]string{"kill": {"ctrl+k"}}); err != nil {
		t.Fatal(err)
	}
	if got := m.Action("kill").Keys(); len(got) != 1 || got[0] != "ctrl+k" || m.Action("kill").Help().Key != "ctrl+k" {
		t.Fatalf("kill keys %v help %q", got, m.Action("kill").Help().Key)
	}
}

func TestRebindErrors(t *testing.T) {
	cases := []struct {
		in   map[string][]string
		want string
	}{
		{map[string][]string{"explode": {"e"}}, "keys.explode: unknown action"},
		{map[string][]string{"kill": {}}, "keys.kill: give at least one key"},
		{map[string][]string{"kill": {"x"}}, `keys.kill: key "x" is already bound to halt`},
		{map[string][]string{"up": {"s"}}, `keys.up: key "s" is already bound to scaleUp: scaleUp is a global key and wins, so up would never work`},
		{map[string][]string{"scaleUp": {"k"}}, `keys.scaleUp: key "k" is already bound to up: scaleUp is a global key and wins`},
		{map[string][]string{"halt": {"x"}}, "keys.halt: include a chord such as ctrl+x"},
	}
	for _, c := range cases {
		err := Default().Apply(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.in, err, c.want)
		}
	}
}

func TestDefaultGlobalKeysDoNotClash(t *testing.T) {
	if err := Default().Apply(nil); err != nil {
		t.Fatal(err)
	}
}

// TestEveryBindingIsRebindable: every field of Map is reachable by exactly one config name (a field
// left out of named() could not be rebound, and help would not list it), and every action of the
// catalog with a key has its binding with the catalog's defaults and help.
func TestEveryBindingIsRebindable(t *testing.T) {
	m := Default()
	v := reflect.ValueOf(m).Elem()
	fields := map[uintptr]string{}
	for i := 0; i < v.NumField(); i++ {
		if f := v.Type().Field(i); f.IsExported() {
			fields[v.Field(i).Addr().Pointer()] = f.Name
		}
	}
	reached := map[uintptr]string{}
	for name, b := range m.named() {
		p := reflect.ValueOf(b).Pointer()
		if other, dup := reached[p]; dup {
			t.Errorf("config names %s and %s share a binding", name, other)
		}
		reached[p] = name
	}
	for p, f := range fields {
		if _, ok := reached[p]; !ok {
			t.Errorf("Map.%s has no config name: add it to named()", f)
		}
	}
	for _, spec := range actions.Catalog() {
		if spec.Key == "" {
			continue
		}
		b, ok := m.Binding(spec.Key)
		if !ok {
			t.Errorf("catalog action %s: key name %q is not rebindable", spec.Name, spec.Key)
			continue
		}
		if strings.Join(b.Keys(), ",") != strings.Join(spec.Keys, ",") || b.Help().Desc != spec.Help {
			t.Errorf("%s: keys %v help %q, catalog says %v %q", spec.Key, b.Keys(), b.Help().Desc, spec.Keys, spec.Help)
		}
	}
}

func TestPrintable(t *testing.T) {
	for k, want := range map[string]bool{"x": true, "X": true, "?": true, "space": true, "é": true,
		"ctrl+x": false, "enter": false, "esc": false, "alt+x": false, "f1": false} {
		if got := Printable(k); got != want {
			t.Errorf("Printable(%q) = %v, want %v", k, got, want)
		}
	}
}

// TestConfigDocListsEveryKeyName: docs/CONFIG.md's list of rebindable names is the keymap's.
func TestConfigDocListsEveryKeyName(t *testing.T) {
	doc, err := os.ReadFile("../../docs/CONFIG.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "Rebindable key names: `")
	list, _, _ := strings.Cut(rest, "`")
	got := strings.Fields(list)
	sort.Strings(got)
	if want := Default().Names(); !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("docs/CONFIG.md lists %v, the keymap has %v", got, want)
	}
}
