package actions

import (
	"fmt"
	"sort"
	"strings"

	authv1 "k8s.io/api/authorization/v1"
)

// Spec describes one action once. The keymap and its defaults, the help overlay, the crossed-out
// marks and SelfSubjectAccessReview checks, the confirm dialog's verb, the marker labels, the `:`
// commands and the journal's action names are all derived from the catalog.
type Spec struct {
	// Name is the journal's action name.
	Name string
	// Key is the binding's name in the config's `keys:` section ("" for none) and Keys its defaults.
	Key  string
	Keys []string
	// Command is the `:` command that runs it ("" for none); Usage shows its arguments.
	Command     string
	Usage       string
	CommandHelp string // the command's description, when it differs from Help
	// Help is the one-line description (the key's help, the command's help).
	Help string
	// Perm names the permission the action needs (CheckPermissions answers per Perm); "" needs none.
	Perm string
	// Access is what the API server must allow for Perm (the first Spec with a Perm carries it).
	Access []authv1.ResourceAttributes
	// Destructive actions take something away (pods, capacity, a node); they are confirmed and
	// refused in read-only mode.
	Destructive bool
	// Verb labels the confirm button ("" when the action is not confirmed).
	Verb string
	// Marker is the label drawn on every graph when it ran ("" for none).
	Marker string
	// Event is set for journal entries that no key starts (a recovery measured, a load run that
	// ended by itself): they have a name, a marker and help, nothing else.
	Event bool
}

// Catalog is every action and journaled event, in help order. It is one table, built once: the
// footer reads it on every frame. Callers must not change it.
func Catalog() []Spec { return catalog }

var catalog = []Spec{
	{Name: "kill", Key: "kill", Keys: []string{"k"}, Command: "kill", Usage: "[N|N%|all][!]", CommandHelp: "kill N pods (! forces past the minimum)", Help: "kill a pod", Perm: "kill",
		Access: []authv1.ResourceAttributes{{Verb: "delete", Resource: "pods"}}, Destructive: true, Verb: "Kill", Marker: "kill"},
	{Name: "kill", Key: "killMany", Keys: []string{"K"}, Help: "kill N / N%", Perm: "kill", Destructive: true, Verb: "Kill", Marker: "kill"},
	{Name: "scale", Key: "scaleUp", Keys: []string{"s"}, Command: "scale", Usage: "+N|-N|N", CommandHelp: "scale by N, or to N replicas", Help: "scale +1", Perm: "scale",
		Access: []authv1.ResourceAttributes{{Verb: "patch", Group: "apps", Resource: "deployments", Subresource: "scale"}}, Verb: "Scale", Marker: "scale"},
	{Name: "scale", Key: "scaleDown", Keys: []string{"S"}, Help: "scale -1", Perm: "scale", Destructive: true, Verb: "Scale", Marker: "scale"},
	{Name: "restart", Key: "restart", Keys: []string{"R"}, Command: "restart", Help: "rollout restart", Perm: "restart",
		Access: []authv1.ResourceAttributes{{Verb: "patch", Group: "apps", Resource: "deployments"}}, Destructive: true, Verb: "Restart", Marker: "restart"},
	{Name: "cordon", Command: "cordon", Usage: "NODE|zone Z", Help: "cordon a node or a zone's nodes", Perm: "cordon",
		Access: []authv1.ResourceAttributes{{Verb: "patch", Resource: "nodes"}}, Destructive: true, Verb: "Cordon", Marker: "cordon"},
	{Name: "uncordon", Command: "uncordon", Usage: "NODE|zone Z", Help: "uncordon a node or a zone's nodes", Perm: "cordon", Marker: "uncordon"},
	{Name: "drain", Key: "drain", Keys: []string{"D"}, Command: "drain", Usage: "zone Z|NODE[!]", Help: "drain a zone", Perm: "drain",
		Access:      []authv1.ResourceAttributes{{Verb: "patch", Resource: "nodes"}, {Verb: "create", Resource: "pods", Subresource: "eviction"}},
		Destructive: true, Verb: "Drain", Marker: "drain"},
	{Name: "drain-done", Help: "a drain's evictions ended", Marker: "drained", Event: true},
	{Name: "load-start", Key: "burst", Keys: []string{"b"}, Command: "load", Usage: "[ramp:A-B|step:A-B/N|sine:A-B/P|spike:A-B]", CommandHelp: "a burst, or a load profile",
		Help: "load burst", Marker: "burst"},
	{Name: "load-start", Key: "profile", Keys: []string{"B"}, Help: "pick a load profile", Marker: "burst"},
	{Name: "load-rate", Key: "rateUp", Keys: []string{"+", "="}, Command: "rate", Usage: "+N|-N", CommandHelp: "steer the running load by N req/s", Help: "load rate +", Marker: "rate"},
	{Name: "load-rate", Key: "rateDown", Keys: []string{"-"}, Help: "load rate -", Marker: "rate"},
	{Name: "load-finished", Help: "a timed load run ended by itself", Marker: "burst end", Event: true},
	{Name: "load-job", Help: "distributed load workers started as a Job (gameday load --workers); HALT deletes it", Marker: "load job", Event: true},
	{Name: "halt", Key: "halt", Keys: []string{"x", "ctrl+x"}, Command: "halt", Help: "HALT", CommandHelp: "stop all load, revert everything injected (never asks)", Marker: "HALT"},
	{Name: "recovery", Help: "a kill's recovery measured (ready replicas back to desired)", Marker: "recovered", Event: true},
	{Name: "cleanup", Help: "what a crashed session left (cordons) undone at start", Marker: "cleanup", Event: true},
}

