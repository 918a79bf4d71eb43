package actions

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

func init() {
	register(Spec{Name: Halt, Order: 70, Key: "halt", Keys: []string{"x", "ctrl+x"}, Command: "halt", Help: "HALT",
		CommandHelp: "stop all load, revert everything injected (never asks)", Marker: "HALT", Halts: true,
		Plan: func(_ *Env, _ World, args string) (Step, error) {
			if args != "" {
				return Step{}, fmt.Errorf("%q: halt takes no arguments", args)
			}
			return Step{Action: Halt, Summary: "HALT"}, nil
		},
		Run: func(ctx context.Context, x Exec, _ Step) (Result, error) { return x.Env.Halt(ctx, x.Injected) }})
}

// Halt stops all load and reverts everything injected. It asks nothing and is never refused. also
// names what the caller stopped before (the chaos monkey; "load" when a stop already stopped it),
// for the journal.
func (e *Env) Halt(ctx context.Context, in *Injected, also ...string) (Result, error) {
	entry := Entry{Time: e.now(), Context: e.Context, User: e.User, Action: Halt}
	loadWasStopped := slices.Contains(also, "load")
	also = slices.DeleteFunc(slices.Clone(also), func(s string) bool { return s == "load" })
	stopped := append([]string(nil), also...)
	if e.Load != nil && e.Load.Status().Active {
		e.Load.Stop()
		stopped = append(stopped, "load")
	} else if loadWasStopped {
		stopped = append(stopped, "load")
	}
	loadStopped := len(stopped)
	load := stopped[len(also):loadStopped]
	// One bound for everything HALT reverts: the faults and cordons first, the other engines' pauses
	// with what is left (at least 5 s, since pausing them is a revert too).
	ctx, cancel := context.WithTimeout(ctx, e.HaltBound())
	defer cancel()
	var err error
	if in != nil {
		rctx, rcancel := ctx, context.CancelFunc(func() {})
		if e.Engines != nil {
			rctx, rcancel = context.WithTimeout(ctx, max(e.HaltBound()-5*time.Second, e.HaltBound()/2))
		}
		var done []string
		done, err = in.RevertAll(rctx)
		rcancel()
		stopped = append(stopped, done...)
	}
	var others []string
	if e.Engines != nil {
		var oerr error
		others, oerr = e.Engines.Halt(ctx)
		err = errors.Join(err, oerr)
	}
	entry.Targets = append(stopped, others...)
	entry.Detail = haltDetail(also, load, stopped[loadStopped:])
	if len(others) > 0 {
		entry.Detail += "; other chaos engines: " + strings.Join(others, ", ")
	}
	return e.record(entry, err)
}

// DefaultRevertTimeout is how long HALT's reverts may take in all when nothing sets it.
const DefaultRevertTimeout = 30 * time.Second

// HaltBound is how long HALT's reverts may take in all (safety.revertTimeout).
func (e *Env) HaltBound() time.Duration {
	if e.RevertTimeout > 0 {
		return e.RevertTimeout
	}
	return DefaultRevertTimeout
}

// haltDetail says what HALT did: the monkey and load are stopped, faults are reverted.
func haltDetail(also, load, reverted []string) string {
	var parts []string
	for _, a := range also {
		parts = append(parts, "stopped the "+a)
	}
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
