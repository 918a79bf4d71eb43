package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

// cores keeps the cockpit on one core while it only watches, and gives it every core for the first
// sync (thousands of objects to decode before the first full frame) and while it sends load.
// Watching (informers, the UI, the pollers) needs a few percent of one core; with two Ps the Go
// scheduler spent more CPU waking threads for each watch event (bench-cluster; numbers in
// docs/ARCHITECTURE.md). The load engine needs all cores at high rates. GOMAXPROCS in the environment wins.
type cores struct {
	all     int
	manual  bool
	mu      sync.Mutex
	runs    int  // load runs between their start and their end (a new one may start before the last ends)
	settled bool // the first sync is done: from now on, one core unless load runs
}

func newCores() *cores {
	return &cores{all: runtime.GOMAXPROCS(0), manual: os.Getenv("GOMAXPROCS") != ""}
}

// watching is called once the first sync is done: one core from then on, unless load runs.
func (c *cores) watching() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.settled = true
	c.apply()
}

// loadRun is the load engine's OnRun.
func (c *cores) loadRun(active bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if active {
		c.runs++
	} else if c.runs > 0 {
		c.runs--
	}
	c.apply()
}

func (c *cores) apply() {
	if c.manual {
		return
	}
	if c.settled && c.runs == 0 {
		runtime.GOMAXPROCS(1)
	} else {
		runtime.GOMAXPROCS(c.all)
	}
}

// tuneGC lets the heap grow to 3x the live data before a collection (GOGC=200) unless GOGC is set.
// The live heap is mostly the informer caches; the garbage is the watch stream's decoded objects.
// Under churn that trades a little RSS for less CPU (docs/ARCHITECTURE.md).
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
}

// watchPace is how long the informers' connection gathers watch events between reads once synced
// (kube.Pacer): longer saves CPU, shorter keeps event-to-screen latency low; the default keeps it well
// inside its budget (numbers in docs/ARCHITECTURE.md).
// GAMEDAY_WATCH_PACE (a Go duration, 0 turns it off) overrides it for measurements.
func watchPace() time.Duration {
	if v := os.Getenv("GAMEDAY_WATCH_PACE"); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d >= 0 {
			return d
		}
	}
	return 50 * time.Millisecond
}
