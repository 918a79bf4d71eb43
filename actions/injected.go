package actions

import (
	"context"
	"errors"
	"fmt"
	"sync"
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
