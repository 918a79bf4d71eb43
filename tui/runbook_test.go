package tui

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/gamedaylab/gameday/experiment"
	"github.com/gamedaylab/gameday/scenario"
)

// runbookModel is the cockpit with a scenario whose steady state never holds (more ready replicas
// than web has), waiting for the facilitator.
func runbookModel(t *testing.T) (*Model, chan struct{}) {
	t.Helper()
	m, _ := newDemoModel(t, 120, 40)
	e, err := scenario.Parse([]byte(`apiVersion: gameday.dev/v1alpha1
kind: Experiment
metadata: {name: sick}
target: deploy/web
hypothesis:
  probes:
  - name: ready
    kubernetes: {kind: Deployment, name: web, expr: "object.status.readyReplicas > 10"}
method:
- note: first
- note: second
  manual: true
`))
	if err != nil {
		t.Fatal(err)
	}
	gate := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	live := experiment.Start(ctx, m.sess, e, io.Discard, experiment.Options{Gate: gate})
	t.Cleanup(func() { cancel(); live.Wait() })
	m.deps.Runbook, m.deps.Gate, m.deps.Stop = live, gate, cancel
	deadline := time.Now().Add(5 * time.Second)
	for live.Snapshot().Steady == nil {
		if time.Now().After(deadline) {
			t.Fatal("no steady-state check")
		}
		time.Sleep(10 * time.Millisecond)
	}
	m.Update(tickMsg{})
	return m, gate
}

// TestSteadyStateGate: while the scenario's steady state does not hold, the header says so and a
// destructive action's confirm warns first; with ui.steadyGate refuse, it is refused.
func TestSteadyStateGate(t *testing.T) {
	m, _ := runbookModel(t)
	if line := headerLine2(m); !strings.Contains(line, "STEADY ✗") {
		t.Fatalf("header %q", line)
	}
	command(t, m, "kill 1")
	if open, _ := m.DialogOpen(); !open || !strings.Contains(screen(m), "steady state does not hold (ready: object.status.readyReplicas > 10") {
		t.Fatalf("no warning in the confirm:\n%s", screen(m))
	}
	typeKeys(t, m, "esc")
	m.deps.SteadyGate = "refuse"
	command(t, m, "kill 1")
	if open, _ := m.DialogOpen(); open {
		t.Fatal("a dialog opened: the kill should be refused")
	}
	if st, isErr := m.Status(); !isErr || !strings.Contains(st, "refused: steady state does not hold") {
		t.Fatalf("status %q", st)
	}
	// Scaling up is not destructive: no gate.
	m.setStatus("", false)
	command(t, m, "scale +1")
	if st, _ := m.Status(); strings.Contains(st, "steady state") {
		t.Fatalf("status %q", st)
	}
}

// TestRunbookPane: r shows the runbook (probes, steps, what it waits for); N starts the method, which
// stops at the manual step until N again; HALT stops the run.
func TestRunbookPane(t *testing.T) {
	m, _ := runbookModel(t)
	typeKeys(t, m, "r")
	s := screen(m)
	// At 120 columns the runbook docks beside the panes (the graphs stay in view), its lines wrapped.
	for _, want := range []string{"Runbook · sick (r: close)", "press N to start the method", "steady state does not hold: ready:",
		"○ ready want object.status.readyReplicas >", "1 note: first", "2 note: second (manual)", "Metrics · last 5m", "Workload deploy/web"} {
		if !strings.Contains(s, want) {
			t.Errorf("runbook lacks %q:\n%s", want, s)
		}
	}
	// Narrower, it takes the whole body while shown.
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	if s := screen(m); !strings.Contains(s, "○ ready want object.status.readyReplicas > 10") || strings.Contains(s, "Metrics · last 5m") {
		t.Errorf("at 100 columns the runbook should fill the body:\n%s", s)
	}
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.Update(tea.KeyPressMsg{Code: 'N', Text: "N"})
	// The hypothesis fails before the method: the run ends not-steady, the steps not run.
	deadline := time.Now().Add(5 * time.Second)
	for m.deps.Runbook.Snapshot().Outcome == "" {
		if time.Now().After(deadline) {
			t.Fatalf("the run did not go on after N:\n%s", screen(m))
		}
		time.Sleep(10 * time.Millisecond)
	}
	m.Update(tickMsg{})
	if s := screen(m); !strings.Contains(s, "outcome: not-steady") || !strings.Contains(headerLine2(m), "scenario not-steady") {
		t.Fatalf("runbook after the run:\n%s", s)
	}
	typeKeys(t, m, "r")
	if strings.Contains(screen(m), "Runbook · ") {
		t.Fatal("r did not close the runbook")
	}
}

// TestRunbookOfAnotherTool: a run the cockpit does not drive step by step (a Chaos Toolkit
// experiment) shows on the same runbook from its board: its plan, what waits, verdicts and steps
// as they come, and its outcome in the header.
func TestRunbookOfAnotherTool(t *testing.T) {
	m, _ := newDemoModel(t, 120, 40)
	board := experiment.NewBoard("ctk run", experiment.Plan{Tool: "Chaos Toolkit", Rollbacks: 1,
		Probes: []experiment.PlannedProbe{{Name: "gateway-ok", Want: "within 200"}},
		Steps:  []experiment.PlannedStep{{Text: "action abort-all (chaosistio.fault.actions.add_abort_fault)"}, {Text: "action scale-to-one (chaosk8s.deployment.actions.scale_deployment)"}}})
	board.Update(func(sn *experiment.Snapshot) { sn.Waiting = true })
	gate := make(chan struct{}, 1)
	m.deps.Runbook, m.deps.Gate = board, gate
	m.Update(tickMsg{})
	typeKeys(t, m, "r")
	for _, want := range []string{"Runbook · ctk run (r: close)", "a Chaos Toolkit experiment", "press N to start the method",
		"gateway-ok want within 200", "1 action abort-all", "then 1 rollback(s)"} {
		if !strings.Contains(screen(m), want) {
			t.Fatalf("runbook lacks %q:\n%s", want, screen(m))
		}
	}
	typeKeys(t, m, "N")
	if len(gate) != 1 {
		t.Fatal("N did not start the run")
	}
	ok := true
	board.Update(func(sn *experiment.Snapshot) {
		sn.Waiting, sn.Current, sn.Steady = false, 1, &ok
		sn.Record.Verdicts = append(sn.Record.Verdicts, experiment.Verdict{Probe: "gateway-ok", Phase: "before", Status: experiment.StatusHeld, Observed: "200"})
		sn.Record.Steps = append(sn.Record.Steps, experiment.StepRecord{N: 1, Status: "ok"})
	})
	m.Update(tickMsg{})
	for _, want := range []string{"● gateway-ok want within 200 before: 200", "✓ 1 action abort-all", "▶ 2 action scale-to-one", "STEADY ✓"} {
		if !strings.Contains(screen(m), want) {
			t.Fatalf("runbook lacks %q:\n%s", want, screen(m))
		}
	}
	board.Update(func(sn *experiment.Snapshot) {
		sn.Outcome, sn.Record.Reason = experiment.Interrupted, "the Chaos Toolkit's status: interrupted"
		sn.Record.Steps = append(sn.Record.Steps, experiment.StepRecord{N: 2, Status: "interrupted"})
	})
	m.Update(tickMsg{})
	for _, want := range []string{"outcome: interrupted", "✗ 2 action scale-to-one", "scenario interrupted"} {
		if !strings.Contains(screen(m), want) {
			t.Fatalf("runbook lacks %q:\n%s", want, screen(m))
		}
	}
}
