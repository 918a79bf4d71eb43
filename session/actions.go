package session

import (
	"context"
	"fmt"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/model"
)

// errClosing refuses an action that arrives while the session closes.
var errClosing = fmt.Errorf("%w: the session is closing", model.ErrRefused)

// act registers an action under way; the returned func ends it.
func (s *Session) act() (func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errClosing
	}
	s.acting.Add(1)
	return s.acting.Done, nil
}

func refused(err error) (actions.Result, error) { return actions.Result{Err: err.Error()}, err }

// done records and publishes an action's result: the timeline, the stopwatch of a kill, the bus.
func (s *Session) done(r actions.Result, err error) (actions.Result, error) {
	s.mu.Lock()
	s.timeline = append(s.timeline, r.Entry)
	s.mu.Unlock()
	s.Bus.Publish(KindAction, r)
	if r.Entry.Result == actions.ResultOK || r.Entry.Result == actions.ResultDryRun {
		switch r.Entry.Action {
		case actions.Halt, actions.LoadStart, actions.LoadRate, actions.LoadStop, actions.LoadFinished, actions.LoadJob:
			s.PollLoad()
		}
	}
	return r, err
}

// Prepare plans an action of the catalog with args against the session's view: what it will hit, or
// why the arguments are wrong. Nothing runs.
func (s *Session) Prepare(spec actions.Spec, args string) (actions.Step, error) {
	if s.Replay != nil {
		return actions.Step{}, s.ReplayRefusal()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Env.Prepare(spec, s.world(), args)
}

// Act plans and runs the action of a `:` command with args, unconfirmed: for headless runs and
// scenario steps, whose confirmation is the scenario itself. A refused plan is journaled as refused.
func (s *Session) Act(ctx context.Context, command, args string) (actions.Result, error) {
	spec, ok := actions.ByCommand(command)
	if !ok {
		return refused(fmt.Errorf("unknown action %q", command))
	}
	st, err := s.Prepare(spec, args)
	if err != nil {
		return actions.Result{Err: err.Error()}, fmt.Errorf("%s %s: %w", command, args, err)
	}
	return s.Do(ctx, st)
}

// Do runs a prepared step and publishes its result. HALT is never refused; a timed action (kill)
// starts its recovery stopwatch; a drain goes on in the background until its evictions are done.
func (s *Session) Do(ctx context.Context, st actions.Step) (actions.Result, error) {
	spec := st.Spec()
	if s.Replay != nil {
		return refused(s.ReplayRefusal())
	}
	if spec.Halts {
		return s.Halt(ctx)
	}
	end, err := s.act()
	if err != nil {
		return refused(err)
	}
	defer end()
	timed := spec.Timed && st.Plan != nil && st.Plan.Workload != "" && st.Refusal == nil
	var before map[string]bool
	if timed {
		s.mu.Lock()
		before = make(map[string]bool, len(s.store.Pods))
		for k := range s.store.Pods {
			before[k] = true
		}
		s.mu.Unlock()
	}
	var drain *actions.DrainProgress
	x := actions.Exec{Env: s.Env, Injected: s.Injected, Drain: func(p actions.DrainProgress) { drain = &p }, Monkey: s.Monkey}
	r, err := x.Do(ctx, st)
	r.Timed = timed && r.Entry.Result == actions.ResultOK
	r, err = s.done(r, err)
	if drain != nil {
		s.drain(*drain) // after the drain's result: its progress follows it
	}
	if r.Timed {
		s.startStopwatch(r.Entry, *st.Plan, before) // after the action is published: its recovery comes later
	}
	return r, err
}

// Halt stops all load and reverts everything injected. It asks nothing and is never refused.
// Halt stops load and the monkey and reverts everything injected; what a stop already stopped
// (StopLoad) is journaled as this HALT's.
func (s *Session) Halt(ctx context.Context) (actions.Result, error) {
	if s.Replay != nil {
		return refused(fmt.Errorf("%w: nothing to halt in a replay (nothing here acts on a cluster)", model.ErrRefused))
	}
	s.mu.Lock()
	s.haltedAt = s.Clock.Now() // before the load stops: the poll must not take it for a run that ended
	also := s.stoppedEarly
	s.stoppedEarly = nil
	s.mu.Unlock()
	if s.Monkey.Stop() { // first: no kill may start while the rest is reverted
		also = append(also, "chaos monkey")
	}
	return s.done(s.Env.Halt(ctx, s.Injected, also...)) // not through act(): HALT runs while the session closes
}
