package main

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

func TestCoresFollowLoadRuns(t *testing.T) {
	t.Setenv("GOMAXPROCS", "")
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	c := &cores{all: 4}
	runtime.GOMAXPROCS(4)
	c.loadRun(true) // a load started before the first sync
	c.watching()
	if n := runtime.GOMAXPROCS(0); n != 4 {
		t.Fatalf("sync done while load runs: GOMAXPROCS %d, want 4", n)
	}
	c.loadRun(false)
	if n := runtime.GOMAXPROCS(0); n != 1 {
		t.Fatalf("watching: GOMAXPROCS %d, want 1", n)
	}
	c.loadRun(true)
	c.loadRun(true)  // a new run started before the last one ended
	c.loadRun(false) // the old one ends
	if n := runtime.GOMAXPROCS(0); n != 4 {
		t.Fatalf("during a load run: GOMAXPROCS %d, want 4", n)
	}
	c.loadRun(false)
	if n := runtime.GOMAXPROCS(0); n != 1 {
		t.Fatalf("after the runs: GOMAXPROCS %d, want 1", n)
	}
	m := &cores{all: 4, manual: true}
	runtime.GOMAXPROCS(3)
	m.watching()
	m.loadRun(true)
	if n := runtime.GOMAXPROCS(0); n != 3 {
		t.Fatalf("GOMAXPROCS set by the user was changed to %d", n)
	}
}

// The cluster source's first full batch settles the cockpit (one core from then on, paced watch
// connection): the wiring from kube.Options.OnSynced to cores and pacer.
func TestFirstBatchSettlesTheCockpit(t *testing.T) {
	c := buildForTest(t, "--demo", "--journal", filepath.Join(t.TempDir(), "j.jsonl"))
	settled := func() bool {
		c.cores.mu.Lock()
		defer c.cores.mu.Unlock()
		return c.cores.settled
	}
	if settled() {
		t.Fatal("settled before anything ran")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.start(ctx, func(any) {})
	deadline := time.Now().Add(5 * time.Second)
	for !settled() {
		if time.Now().After(deadline) {
			t.Fatal("the first batch did not settle the cockpit (OnSynced not wired)")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
