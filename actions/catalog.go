package actions

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	authv1 "k8s.io/api/authorization/v1"

	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/model"
)

// Spec describes one action once, and carries it out: how its arguments parse (from a key, a prompt's
// answer, a `:` command or a scenario step), how it plans and how it runs. The keymap and its
// defaults, the help overlay, the crossed-out marks and SelfSubjectAccessReview checks, the confirm
// dialog, the marker labels, the `:` commands and the journal's action names are all derived from the
// catalog. Each action is one file of this package that registers its specs.
type Spec struct {
	// Name is the journal's action name.
	Name Name
	// Order places the spec in help and the catalog.
	Order int
	// Key is the binding's name in the config's `keys:` section ("" for none) and Keys its defaults.
	Key  string
	Keys []string
	// Args are the arguments the key passes to Plan ("" for the defaults).
	Args string
	// Selected keys act on the pod under the cursor: the cockpit passes pod/NAME as the arguments.
	Selected bool
	// Ask is set when the key asks for the arguments first (how many pods, which zone, which profile).
	Ask *Ask
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
	// AccessCreate is what a plan that creates its object needs beyond Access (a fault on a host no
	// VirtualService claims creates one): answered under CreatePerm(Perm).
	AccessCreate []authv1.ResourceAttributes
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
	// Timed actions start a recovery stopwatch when they succeed (the session times them).
	Timed bool
	// Halts is set on HALT: the session marks the time before it runs, so the load it stops is not
	// taken for a run that ended by itself.
	Halts bool
	// Plan reads the arguments and works out, purely, what the action will hit. An error is bad input
	// (it says what is wanted); a plan the safety rules forbid comes back with Refusal set, to be
	// journaled as refused. Nil for events.
	Plan func(e *Env, w World, args string) (Step, error)
	// Run carries out a planned step and journals it. Nil for events.
	Run func(ctx context.Context, x Exec, st Step) (Result, error)
	// ParseArgs reads the arguments alone, with no world, as Plan reads them: what a scenario file's
	// validation refuses before anything runs. Nil when every argument is a name only the world knows.
	ParseArgs func(args string) error
}

// Ask is what a key asks before it plans: a text prompt, or a pick from Options when they are set.
type Ask struct {
	Title func(w World) string
	Help  func(w World) string
	// Default is the prompt's placeholder, taken when the answer is empty.
	Default func(w World) string
	// Options make the question a picker.
	Options func(w World) []string
	// Check validates an answer as it is typed ("" is the default).
	Check func(w World, answer string) error
	// Args turns the answer into the Plan's arguments.
	Args func(answer string) string
	// None is the refusal when there is nothing to ask about (no zones).
	None func(w World) error
}

// World is what an action plans against: the session's view, read-only while Plan runs. Plan must not
// keep pointers into Cluster.
type World struct {
	Namespace string
	Target    string
	Cluster   *model.Cluster
	Load      load.Status
	// Burst is what b starts (load.burst); RateStep what + and - change (load.rateStep); MaxRate the cap.
	Burst    load.Profile
	RateStep float64
	MaxRate  float64
	// Monkey describes the chaos monkey's scope and pace; MonkeyOn is set while it runs.
	Monkey   string
	MonkeyOn bool
}

// Step is an action planned: what it will hit, whether it must be confirmed, and the parameters its
// Run takes (one of Plan, Nodes, Profile, Rate).
type Step struct {
	Action Name
	// Summary is one line (the confirm's title, the cancelled message); Detail what the confirm lists.
	Summary string
	Detail  string
	// Confirm is set when a person must say yes first (destructive steps).
	Confirm bool
	DryRun  bool
	// Refusal is set when the safety rules forbid the step: Run journals it as refused.
	Refusal error `json:"-"`

	Plan    *Plan
	Nodes   *NodePlan
	Profile *load.Profile
	Rate    float64
	Fault   *FaultPlan
	// Unfault is the fault ID `:unfault` reverts ("all" for every one).
	Unfault string
	// Monkey is what `:monkey` does (on, off, skip, toggle) and MonkeyFor how long it runs.
	Monkey    string
	MonkeyFor time.Duration

	spec *Spec
}

// Spec is the catalog entry the step came from.
func (st Step) Spec() Spec {
	if st.spec == nil {
		return Spec{}
	}
	return *st.spec
}

// Verb labels the confirm button.
func (st Step) Verb() string {
	v := st.Spec().Verb
	if v == "" {
		v = "Run"
	}
	if st.DryRun {
		v += " (dry-run)"
	}
	return v
}

// Exec is what a step runs with. Drain is told the progress of a drain that started; the session
// continues it.
type Exec struct {
	Env      *Env
	Injected *Injected
	Drain    func(DrainProgress)
	// Monkey is the session's chaos monkey (nil: none configured).
	Monkey MonkeyControl
}

// catalog is filled by the action files' init functions and sorted once by Order: the footer reads
// it on every frame. Nothing changes it after init.
var catalog []Spec

