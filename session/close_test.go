package session

import (
	"context"
	"errors"
	"testing"
	"time"
)

// hangingRevert is a fault whose revert waits until its context ends (an apiserver that never
// answers).
type hangingRevert struct{}

func (hangingRevert) Describe() string { return "fault/hangs" }
func (hangingRevert) Revert(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestCloseKeepsOneDeadline (issue 33): the program's shutdown has one deadline, and nothing in a
// session's close outlasts it: a revert that never answers is cut at it (and HALT says so), a
// source that ignores its cancellation is left behind. Before, the sources were waited for without
// a bound and the heartbeat was removed with none, each after its own timer.
func TestCloseKeepsOneDeadline(t *testing.T) {
	s := startDemo(t, 0, "")
	s.Injected.Add(hangingRevert{})
	stuck := make(chan struct{})
	defer close(stuck)
	s.group.Go(context.Background(), "stuck source", func(context.Context) { <-stuck })
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.CloseWithin(ctx) }()
	select {
	case err := <-done:
		if err == nil || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("close: %v, want HALT's revert cut at the deadline", err)
		}
	// A margin for a loaded machine: without the bound, close never returns.
	case <-time.After(10 * time.Second):
		t.Fatal("close outlasted its deadline by 10 s")
	}
	if got := s.Injected.Pending(); len(got) != 1 {
		t.Fatalf("what HALT could not revert stays for the next start: %v", got)
	}
	if b := s.CloseBound(); b <= s.Env.HaltBound() {
		t.Fatalf("the close's bound %s leaves HALT's reverts (%s) no room", b, s.Env.HaltBound())
	}
}
