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
