package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/tui/core"
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

// TestFaultWindowMarkers (issue 15): a fault's result opens a shaded window on the graphs; its
// expiry closes that one window, HALT closes every open one.
func TestFaultWindowMarkers(t *testing.T) {
	m, _ := newDemoModel(t, 120, 40)
	t0 := time.Date(2026, 3, 14, 15, 0, 0, 0, time.UTC)
	fault := func(at time.Time, id string) actions.Result {
		return actions.Result{Entry: actions.Entry{Time: at, Action: "fault", Result: actions.ResultOK, Targets: []string{"virtualservice/demo/web", "fault/" + id}}}
	}
	m.onResult(fault(t0, "a"))
	m.onResult(fault(t0.Add(time.Minute), "b"))
	m.onResult(actions.Result{Entry: actions.Entry{Time: t0.Add(2 * time.Minute), Action: "fault-expired", Result: actions.ResultOK, Targets: []string{"abort 500 30% on web", "fault/a"}}})
	spans := map[string]core.Marker{}
	for _, mk := range m.ctx.Markers.List {
		if mk.Span != "" {
			spans[mk.Span] = mk
		}
	}
	if a, b := spans["a"], spans["b"]; a.Open || !a.Until.Equal(t0.Add(2*time.Minute)) || !b.Open {
		t.Fatalf("after a's expiry: a %+v, b %+v", a, b)
	}
	m.onResult(actions.Result{Entry: actions.Entry{Time: t0.Add(3 * time.Minute), Action: "halt", Result: actions.ResultOK}})
	for _, mk := range m.ctx.Markers.List {
		if mk.Open {
			t.Fatalf("HALT left a window open: %+v", mk)
		}
	}
}
