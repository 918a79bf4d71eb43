package session

import (
	"context"
	"time"

	"github.com/gamedaylab/gameday/actions"
)

// drain publishes a drain's first progress and continues it once a second until its evictions are
// done, HALT runs, or the session closes.
func (s *Session) drain(pr actions.DrainProgress) {
	s.Bus.Publish(KindDrain, pr)
	s.mu.Lock()
	ctx := s.ctx
	s.mu.Unlock()
	if ctx == nil {
		ctx = context.Background()
	}
	started := s.Clock.Now()
	s.group.Go(ctx, "drain", func(ctx context.Context) {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for !pr.Done {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			s.mu.Lock()
			halted := !s.haltedAt.Before(started)
			s.mu.Unlock()
			if halted {
				var r actions.Result
				pr, r = s.Env.StopDrain(pr, "HALT")
				_, _ = s.done(r, nil)
				s.Bus.Publish(KindDrain, pr)
				return
			}
			pr = s.drainStep(ctx, pr)
		}
	})
}

// drainStep continues a drain and publishes its progress (and, when it ends, its result).
func (s *Session) drainStep(ctx context.Context, pr actions.DrainProgress) actions.DrainProgress {
	end, err := s.act()
	if err != nil {
		pr.Done, pr.Err = true, err.Error()
		return pr
	}
	defer end()
	pr, done := s.Env.DrainStep(ctx, pr)
	if done != nil {
		_, _ = s.done(*done, nil) // the journaled drain-done, on the timeline and the bus like any result
	}
	s.Bus.Publish(KindDrain, pr)
	return pr
}