func register(specs ...Spec) {
	catalog = append(catalog, specs...)
	sort.SliceStable(catalog, func(i, j int) bool { return catalog[i].Order < catalog[j].Order })
}

// Catalog is every action and journaled event, in help order. Callers must not change it.
func Catalog() []Spec { return catalog }

// Lookup finds the first spec with that journal name.
func Lookup(name Name) (Spec, bool) {
	for _, s := range catalog {
		if s.Name == name {
			return s, true
		}
	}
	return Spec{}, false
}

// ByKey finds the spec of a key binding name.
func ByKey(key string) (Spec, bool) {
	for _, s := range catalog {
		if s.Key != "" && s.Key == key {
			return s, true
		}
	}
	return Spec{}, false
}

// ByCommand finds the spec of a `:` command.
func ByCommand(cmd string) (Spec, bool) {
	for _, s := range catalog {
		if s.Command != "" && s.Command == cmd {
			return s, true
		}
	}
	return Spec{}, false
}

// Prepare plans spec with args against w. The step remembers its spec, so Do can run it.
func (e *Env) Prepare(spec Spec, w World, args string) (Step, error) {
	if spec.Plan == nil || spec.Run == nil {
		return Step{}, fmt.Errorf("%s is not an action that can be started", spec.Name)
	}
	st, err := spec.Plan(e, w, strings.TrimSpace(args))
	if err != nil {
		return Step{}, err
	}
	st.spec = &spec
	if st.Action == "" {
		st.Action = spec.Name
	}
	return st, nil
}

// EventStep is a confirmation of one of the catalog's events (the cleanup of leftovers): it carries
// the event's verb; it is not run through Do.
func EventStep(name Name, summary, detail string) Step {
	st := Step{Action: name, Summary: summary, Detail: detail, Confirm: true}
	if spec, ok := Lookup(name); ok {
		st.spec = &spec
	}
	return st
}

// Do runs a prepared step (a refused one is journaled as refused).
func (x Exec) Do(ctx context.Context, st Step) (Result, error) {
	if st.spec == nil || st.spec.Run == nil {
		return Result{Err: "internal error: a step without its action"}, fmt.Errorf("internal error: step %q has no action", st.Action)
	}
	return st.spec.Run(ctx, x, st)
}

// Run runs a workload plan made outside the catalog's Plan (PlanKill, PlanScale, PlanRestart) through
// its action's Run, as a step would.
func (e *Env) Run(ctx context.Context, p Plan) (Result, error) {
	spec, ok := Lookup(p.Action)
	if !ok || spec.Run == nil {
		return e.record(Entry{Time: e.now(), Context: e.Context, User: e.User, Action: p.Action}, fmt.Errorf("unknown action %q", p.Action))
	}
	return Exec{Env: e}.Do(ctx, Step{Action: p.Action, Summary: p.Summary(), DryRun: p.DryRun, Refusal: p.Refusal, Plan: &p, spec: &spec})
}

// MarkerLabel is the label an entry's marker carries on the graphs.
func MarkerLabel(action Name) string {
	if s, ok := Lookup(action); ok && s.Marker != "" {
		return s.Marker
	}
	return string(action)
}

// accessChecks are the API permissions each Perm needs, from the catalog.
func accessChecks() map[string][]authv1.ResourceAttributes {
	out := map[string][]authv1.ResourceAttributes{}
	for _, s := range catalog {
		if s.Perm != "" && len(s.Access) > 0 {
			if _, ok := out[s.Perm]; !ok {
				out[s.Perm] = s.Access
			}
			if len(s.AccessCreate) > 0 {
				out[CreatePerm(s.Perm)] = s.AccessCreate
			}
		}
	}
	return out
}

// CreatePerm names the permission of perm's plans that create their object.
func CreatePerm(perm string) string { return perm + "-create" }

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
	for _, s := range catalog {
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
	seen := map[Name]bool{}
	for _, s := range catalog {
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

// worldless checks arguments with a plan that reads them before it looks at the world (a load's
// profile, a rate step, the monkey's mode, a note): the plan itself, against a world with nothing in it.
func worldless(plan func(e *Env, w World, args string) (Step, error)) func(string) error {
	return func(args string) error {
		w := World{Burst: load.Profile{Name: "burst", Kind: load.Constant, Rate: 1, To: 1, Duration: time.Minute}, RateStep: 1}
		_, err := plan(&Env{}, w, args)
		return err
	}
}

// needTarget finds the target Deployment in w, or says what is missing.
func needTarget(w World) (*model.Deployment, error) {
	if w.Target == "" {
		return nil, fmt.Errorf("no target: pick one with :target deploy/NAME (or --target)")
	}
	d := w.Cluster.Deployment(w.Namespace, w.Target)
	if d == nil && !w.Cluster.Synced {
		return nil, fmt.Errorf("the cluster is not listed yet: deploy/%s is not known in namespace %q (try again in a moment)", w.Target, w.Namespace)
	}
	if d == nil {
		return nil, fmt.Errorf("deploy/%s not found in namespace %q", w.Target, w.Namespace)
	}
	return d, nil
}
