package session

import (
	"context"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/sources"
)

// Faults lists what is injected now (the header's FAULTS badge).
func (s *Session) Faults() []actions.Active { return s.Injected.Active() }

// revertExpired reverts the faults whose duration ended and publishes each as an action result.
func (s *Session) revertExpired(ctx context.Context) {
	rs, err := s.Env.RevertExpired(ctx, s.Injected)
	for _, r := range rs {
		_, _ = s.done(r, nil)
	}
	if err != nil && len(rs) == 0 {
		s.Publish(sources.ErrorMsg{Source: "session", Err: err.Error()})
	}
}
