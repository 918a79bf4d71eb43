package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gamedaylab/gameday/session"
)

// stopper is a process's stop, one path for every command: the first SIGINT, SIGTERM or SIGHUP (or
// the cockpit's q) stops load and the monkey at once and lets the reverts run within
// safety.revertTimeout; the second leaves at once, saying what was not reverted.
type stopper struct {
	n             atomic.Int32
	first, second func(os.Signal)
	ch            chan os.Signal
	done          chan struct{}
}

// onStop starts listening for stop signals; Close stops listening.
func onStop(first, second func(os.Signal)) *stopper {
	s := &stopper{first: first, second: second, ch: make(chan os.Signal, 2), done: make(chan struct{})}
	signal.Notify(s.ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		for {
			select {
			case sig := <-s.ch:
				s.request(sig)
			case <-s.done:
				return
			}
		}
	}()
	return s
}

func (s *stopper) request(sig os.Signal) {
	if s.n.Add(1) == 1 {
		s.first(sig)
		return
	}
	s.second(sig)
}

// Stopping says the process is stopping already (the cockpit's q): the next signal is the second.
func (s *stopper) Stopping() { s.n.CompareAndSwap(0, 1) }

// Close stops listening: signals get Go's default again.
func (s *stopper) Close() {
	signal.Stop(s.ch)
	close(s.done)
}

// stoppedText says what a first stop stopped at once.
func stoppedText(stopped []string) string {
	if len(stopped) == 0 {
		return "no load or monkey was running"
	}
	return strings.Join(stopped, " and ") + " stopped"
}

// leaveNow is the second stop: nothing more is reverted. What is still injected is said, with where
// its records are (the local state file and the objects themselves), and the process exits 6 (a
// person must look) once wait returns or after a second, whichever comes first.
func leaveNow(w io.Writer, sess *session.Session, wait func()) {
	pending, state := sess.Abandon()
	sess.Logf(slog.LevelError, "leaving now (a second interrupt): not reverted", "pending", strings.Join(pending, "; "), "state", state)
	if len(pending) == 0 {
		fmt.Fprintln(w, "gameday: leaving now; nothing was left to revert")
	} else {
		fmt.Fprintf(w, "gameday: leaving now; NOT reverted: %s\n", strings.Join(pending, "; "))
		fmt.Fprintf(w, "gameday: their revert records are on the objects and in %s: `gameday revert` reverts them once this session's heartbeat is stale (or at once with --session %s --force)\n", state, sess.ID())
	}
	if wait != nil {
		done := make(chan struct{})
		go func() { wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(time.Second):
		}
	}
	code := exitRevertFailed
	if len(pending) == 0 {
		code = exitInterrupted
	}
	os.Exit(code)
}
