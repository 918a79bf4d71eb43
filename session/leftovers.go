package session

import (
	"cmp"
	"context"
	"fmt"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/model"
)

// Leftovers lists what other sessions changed and did not undo (cordons, Istio faults, load Jobs), as
// q says (Self and Grace are the session's; this machine's state files are read and cleaned of
// records no object carries). This session's own changes are never listed.
func (s *Session) Leftovers(ctx context.Context, q actions.LeftoverQuery) ([]actions.Leftover, error) {
	if s.Env.Client == nil || s.Sim != nil {
		return nil, nil
	}
	q.Self = s.id
	// A live session reverts a fault on the tick after its end; three heartbeats later it is overdue.
	q.Grace = 3 * s.opts.Config.Safety.Heartbeat.Duration
	q.StateDir = cmp.Or(s.opts.RevertDir, config.DefaultRevertDir())
	return s.Env.FindLeftovers(ctx, q)
}

// RevertLeftovers undoes leftovers (after a person confirmed them) and journals it as cleanup.
func (s *Session) RevertLeftovers(ctx context.Context, list []actions.Leftover) error {
	if len(list) == 0 {
		return nil
	}
	if s.opts.Guard.ReadOnly {
		return fmt.Errorf("%w: read-only mode (--read-only): leftovers are listed, not reverted", model.ErrRefused)
	}
	_, err := s.done(s.Env.RevertLeftovers(ctx, list))
	return err
}
