// Package keys is the one keymap of the cockpit. Every binding has a stable action name that the config
// file's `keys:` section can rebind, e.g. `keys: {kill: [ctrl+k]}`.
package keys

import (
	"fmt"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"

	"github.com/gamedaylab/gameday/actions"
)

// Map holds every binding. Panes read the ones they handle; the footer and help read them all.
type Map struct {
	NextPane key.Binding
	PrevPane key.Binding
	Zoom     key.Binding
	Help     key.Binding
	Command  key.Binding
	Quit     key.Binding

	// Halt is an action's key too (the catalog's), kept by name: the cockpit checks it before anything.
	Halt key.Binding
	// actions are the other action keys, by the catalog's key name (kill, scaleUp, ...).
	actions map[string]*key.Binding

	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Top      key.Binding
	Bottom   key.Binding
	Open     key.Binding
	Back     key.Binding
	Filter   key.Binding
	Follow   key.Binding
	Errors   key.Binding
	Logs     key.Binding
	Wider    key.Binding
	Narrower key.Binding
	// CursorLeft and CursorRight move the graphs' cursor (a moment; enter then opens its traces and logs).
	CursorLeft  key.Binding
	CursorRight key.Binding

	// Runbook shows the scenario's runbook (gameday --scenario); NextStep starts its method or
	// passes a manual step.
	Runbook  key.Binding
	NextStep key.Binding

	// The replay's keys (gameday replay FILE): pause, seek, speed, markers.
	Pause          key.Binding
	Back10         key.Binding
	Forward10      key.Binding
	BackMinute     key.Binding
	ForwardMinute  key.Binding
	Slower, Faster key.Binding
	NextMarker     key.Binding
	PrevMarker     key.Binding
}

// Default returns the built-in keymap: the cockpit's own keys here, the actions' from the catalog.
func Default() *Map {
	b := func(help string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(strings.Join(keys, "/"), help))
	}
	m := &Map{
		NextPane: b("next pane", "tab"),
		PrevPane: b("prev pane", "shift+tab"),
		Zoom:     b("zoom pane", "z"),
		Help:     b("help", "?"),
		Command:  b("command", ":"),
		Quit:     b("quit", "q", "ctrl+c"),

		Up:          b("up", "up", "k"),
		Down:        b("down", "down", "j"),
		PageUp:      b("page up", "pgup"),
		PageDown:    b("page down", "pgdown"),
		Top:         b("top", "home", "g"),
		Bottom:      b("bottom", "end", "G"),
		Open:        b("open", "enter"),
		Back:        b("back", "esc"),
		Filter:      b("filter", "/"),
		Follow:      b("follow/pause", "f"),
		Errors:      b("errors only", "e"),
		Logs:        b("trace logs", "l"),
		Wider:       b("longer window", "]"),
		Narrower:    b("shorter window", "["),
		CursorLeft:  b("cursor earlier", "left", "h"),
		CursorRight: b("cursor later", "right", "l"),
		Runbook:     b("runbook", "r"),
		NextStep:    b("next runbook step", "N"),

		Pause:         b("pause / play", "space"),
		Back10:        b("back 10 s", "left"),
		Forward10:     b("forward 10 s", "right"),
		BackMinute:    b("back 1 min", "shift+left"),
		ForwardMinute: b("forward 1 min", "shift+right"),
		Slower:        b("slower (to 0.5x)", "<"),
		Faster:        b("faster (to 32x)", ">"),
		NextMarker:    b("next marker", "n"),
		PrevMarker:    b("previous marker", "p"),
	}
	m.actions = map[string]*key.Binding{}
	for _, spec := range actions.Catalog() {
		if spec.Key == "" {
			continue
		}
		kb := b(spec.Help, spec.Keys...)
		if spec.Key == "halt" {
			m.Halt = kb
			continue
		}
		m.actions[spec.Key] = &kb
	}
	return m
}

// Action is the binding of an action's key name (kill, scaleUp, ...); a disabled binding if none.
func (m *Map) Action(name string) key.Binding {
	if b, ok := m.actions[name]; ok {
		return *b
	}
	return key.NewBinding(key.WithDisabled())
}

// Binding is the binding of a config name (kill, halt, ...).
func (m *Map) Binding(name string) (key.Binding, bool) {
	b, ok := m.named()[name]
	if !ok {
		return key.Binding{}, false
	}
	return *b, true
}

