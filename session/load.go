package session

import (
	"time"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/load"
)

// LoadStatus is the last load status the session saw.
func (s *Session) LoadStatus() load.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.load
}

// PollLoad reads the load driver's status, publishes it, and journals a timed run that ended by
// itself (not by HALT).
func (s *Session) PollLoad() {
	l := s.Env.Load
	if l == nil {
		return
	}
	s.pollMu.Lock() // one poll at a time: an older status must not overwrite a newer one
	st := l.Status()
	s.mu.Lock()
	prev := s.load
	s.load = st
	halted := s.Clock.Now().Sub(s.haltedAt) <= 2*time.Second
	s.mu.Unlock()
	s.Bus.Publish(KindLoad, st)
	s.pollMu.Unlock() // before journaling: done polls the load again after a load action
	if prev.Active && !st.Active && !halted {
		entry := actions.Entry{Time: s.Clock.Now(), Action: actions.LoadFinished, Targets: []string{prev.Profile.Name}, Detail: prev.Profile.String()}
		_, _ = s.done(s.Env.Record(entry, nil))
	}
}

// StopLoad stops the chaos monkey and the load at once (within a second), before anything else a
// stop does: whatever the reverts then wait for, nothing more is sent or killed. It says what it
// stopped.
func (s *Session) StopLoad() []string {
	var stopped []string
	if s.Monkey.Stop() {
		stopped = append(stopped, "chaos monkey")
	}
	if l := s.Env.Load; l != nil && l.Status().Active {
		s.mu.Lock()
		s.haltedAt = s.Clock.Now() // a stop, not a run that ended by itself
		s.mu.Unlock()
		l.Stop()
		stopped = append(stopped, "load")
	}
	// The HALT that follows journals these as its own: a stop is one HALT, however it began.
	s.mu.Lock()
	s.stoppedEarly = append(s.stoppedEarly, stopped...)
	s.mu.Unlock()
	return stopped
}
