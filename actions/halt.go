package actions

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

func init() {
	register(Spec{Name: "halt", Order: 70, Key: "halt", Keys: []string{"x", "ctrl+x"}, Command: "halt", Help: "HALT",
		CommandHelp: "stop all load, revert everything injected (never asks)", Marker: "HALT", Halts: true,
		Plan: func(_ *Env, _ World, args string) (Step, error) {
			if args != "" {
				return Step{}, fmt.Errorf("%q: halt takes no arguments", args)
			}
			return Step{Action: "halt", Summary: "HALT"}, nil
		},
		Run: func(ctx context.Context, x Exec, _ Step) (Result, error) { return x.Env.Halt(ctx, x.Injected) }})
}

// Halt stops all load and reverts everything injected. It asks nothing and is never refused. also
// names what the caller stopped before (the chaos monkey), for the journal.
func (e *Env) Halt(ctx context.Context, in *Injected, also ...string) (Result, error) {
	entry := Entry{Time: e.now(), Context: e.Context, User: e.User, Action: "halt"}
	stopped := append([]string(nil), also...)
	if e.Load != nil && e.Load.Status().Active {
		e.Load.Stop()
		stopped = append(stopped, "load")
	}
	loadStopped := len(stopped)
	load := stopped[len(also):loadStopped]
	var err error
	if in != nil {
		ctx, cancel := context.WithTimeout(ctx, e.timeout())
		defer cancel()
		var done []string
		done, err = in.RevertAll(ctx)
		stopped = append(stopped, done...)
	}
	var others []string
	if e.Engines != nil {
		ctx, cancel := context.WithTimeout(ctx, e.timeout())
		defer cancel()
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
