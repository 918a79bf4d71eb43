package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/engines"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/session"
)

func command(t *testing.T, m *Model, line string) {
	t.Helper()
	typeKeys(t, m, ":")
	typeText(t, m, line)
	typeKeys(t, m, "enter")
}

// TestActionCommands: every action with a `:` command in the catalog runs from the command line, with
// the same plan, confirmation and refusals as its key.
func TestActionCommands(t *testing.T) {
	t.Parallel()
	m, s := newDemoModel(t, 120, 40)

	command(t, m, "kill 2")
	if open, title := m.DialogOpen(); !open || !strings.Contains(title, "Kill 2 random pods of deploy/web") {
		t.Fatalf(":kill 2 did not ask to kill 2 pods: open=%v %q", open, title)
	}
	typeKeys(t, m, "esc")

	command(t, m, "kill lots")
	if st, isErr := m.Status(); !isErr || !strings.Contains(st, "usage: :kill") {
		t.Fatalf(":kill lots: status %q", st)
	}

	desired := m.Context().Cluster.Deployment("demo", "web").Desired
	command(t, m, "scale +1")
	if open, title := m.DialogOpen(); !open || !strings.Contains(title, "to 4") {
		t.Fatalf(":scale +1 on a Deployment an HPA manages must show the HPA warning first: open=%v %q", open, title)
	}
	typeKeys(t, m, "y")
	if !journaled(m, "scale") {
		t.Fatal(":scale +1 was not run")
	}
	command(t, m, "scale 1")
	if open, title := m.DialogOpen(); !open || !strings.Contains(title, "to 1") {
		t.Fatalf(":scale 1 (from %d) must ask, got open=%v %q", desired, open, title)
	}
	typeKeys(t, m, "esc")
	command(t, m, "scale many")
	if st, isErr := m.Status(); !isErr || !strings.Contains(st, "want +N, -N or a replica count") {
		t.Fatalf(":scale many: status %q", st)
	}

	command(t, m, "load ramp:0-400")
	if st := s.Load().Status(); !st.Active || st.Profile.Kind != "ramp" || st.Profile.To != 400 {
		t.Fatalf(":load ramp:0-400 started %+v", st.Profile)
	}
	command(t, m, "rate -50")
	if !journaled(m, "load-rate") {
		t.Fatal(":rate -50 was not run")
	}
	command(t, m, "rate 50")
	if st, isErr := m.Status(); !isErr || !strings.Contains(st, "want +N or -N") {
		t.Fatalf(":rate 50: status %q", st)
	}
	command(t, m, "load wobble:1-2")
	if st, isErr := m.Status(); !isErr || !strings.Contains(st, ":load") || !strings.Contains(st, "unknown shape") {
		t.Fatalf(":load wobble: status %q", st)
	}
	command(t, m, "halt")
	if s.Load().Status().Active || !journaled(m, "halt") {
		t.Fatal(":halt did not stop the load")
	}

	command(t, m, "frobnicate")
	st, _ := m.Status()
	for _, c := range actions.CommandHelp() {
		if name := strings.Fields(c[0])[0]; !strings.Contains(st, name) {
			t.Errorf("the unknown-command message does not offer %s: %q", name, st)
		}
	}
}

// journaled reports whether the session journaled an action of that name.
func journaled(m *Model, action string) bool {
	for _, e := range m.sess.Timeline() {
		if string(e.Action) == action && (e.Result == actions.ResultOK || e.Result == actions.ResultDryRun) {
			return true
		}
	}
	return false
}

