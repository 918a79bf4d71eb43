// Package actions holds everything that changes the world: pod kills, scaling, load, HALT. Each action
// is planned first (a pure function: what exactly will be hit, what remains, whether the safety rules
// allow it), confirmed by the user, then run; it returns a plain Result carrying the journal entry that
// was written to disk before the result is shown. It knows no UI: the cockpit adapts results into
// messages, a headless runner reads them directly.
package actions

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/gamedaylab/gameday/model"
)

// Guard enforces the safety rules every destructive action respects.
type Guard struct {
	ReadOnly bool
	DryRun   bool
	Armed    bool
	// Protected namespaces are refused (kube-system and friends unless explicitly allowed).
	Protected map[string]bool
	// MinReady is the blast-radius floor: no action may leave the target with fewer ready pods
	// unless forced.
	MinReady int
	// Context is the kube context name; ProductionPatterns are globs that need --arm.
	Context            string
	ProductionPatterns []string
	// maxDisrupted caps the pods of a Deployment disrupted at once while an experiment whose
	// guard.maxDisrupted sets it runs: every action that takes ready pods (kill, a scale-down, a
	// drain, the monkey's kills) is refused past it, forced or not.
	maxDisrupted atomic.Pointer[Count]
}

// SetMaxDisrupted sets (nil: lifts) the cap on disrupted pods of a Deployment.
func (g *Guard) SetMaxDisrupted(c *Count) { g.maxDisrupted.Store(c) }

// CheckDisrupted refuses a plan that would leave more of its Deployment's desired pods disrupted
// (not ready before, or taken by the plan) than the cap allows: a count, or a share of desired
// rounded down.
func (g *Guard) CheckDisrupted(p Plan) error {
	if g == nil || p.Desired <= 0 || p.ReadyAfter >= p.ReadyBefore {
		return nil
	}
	c := g.maxDisrupted.Load()
	if c == nil {
		return nil
	}
	limit := c.N
	if c.Pct > 0 {
		limit = int(p.Desired) * c.Pct / 100
	}
	hit, down := p.ReadyBefore-p.ReadyAfter, max(0, int(p.Desired)-p.ReadyBefore)
	if hit+down <= limit {
		return nil
	}
	return refuse("%d of deploy/%s's %d pods would be disrupted (%d now not ready, %d by this action), above the experiment's guard.maxDisrupted (%d)",
		hit+down, p.Workload, p.Desired, down, hit, limit)
}

func refuse(format string, a ...any) error {
	return fmt.Errorf("%w: %s", model.ErrRefused, fmt.Sprintf(format, a...))
}

// IsProduction reports whether the context matches a production pattern.
func (g *Guard) IsProduction() bool {
	for _, p := range g.ProductionPatterns {
		if ok, _ := filepath.Match(p, g.Context); ok {
			return true
		}
	}
	return false
}

// Check applies the rules that do not depend on the blast radius: read-only, production contexts,
// protected namespaces.
func (g *Guard) Check(namespace string) error {
	if g == nil {
		return nil
	}
	if g.ReadOnly {
		return refuse("read-only mode (--read-only): no changes are made")
	}
	if g.IsProduction() && !g.Armed {
		return refuse("context %q matches a production pattern (%s): start with --arm to act on it",
			g.Context, strings.Join(g.ProductionPatterns, ", "))
	}
	if g.Protected[namespace] {
		return refuse("namespace %q is protected (allow it with safety.allowNamespaces in the config)", namespace)
	}
	return nil
}

// CheckRemaining applies the blast-radius floor.
func (g *Guard) CheckRemaining(readyAfter, readyBefore int, force bool) error {
	if g == nil || force || readyAfter >= g.MinReady || readyAfter >= readyBefore {
		return nil
	}
	return refuse("would leave %d ready of %d, below the minimum of %d (safety.minReadyReplicas); force with a trailing ! (e.g. 3!)",
		readyAfter, readyBefore, g.MinReady)
}

// Badges are the mode badges of the header, in display order.
func (g *Guard) Badges() []string {
	var b []string
	if g == nil {
		return b
	}
	if g.ReadOnly {
		b = append(b, "READ-ONLY")
	}
	if g.DryRun {
		b = append(b, "DRY-RUN")
	}
	if g.Armed {
		b = append(b, "ARMED")
	}
	return b
}
