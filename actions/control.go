package actions

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/model"
)

// Reverter undoes something the cockpit injected (a fault, a cordon). HALT and exit call every one.
type Reverter interface {
	Describe() string
	Revert(ctx context.Context) error
}

// Injected is the set of things to revert on HALT and on exit.
type Injected struct {
	mu    sync.Mutex
	items []Reverter
}

// Add registers something to revert later.
func (in *Injected) Add(r Reverter) {
	in.mu.Lock()
	in.items = append(in.items, r)
	in.mu.Unlock()
}

// forget drops what keep says is no longer injected (a fault reverted by hand).
func (in *Injected) forget(keep func(Reverter) Reverter) {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := in.items[:0]
	for _, r := range in.items {
		if r = keep(r); r != nil {
			out = append(out, r)
		}
	}
	in.items = out
}

// Len is how many injected things are active (for the header).
func (in *Injected) Len() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.items)
}

// RevertAll reverts everything, newest first, and forgets what reverted cleanly.
func (in *Injected) RevertAll(ctx context.Context) ([]string, error) {
	in.mu.Lock()
	items := in.items
	in.items = nil
	in.mu.Unlock()
	var done []string
	var errs []error
	var failed []Reverter
	for i := len(items) - 1; i >= 0; i-- {
		if err := items[i].Revert(ctx); err != nil {
			errs = append(errs, fmt.Errorf("revert %s: %w", items[i].Describe(), err))
			failed = append(failed, items[i])
			continue
		}
		done = append(done, items[i].Describe())
	}
	if len(failed) > 0 {
		in.mu.Lock()
		in.items = append(failed, in.items...)
		in.mu.Unlock()
	}
	return done, errors.Join(errs...)
}

// checkLoad: load changes how the system behaves, so read-only and unarmed production contexts refuse it.
func (g *Guard) checkLoad() error {
	if g == nil {
		return nil
	}
	if g.ReadOnly {
		return refuse("read-only mode (--read-only): no load is sent")
	}
	if g.IsProduction() && !g.Armed {
		return refuse("context %q matches a production pattern: start with --arm to send load", g.Context)
	}
	return nil
}

// StartLoad starts a load profile. In dry-run mode it is journaled but nothing is sent.
func (e *Env) StartLoad(p load.Profile) (Result, error) {
	entry := Entry{Time: e.now(), Context: e.Context, User: e.User, Action: "load-start", Targets: []string{p.Name},
		Detail: p.String(), DryRun: e.Guard != nil && e.Guard.DryRun}
	err := e.Guard.checkLoad()
	switch {
	case err != nil:
	case e.Load == nil:
		err = errors.New("no load target is configured (load.targets in the config)")
	case entry.DryRun:
	default:
		err = e.Load.Start(p)
	}
	return e.record(entry, err)
}

// SetLoadRate changes the running load's rate by delta requests/s.
func (e *Env) SetLoadRate(delta float64) (Result, error) {
	entry := Entry{Time: e.now(), Context: e.Context, User: e.User, Action: "load-rate"}
	var err error
	if e.Load == nil {
		err = errors.New("no load generator")
	} else if st := e.Load.Status(); !st.Active {
		err = fmt.Errorf("%w: no load is running: press b to start a burst", model.ErrRefused)
	} else {
		var got float64
		got, err = e.Load.SetRate(st.Requested + delta)
		entry.Detail = fmt.Sprintf("rate %.0f -> %.0f req/s", st.Requested, got)
	}
	return e.record(entry, err)
}

// Halt stops all load and reverts everything injected. It asks nothing and is never refused.
func (e *Env) Halt(ctx context.Context, in *Injected) (Result, error) {
	entry := Entry{Time: e.now(), Context: e.Context, User: e.User, Action: "halt"}
	var stopped []string
	if e.Load != nil && e.Load.Status().Active {
		e.Load.Stop()
		stopped = append(stopped, "load")
	}
	loadStopped := len(stopped)
	var err error
	if in != nil {
		ctx, cancel := context.WithTimeout(ctx, e.timeout())
		defer cancel()
		var done []string
		done, err = in.RevertAll(ctx)
		stopped = append(stopped, done...)
	}
	entry.Targets = stopped
	entry.Detail = haltDetail(stopped[:loadStopped], stopped[loadStopped:])
	return e.record(entry, err)
}

// haltDetail says what HALT did: load is stopped, faults are reverted.
func haltDetail(load, reverted []string) string {
	var parts []string
	if len(load) > 0 {
		parts = append(parts, "stopped load")
	}
	if len(reverted) > 0 {
		parts = append(parts, fmt.Sprintf("reverted %d: %s", len(reverted), strings.Join(reverted, ", ")))
	}
	if len(parts) == 0 {
		return "nothing was running"
	}
	return strings.Join(parts, "; ")
}