// Lookup finds the first spec with that journal name.
func Lookup(name string) (Spec, bool) {
	for _, s := range Catalog() {
		if s.Name == name {
			return s, true
		}
	}
	return Spec{}, false
}

// ByKey finds the spec of a key binding name.
func ByKey(key string) (Spec, bool) {
	for _, s := range Catalog() {
		if s.Key != "" && s.Key == key {
			return s, true
		}
	}
	return Spec{}, false
}

// ByCommand finds the spec of a `:` command.
func ByCommand(cmd string) (Spec, bool) {
	for _, s := range Catalog() {
		if s.Command != "" && s.Command == cmd {
			return s, true
		}
	}
	return Spec{}, false
}

// MarkerLabel is the label an entry's marker carries on the graphs.
func MarkerLabel(action string) string {
	if s, ok := Lookup(action); ok && s.Marker != "" {
		return s.Marker
	}
	return action
}

// accessChecks are the API permissions each Perm needs, from the catalog.
func accessChecks() map[string][]authv1.ResourceAttributes {
	out := map[string][]authv1.ResourceAttributes{}
	for _, s := range Catalog() {
		if s.Perm != "" && len(s.Access) > 0 {
			if _, ok := out[s.Perm]; !ok {
				out[s.Perm] = s.Access
			}
		}
	}
	return out
}

// Perms lists the permission names, sorted (help lists what the identity may not do).
func Perms() []string {
	out := []string{}
	for p := range accessChecks() {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// CommandHelp is one line per `:` command of an action, for help and the unknown-command message.
func CommandHelp() [][2]string {
	var out [][2]string
	for _, s := range Catalog() {
		if s.Command == "" {
			continue
		}
		help := s.Help
		if s.CommandHelp != "" {
			help = s.CommandHelp
		}
		out = append(out, [2]string{strings.TrimSpace(fmt.Sprintf(":%s %s", s.Command, s.Usage)), help})
	}
	return out
}

// JournalTable is the Markdown table of journal action names that docs/CONFIG.md carries (a test
// keeps the two the same).
func JournalTable() string {
	var b strings.Builder
	b.WriteString("| action | what | marker |\n| --- | --- | --- |\n")
	seen := map[string]bool{}
	for _, s := range Catalog() {
		if seen[s.Name] {
			continue
		}
		seen[s.Name] = true
		help := s.Help
		if s.CommandHelp != "" {
			help = s.CommandHelp
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", s.Name, help, s.Marker)
	}
	return b.String()
}