// named maps the config names to the bindings. The names are part of the config format: keep them.
func (m *Map) named() map[string]*key.Binding {
	out := map[string]*key.Binding{
		"nextPane": &m.NextPane, "prevPane": &m.PrevPane, "zoom": &m.Zoom, "help": &m.Help,
		"command": &m.Command, "quit": &m.Quit, "halt": &m.Halt,
		"up": &m.Up, "down": &m.Down, "pageUp": &m.PageUp, "pageDown": &m.PageDown, "top": &m.Top,
		"bottom": &m.Bottom, "open": &m.Open, "back": &m.Back, "filter": &m.Filter,
		"follow": &m.Follow, "errors": &m.Errors, "logs": &m.Logs, "wider": &m.Wider, "narrower": &m.Narrower,
		"cursorLeft": &m.CursorLeft, "cursorRight": &m.CursorRight,
		"runbook": &m.Runbook, "nextStep": &m.NextStep,
		"pause": &m.Pause, "back10": &m.Back10, "forward10": &m.Forward10, "backMinute": &m.BackMinute,
		"forwardMinute": &m.ForwardMinute, "slower": &m.Slower, "faster": &m.Faster,
		"nextMarker": &m.NextMarker, "prevMarker": &m.PrevMarker,
	}
	for n, b := range m.actions {
		out[n] = b
	}
	return out
}

// globalNames are the bindings that act from any pane (the cockpit's and every action's); they must
// not share a key.
func globalNames() []string {
	out := []string{"nextPane", "prevPane", "zoom", "help", "command", "quit", "runbook", "nextStep"}
	for _, spec := range actions.Catalog() {
		if spec.Key != "" {
			out = append(out, spec.Key)
		}
	}
	return out
}

// Names lists the rebindable action names, sorted.
func (m *Map) Names() []string {
	var out []string
	for n := range m.named() {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Apply rebinds keys from the config's `keys:` section and rejects unknown names and clashes between
// global keys, naming the config field.
func (m *Map) Apply(over map[string][]string) error {
	named := m.named()
	names := make([]string, 0, len(over))
	for n := range over {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b, ok := named[n]
		if !ok {
			return fmt.Errorf("keys.%s: unknown action (allowed: %s)", n, strings.Join(m.Names(), ", "))
		}
		ks := over[n]
		if len(ks) == 0 {
			return fmt.Errorf("keys.%s: give at least one key, e.g. [ctrl+k]", n)
		}
		b.SetKeys(ks...)
		b.SetHelp(strings.Join(ks, "/"), b.Help().Desc)
	}
	if !hasChord(m.Halt.Keys()) {
		return fmt.Errorf("keys.halt: include a chord such as ctrl+x (got %s): a letter is typed into a text input, the chord stops everything from there too",
			strings.Join(m.Halt.Keys(), ", "))
	}
	owner := map[string]string{}
	for _, n := range globalNames() {
		for _, k := range named[n].Keys() {
			if prev, ok := owner[k]; ok {
				return clash(over, n, prev, k, "")
			}
			owner[k] = n
		}
	}
	// A pane key that a global key shadows never reaches its pane (global keys are matched first).
	global := map[string]bool{}
	for _, n := range globalNames() {
		global[n] = true
	}
	for _, n := range m.Names() {
		if global[n] {
			continue
		}
		for _, k := range named[n].Keys() {
			if g, ok := owner[k]; ok {
				return clash(over, n, g, k, fmt.Sprintf(": %s is a global key and wins, so %s would never work", g, n))
			}
		}
	}
	return nil
}

// clash names the binding the config changed first (the one the user touched), then the other.
func clash(over map[string][]string, a, b, k, why string) error {
	if _, touched := over[b]; touched {
		if _, alsoA := over[a]; !alsoA {
			a, b = b, a
		}
	}
	return fmt.Errorf("keys.%s: key %q is already bound to %s%s", a, k, b, why)
}

// All returns every binding, ordered by action name (help and tests list them all).
func (m *Map) All() []key.Binding {
	named := m.named()
	out := make([]key.Binding, 0, len(named))
	for _, n := range m.Names() {
		out = append(out, *named[n])
	}
	return out
}

// Printable reports whether a key name (as Bubble Tea writes it: "x", "ctrl+x", "enter") types a
// character into a text input.
func Printable(k string) bool {
	if k == "space" {
		return true
	}
	return len([]rune(k)) == 1
}

func hasChord(ks []string) bool {
	for _, k := range ks {
		if !Printable(k) {
			return true
		}
	}
	return false
}
