package session

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/gamedaylab/gameday/actions"
)

// Reaped is what one pass of the dead-man reaper did.
type Reaped struct {
	Reverted []actions.Leftover
	// Paused are the other engines' experiments paused in the dead sessions' namespaces, as their
	// own HALT would have.
	Paused []string
}

// Reap is HALT on behalf of sessions that died (their heartbeat Lease gone or stale): it reverts
// every change they left (cordons, Istio faults, load Jobs) and pauses the other chaos engines'
// experiments in their namespaces. A live session's changes are never touched. It is journaled as
// one cleanup entry, and refused in read-only mode.
func (s *Session) Reap(ctx context.Context) (Reaped, error) {
	list, ferr := s.Leftovers(ctx, actions.LeftoverQuery{})
	if len(list) == 0 {
		return Reaped{}, ferr
	}
	if err := s.RevertLeftovers(ctx, list); err != nil {
		return Reaped{Reverted: list}, errors.Join(ferr, err)
	}
	out := Reaped{Reverted: list}
	if s.Env.Engines == nil || s.opts.Guard.DryRun {
		return out, ferr
	}
	var scopes []string
	for _, l := range list {
		if ns, _, ok := strings.Cut(l.Lease, "/"); ok && !slices.Contains(scopes, ns) {
			scopes = append(scopes, ns)
		}
	}
	if len(scopes) == 0 {
		return out, ferr
	}
	r, err := s.done(s.Env.PauseEngines(ctx, scopes))
	out.Paused = r.Entry.Targets
	errs := []error{err}
	return out, errors.Join(append(errs, ferr)...)
}
