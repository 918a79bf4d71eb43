package actions

import (
	"context"
	"os"
	"slices"
	"sort"
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

// TestCommandHelpListsEveryCommandOnce: help has one line per `:` command of the catalog, its usage
// after the command and the command's own description where it has one.
func TestCommandHelpListsEveryCommandOnce(t *testing.T) {
	lines := map[string]string{}
	for _, l := range CommandHelp() {
		if _, dup := lines[l[0]]; dup {
			t.Errorf("%s listed twice", l[0])
		}
		lines[l[0]] = l[1]
	}
	n := 0
	for _, s := range Catalog() {
		if s.Command == "" {
			continue
		}
		n++
		line := strings.TrimSpace(":" + s.Command + " " + s.Usage)
		want := s.Help
		if s.CommandHelp != "" {
			want = s.CommandHelp
		}
		if got, ok := lines[line]; !ok || got != want {
			t.Errorf("%s: help %q, want %q (listed %v)", line, got, want, ok)
		}
	}
	if n != len(lines) || lines[":halt"] != "stop all load, revert everything injected (never asks)" || lines[":unload"] == "" {
		t.Fatalf("%d commands, %d help lines: %v", n, len(lines), lines)
	}
}

// TestEveryKeyBindingFindsItsAction: each key name of the catalog finds its own spec, and no other
// name (nor "") finds one.
func TestEveryKeyBindingFindsItsAction(t *testing.T) {
	for _, s := range Catalog() {
		if s.Key == "" {
			continue
		}
		got, ok := ByKey(s.Key)
		if !ok || got.Key != s.Key || got.Name != s.Name || got.Order != s.Order {
			t.Errorf("ByKey(%q) = %s/%s, %v", s.Key, got.Name, got.Key, ok)
		}
	}
	if s, ok := ByKey("killMany"); !ok || s.Name != "kill" || s.Ask == nil {
		t.Fatalf("killMany: %+v", s)
	}
	for _, k := range []string{"", "nope", "kill "} {
		if s, ok := ByKey(k); ok {
			t.Errorf("ByKey(%q) found %s", k, s.Name)
		}
	}
}

// TestPermsNameEveryPermissionTheCatalogChecks: the permissions help lists are sorted, once each, and
// are every Perm of the catalog plus the create permission of plans that create their object.
func TestPermsNameEveryPermissionTheCatalogChecks(t *testing.T) {
	got := Perms()
	if !sort.StringsAreSorted(got) {
		t.Fatalf("not sorted: %v", got)
	}
	want := map[string]bool{}
	for _, s := range Catalog() {
		if s.Perm != "" {
			want[s.Perm] = true
		}
		if len(s.AccessCreate) > 0 {
			want[CreatePerm(s.Perm)] = true
		}
	}
	if len(got) != len(want) {
		t.Fatalf("perms %v, want %v", got, want)
	}
	for _, p := range got {
		if !want[p] {
			t.Errorf("%s is no permission of the catalog", p)
		}
	}
	for _, p := range []string{"kill", "scale", "drain", "cordon", "fault", "fault-create"} {
		if !slices.Contains(got, p) {
			t.Errorf("%s missing from %v", p, got)
		}
	}
}

// TestMarkerLabelIsTheCatalogsMarker: an entry's marker is the catalog's label for its action, and
// the action's own name when the catalog has none.
func TestMarkerLabelIsTheCatalogsMarker(t *testing.T) {
	for action, want := range map[string]string{"kill": "kill", "recovery": "recovered", "load-stop": "burst end",
		"fault-expired": "fault end", "halt": "HALT", "something-else": "something-else"} {
		if got := MarkerLabel(Name(action)); got != want {
			t.Errorf("MarkerLabel(%q) = %q, want %q", action, got, want)
		}
	}
}

// TestConfirmVerbComesFromTheCatalog: a prepared step's confirm button is its spec's verb, marked
// when it is a dry run; an event's confirmation (the cleanup) carries the event's verb; a step
// without a spec says Run.
func TestConfirmVerbComesFromTheCatalog(t *testing.T) {
	e := &Env{}
	spec, _ := ByKey("restart")
	st, err := e.Prepare(spec, shopWorld(), "")
	if err != nil || st.Verb() != "Restart" || st.Spec().Name != "restart" {
		t.Fatalf("%q %v", st.Verb(), err)
	}
	st.DryRun = true
	if st.Verb() != "Restart (dry-run)" {
		t.Fatalf("%q", st.Verb())
	}
	ev := EventStep("cleanup", "revert 2 leftovers", "cordon n1\nfault f1")
	if ev.Verb() != "Revert" || !ev.Confirm || ev.Spec().Name != "cleanup" || ev.Summary != "revert 2 leftovers" || ev.Detail != "cordon n1\nfault f1" {
		t.Fatalf("%+v verb %q", ev, ev.Verb())
	}
	if v, s := EventStep("not-an-event", "", "").Verb(), (Step{}).Spec(); v != "Run" || s.Name != "" {
		t.Fatalf("verb %q, spec %+v", v, s)
	}
}

// TestOnlyActionsCanBePreparedAndRun: an event cannot be prepared, and a step that lost its action is
// an internal error, not a run.
func TestOnlyActionsCanBePreparedAndRun(t *testing.T) {
	spec, _ := Lookup("recovery")
	if _, err := (&Env{}).Prepare(spec, World{}, ""); err == nil || !strings.Contains(err.Error(), "recovery is not an action that can be started") {
		t.Fatal(err)
	}
	r, err := Exec{Env: &Env{}}.Do(context.Background(), Step{Action: "kill"})
	if err == nil || !strings.Contains(r.Err, "internal error") || !strings.Contains(err.Error(), `step "kill" has no action`) {
		t.Fatalf("%+v %v", r, err)
	}
}
