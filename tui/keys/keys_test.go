package keys

import (
	"strings"
	"testing"
)

func TestRebind(t *testing.T) {
	m := Default()
	if err := m.Apply(map[string][]string{"kill": {"ctrl+k"}}); err != nil {
		t.Fatal(err)
	}
	if got := m.Kill.Keys(); len(got) != 1 || got[0] != "ctrl+k" || m.Kill.Help().Key != "ctrl+k" {
		t.Fatalf("kill keys %v help %q", got, m.Kill.Help().Key)
	}
}

func TestRebindErrors(t *testing.T) {
	cases := []struct {
		in   map[string][]string
		want string
	}{
		{map[string][]string{"explode": {"e"}}, "keys.explode: unknown action"},
		{map[string][]string{"kill": {}}, "keys.kill: give at least one key"},
		{map[string][]string{"kill": {"x"}}, `key "x" is already bound to kill`},
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
	if len(Default().All()) != len(Default().Names()) {
		t.Fatal("All and Names disagree")
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