// TestNamespaceThatDoesNotExistIsSaid (issue 13 item 6): :ns to a namespace the cluster does not have
// warns once the source has listed it. Before, it was accepted silently.
func TestNamespaceThatDoesNotExistIsSaid(t *testing.T) {
	t.Parallel()
	m, _ := newDemoModel(t, 120, 40)
	command(t, m, "ns nosuchns")
	m.sess.Publish(&model.ClusterDelta{Reset: true}) // what the restarted source lists there: nothing
	deadline := time.Now().Add(10 * time.Second)
	for {
		var seen []tea.Msg
		pump(m, 0, &seen)
		if st, isErr := m.Status(); isErr && strings.Contains(st, `namespace "nosuchns" does not exist`) {
			break
		}
		if time.Now().After(deadline) {
			st, _ := m.Status()
			t.Fatalf("no warning after :ns nosuchns; status %q", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(screen(m), `deploy/web not found in namespace "nosuchns"`) {
		t.Fatalf("the workload pane does not say the target is missing:\n%s", screen(m))
	}
	typeKeys(t, m, "b")
	if st, isErr := m.Status(); !isErr || !strings.Contains(st, "does not exist") {
		t.Fatalf("b aimed at a missing target: status %q", st)
	}
}

// TestCockpitFollowsTheSession (issue 12): when something other than the cockpit (a scenario step)
// points the session at another target, the cockpit follows it from the bus.
func TestCockpitFollowsTheSession(t *testing.T) {
	t.Parallel()
	m, _ := newDemoModel(t, 120, 40)
	m.sess.SetTarget("gateway")
	var seen []tea.Msg
	pump(m, 0, &seen)
	if m.Context().Target != "gateway" || !strings.Contains(screen(m), "Workload deploy/gateway") {
		t.Fatalf("the cockpit did not follow: target %q\n%s", m.Context().Target, screen(m))
	}
}

// TestBackendSheet: `:backend` names each signal's backend and how it was chosen; esc closes it, and
// HALT from inside it works without asking.
func TestBackendSheet(t *testing.T) {
	t.Parallel()
	m, _ := newDemoModel(t, 120, 40)
	command(t, m, "backend")
	v := m.Render()
	for _, want := range []string{"Backends (esc: close)", "metrics", "traces", "logs", "the simulated cluster (--demo)"} {
		if !strings.Contains(v, want) {
			t.Fatalf("the sheet lacks %q:\n%s", want, v)
		}
	}
	typeKeys(t, m, "esc")
	if strings.Contains(m.Render(), "Backends (esc: close)") {
		t.Fatal("esc did not close the sheet")
	}
	command(t, m, "backend")
	typeKeys(t, m, "x")
	if strings.Contains(m.Render(), "Backends (esc: close)") {
		t.Fatal("HALT did not close the sheet")
	}
	if st, _ := m.Status(); !strings.Contains(st, "halt") {
		t.Fatalf("x in the sheet did not HALT: status %q", st)
	}
}

// TestFaultsSheet: `:faults` lists what the session injected and the other chaos engines'
// experiments as the session last listed them: those HALT would pause marked, a stuck one flagged;
// the header counts them; esc closes.
func TestFaultsSheet(t *testing.T) {
	t.Parallel()
	m, _ := newDemoModel(t, 200, 60)
	now := time.Now()
	m.engines = session.Engines{OK: true, At: now, List: []engines.Experiment{
		{Engine: "Chaos Mesh", Kind: "PodChaos", Namespace: "demo", Name: "kill-web", Target: "mode one in demo app=web", Created: now.Add(-3 * time.Minute), Selects: []string{"demo"}},
		{Engine: "Chaos Mesh", Kind: "PodChaos", Namespace: "demo", Name: "held", Created: now.Add(-10 * time.Minute), Deleting: now.Add(-2 * time.Minute)},
		{Engine: "Litmus", Kind: "ChaosEngine", Namespace: "other", Name: "theirs", Created: now.Add(-time.Hour)},
	}}
	command(t, m, "faults")
	v := screen(m)
	for _, want := range []string{"Faults (esc: close)", "nothing injected by this session", "Chaos Mesh PodChaos demo/kill-web → mode one in demo app=web, 3m0s old (HALT pauses it)",
		"Chaos Mesh PodChaos demo/held", "STUCK deleting for 2m0s (finalizers)", "Litmus ChaosEngine other/theirs", "+1 other chaos", "1 STUCK"} {
		if !strings.Contains(v, want) {
			t.Fatalf("the sheet lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "other/theirs → ") || strings.Contains(v, "theirs, 1h0m0s old (HALT") {
		t.Fatalf("another namespace's experiment is marked for HALT:\n%s", v)
	}
	typeKeys(t, m, "esc")
	if strings.Contains(screen(m), "Faults (esc: close)") {
		t.Fatal("esc did not close the sheet")
	}
}
