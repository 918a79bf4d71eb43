package session

import (
	"context"
	"fmt"

	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/sources"
)

// send is every source's Send: the session folds cluster deltas into its own store (and advances the
// stopwatches) before the event goes out on the bus.
func (s *Session) send(ctx context.Context, msg any) bool {
	if ctx.Err() != nil {
		return false
	}
	s.Publish(msg)
	return true
}

// Publish puts an event on the bus, after the session's own bookkeeping.
func (s *Session) Publish(msg any) {
	if d, ok := msg.(*model.ClusterDelta); ok {
		s.mu.Lock()
		s.store.Apply(d, s.Clock.Now())
		s.mu.Unlock()
		defer s.evalStopwatches()
	}
	kind, ok := s.Bus.KindOf(msg)
	if !ok {
		s.Bus.Publish(KindError, sources.ErrorMsg{Source: "session", Err: fmt.Sprintf("internal error: an event of type %T has no kind", msg)})
		return
	}
	s.Bus.Publish(kind, msg)
}
