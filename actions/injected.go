package actions

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Reverter undoes something the cockpit injected (a fault, a cordon). HALT and exit call every one.
type Reverter interface {
	Describe() string
	Revert(ctx context.Context) error
}

// Injected is the set of things to revert on HALT and on exit.
type Injected struct {
	mu    sync.Mutex
	items []injected // in the order injected
	next  uint64
}

// injected is one thing to revert and when it was injected (its place in the order, which a revert
// that fails must not lose).
type injected struct {
	seq uint64
	r   Reverter
}

// Add registers something to revert later.
func (in *Injected) Add(r Reverter) {
	in.mu.Lock()
	in.next++
	in.items = append(in.items, injected{in.next, r})
	in.mu.Unlock()
}

// restore puts back what failed to revert, each in its place.
func (in *Injected) restore(failed []injected) {
	if len(failed) == 0 {
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.items = append(in.items, failed...)
	slices.SortFunc(in.items, func(a, b injected) int { return cmp.Compare(a.seq, b.seq) })
}

// forget drops what keep says is no longer injected (a fault reverted by hand).
func (in *Injected) forget(keep func(Reverter) Reverter) {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := in.items[:0]
	for _, it := range in.items {
		if it.r = keep(it.r); it.r != nil {
			out = append(out, it)
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

// RevertAll reverts everything, newest first, and forgets what reverted cleanly. Within ctx's
// deadline each revert gets an equal share of the time left, so one that hangs leaves the others
// theirs.
func (in *Injected) RevertAll(ctx context.Context) ([]string, error) {
	in.mu.Lock()
	items := in.items
	in.items = nil
	in.mu.Unlock()
	var done []string
	var errs []error
	var failed []injected
	for i := len(items) - 1; i >= 0; i-- {
		ictx, cancel := ctx, context.CancelFunc(func() {})
		if dl, ok := ctx.Deadline(); ok {
			ictx, cancel = context.WithTimeout(ctx, time.Until(dl)/time.Duration(i+1))
		}
		err := items[i].r.Revert(ictx)
		cancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("revert %s: %w", items[i].r.Describe(), err))
			failed = append(failed, items[i])
			continue
		}
		done = append(done, items[i].r.Describe())
	}
	in.restore(failed)
	return done, errors.Join(errs...)
}

// expiring is a Reverter that ends by itself (an Istio fault's duration).
type expiring interface {
	Expires() time.Time
	ID() string
}

// Active is one injected thing as the header shows it.
type Active struct {
	ID       string
	Describe string
	Expires  time.Time // zero: until HALT or exit
}

// Pending describes what is still injected (not reverted), oldest first: what a stop that was cut
// short leaves behind.
func (in *Injected) Pending() []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make([]string, 0, len(in.items))
	for _, it := range in.items {
		out = append(out, it.r.Describe())
	}
	return out
}

// Active lists what is injected, oldest first.
func (in *Injected) Active() []Active {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make([]Active, 0, len(in.items))
	for _, it := range in.items {
		r := it.r
		a := Active{Describe: r.Describe()}
		if x, ok := r.(expiring); ok {
			a.ID, a.Expires = x.ID(), x.Expires()
		}
		out = append(out, a)
	}
	return out
}

// RevertWhere reverts the items pick selects (newest first) and forgets those that reverted.
func (in *Injected) RevertWhere(ctx context.Context, pick func(Reverter) bool) ([]string, error) {
	in.mu.Lock()
	var chosen []injected
	kept := in.items[:0:0]
	for _, it := range in.items {
		if pick(it.r) {
			chosen = append(chosen, it)
		} else {
			kept = append(kept, it)
		}
	}
	in.items = kept
	in.mu.Unlock()
	var done []string
	var errs []error
	var failed []injected
	for i := len(chosen) - 1; i >= 0; i-- {
		if err := chosen[i].r.Revert(ctx); err != nil {
			errs = append(errs, fmt.Errorf("revert %s: %w", chosen[i].r.Describe(), err))
			failed = append(failed, chosen[i])
			continue
		}
		done = append(done, chosen[i].r.Describe())
	}
	in.restore(failed)
	return done, errors.Join(errs...)
}

// Expired reports whether anything's duration is over at now.
func (in *Injected) Expired(now time.Time) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, it := range in.items {
		if x, ok := it.r.(expiring); ok && !x.Expires().IsZero() && !now.Before(x.Expires()) {
			return true
		}
	}
	return false
}

// RevertExpired reverts what has outlived its duration and journals each as fault-expired.
func (e *Env) RevertExpired(ctx context.Context, in *Injected) ([]Result, error) {
	now := e.now()
	if in == nil || !in.Expired(now) {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout())
	defer cancel()
	var out []Result
	var errs []error
	in.mu.Lock()
	var due []Reverter
	for _, it := range in.items {
		if x, ok := it.r.(expiring); ok && !x.Expires().IsZero() && !now.Before(x.Expires()) {
			due = append(due, it.r)
		}
	}
	in.mu.Unlock()
	for _, r := range due {
		done, err := in.RevertWhere(ctx, func(x Reverter) bool { return x == r })
		entry := Entry{Time: e.now(), Context: e.Context, User: e.User, Action: FaultExpired, Targets: []string{r.Describe()},
			Detail: "its duration ended; reverted " + strings.Join(done, ", ")}
		if x, ok := r.(expiring); ok {
			entry.Targets = append(entry.Targets, "fault/"+x.ID())
		}
		res, jerr := e.record(entry, err)
		out = append(out, res)
		errs = append(errs, jerr)
	}
	return out, errors.Join(errs...)
}
