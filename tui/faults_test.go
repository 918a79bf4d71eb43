package tui

import (
	"strings"
	"testing"

	"github.com/gamedaylab/gameday/actions"
)

// TestManualUncordonLeavesNoFault (issue 13 item 5): a cordon is a fault; uncordoning the node by hand
// reverts it, so the header no longer counts it and HALT has nothing of it to revert.
func TestManualUncordonLeavesNoFault(t *testing.T) {
	t.Parallel()
	m, _ := newDemoModel(t, 120, 40)
	command(t, m, "cordon node-a-1")
	typeKeys(t, m, "y")
	if !strings.Contains(screen(m), "FAULTS 1") {
		t.Fatalf("a cordon must show as a fault:\n%s", screen(m))
	}
	command(t, m, "uncordon node-a-1")
	if s := screen(m); !strings.Contains(s, "faults 0") {
		t.Fatalf("after a manual uncordon the header still counts the cordon:\n%s", s)
	}
	msgs := drive(t, m, keyMsg("x"))
	for _, msg := range msgs {
		if r, ok := msg.(actions.Result); ok && r.Entry.Action == "halt" && r.Entry.Detail != "nothing was running" {
			t.Fatalf("HALT after a manual uncordon: %q", r.Entry.Detail)
		}
	}
}

// TestHaltSaysRevertedForFaults: HALT stops load and reverts faults, and says which is which.
func TestHaltSaysRevertedForFaults(t *testing.T) {
	t.Parallel()
	m, _ := newDemoModel(t, 120, 40)
	command(t, m, "cordon node-a-1")
	typeKeys(t, m, "y", "b")
	var detail string
	for _, msg := range drive(t, m, keyMsg("x")) {
		if r, ok := msg.(actions.Result); ok && r.Entry.Action == "halt" {
			detail = r.Entry.Detail
		}
	}
	if detail != "stopped load; reverted 1: cordon node-a-1" {
		t.Fatalf("HALT detail %q", detail)
	}
}

// TestDryRunDrainSaysWouldEvict (issue 13 item 8): a dry-run drain moves nothing and says so.
func TestDryRunDrainSaysWouldEvict(t *testing.T) {
	t.Parallel()
	m, _ := newDemoModel(t, 120, 40)
	m.Context().Guard.DryRun = true
	command(t, m, "drain zone eu-west-1a!")
	typeKeys(t, m, "y")
	if st, _ := m.Status(); !strings.Contains(st, "would evict") || strings.Contains(st, " evicted ") {
		t.Fatalf("dry-run drain status %q", st)
	}
}
