package chaostoolkit

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/experiment"
)

// TestRunbookBoardFollowsTheRun: in the cockpit, the run waits for the facilitator, then its
// probes' verdicts, its steps and its outcome reach the runbook as they happen.
func TestRunbookBoardFollowsTheRun(t *testing.T) {
	e, err := Parse("flow.yaml", []byte(flow))
	if err != nil {
		t.Fatal(err)
	}
	plan := e.Plan(Vars{})
	if len(plan.Probes) != 1 || plan.Probes[0].Name != "up" || plan.Probes[0].Want != "within True" ||
		len(plan.Steps) != 2 || plan.Steps[0].Text != "action act (http GET)" || plan.Steps[1].Text != "ref up" || plan.Rollbacks != 1 {
		t.Fatalf("plan = %+v", plan)
	}
	board := experiment.NewBoard("t", plan)
	gate := make(chan struct{})
	s := &script{out: map[string]any{"up": true}}
	done := make(chan *Journal)
	go func() {
		done <- Run(context.Background(), e, s, Options{Board: board, Gate: gate, Frequency: 10 * time.Millisecond})
	}()
	waitBoard(t, board, func(sn experiment.Snapshot) bool { return sn.Waiting && sn.Current == -1 })
	if n := len(s.calls); n != 0 {
		t.Fatalf("%d activities ran before the facilitator started the run", n)
	}
	gate <- struct{}{}
	j := <-done
	sn := board.Snapshot()
	if sn.Outcome != experiment.Held || j.Outcome() != StatusCompleted || sn.Waiting {
		t.Fatalf("outcome %q (journal %q), waiting %v", sn.Outcome, j.Outcome(), sn.Waiting)
	}
	if len(sn.Record.Verdicts) != 2 || sn.Record.Verdicts[0].Phase != "before" || sn.Record.Verdicts[1].Phase != "after" ||
		sn.Record.Verdicts[0].Status != experiment.StatusHeld {
		t.Fatalf("verdicts = %+v", sn.Record.Verdicts)
	}
	if len(sn.Record.Steps) != 2 || sn.Record.Steps[0].N != 1 || sn.Record.Steps[0].Status != "ok" || sn.Steady == nil || !*sn.Steady {
		t.Fatalf("steps = %+v, steady %v", sn.Record.Steps, sn.Steady)
	}
	if all := strings.Join(sn.Record.Lines, "\n"); !strings.Contains(all, "rollbacks:") || !strings.Contains(all, "experiment ended with status: completed") {
		t.Fatalf("lines:\n%s", all)
	}
}

// TestRunbookHaltMidMethod: HALT in the cockpit cancels the run in the middle of an activity: the
// step is interrupted, the rollbacks play as the strategy says (always here), the outcome says so.
func TestRunbookHaltMidMethod(t *testing.T) {
	e, err := Parse("flow.yaml", []byte(flow+"runtime:\n  rollbacks:\n    strategy: always\n"))
	if err != nil {
		t.Fatal(err)
	}
	board := experiment.NewBoard("t", e.Plan(Vars{}))
	gate := make(chan struct{}, 1)
	gate <- struct{}{}
	s := &script{out: map[string]any{"up": true}, block: "act"}
	ctx, halt := context.WithCancel(context.Background())
	done := make(chan *Journal)
	go func() { done <- Run(ctx, e, s, Options{Board: board, Gate: gate}) }()
	waitBoard(t, board, func(sn experiment.Snapshot) bool { return sn.Current == 0 })
	halt()
	j := <-done
	sn := board.Snapshot()
	if sn.Outcome != experiment.Interrupted || j.Status != StatusInterrupted || s.ran("undo") != 1 {
		t.Fatalf("outcome %q, status %q, undo ran %d times", sn.Outcome, j.Status, s.ran("undo"))
	}
	if len(sn.Record.Steps) != 1 || sn.Record.Steps[0].Status != "interrupted" {
		t.Fatalf("steps = %+v", sn.Record.Steps)
	}
}

// TestRunbookStoppedBeforeItStarted: leaving the cockpit before N runs nothing, not even rollbacks.
func TestRunbookStoppedBeforeItStarted(t *testing.T) {
	e, err := Parse("flow.yaml", []byte(flow+"runtime:\n  rollbacks:\n    strategy: always\n"))
	if err != nil {
		t.Fatal(err)
	}
	board := experiment.NewBoard("t", e.Plan(Vars{}))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := &script{}
	j := Run(ctx, e, s, Options{Board: board, Gate: make(chan struct{})})
	if len(s.calls) != 0 || j.Status != StatusInterrupted || board.Snapshot().Outcome != experiment.Interrupted {
		t.Fatalf("calls %v, status %q, outcome %q", s.calls, j.Status, board.Snapshot().Outcome)
	}
}

func waitBoard(t *testing.T, b *experiment.Board, ok func(experiment.Snapshot) bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if ok(b.Snapshot()) {
			return
		}
	}
	t.Fatalf("the board never got there: %+v", b.Snapshot())
}
