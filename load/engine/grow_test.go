package engine

import (
	"testing"
	"time"

	"github.com/gamedaylab/gameday/load"
)

// TestGrowthStopsWhenItBuysNothing: the pool grows under Little's law only while growing raises
// throughput, and at once when the server completes nothing (a stall).
func TestGrowthStopsWhenItBuysNothing(t *testing.T) {
	r := &run{e: &Engine{opts: Options{MaxWorkers: 4096}}}
	pool := 32
	w := &svcWindow{}
	window := func(completions int64, mean time.Duration) {
		w.at = w.at.Add(-100 * time.Millisecond) // the window has passed
		r.svcN.Add(completions)
		r.svcNs.Add(completions * int64(mean))
	}
	if n := r.growBy(10000, pool, w); n != 0 {
		t.Fatalf("first look: grow %d, want 0 (no measurement yet)", n)
	}
	window(1000, 10*time.Millisecond) // 10,000/s at 10 ms: Little says 100 busy, cap 232
	if n := r.growBy(10000, pool, w); n != 8 {
		t.Fatalf("pool 32 below need %.0f: grow %d, want 8", w.need, n)
	}
	pool += 8
	if n := r.growBy(10000, pool, w); n != 0 {
		t.Fatalf("same window: grow %d, want 0", n)
	}
	window(1000, 20*time.Millisecond) // more workers, same throughput, slower: CPU-bound
	if n := r.growBy(10000, pool, w); n != 0 {
		t.Fatalf("growth bought no throughput: grow %d, want 0 (hold)", n)
	}
	window(1300, 20*time.Millisecond)
	if n := r.growBy(10000, pool, w); n != 0 {
		t.Fatalf("holding: grow %d, want 0", n)
	}
	w.holdTil = time.Time{}
	window(1300, 20*time.Millisecond)
	if n := r.growBy(10000, pool, w); n != 10 {
		t.Fatalf("after the hold: grow %d, want 10 (a quarter of 40)", n)
	}
	pool = 500
	window(1300, 20*time.Millisecond) // need = 10000 x 20 ms x 2 + 32 = 432 < 500
	if n := r.growBy(10000, pool, w); n != 0 {
		t.Fatalf("pool above Little's need: grow %d, want 0", n)
	}
	window(0, 0) // a stall: nothing completes
	for i := 0; i < 3; i++ {
		if n := r.growBy(10000, pool, w); n != 8 {
			t.Fatalf("stalled server, call %d: grow %d, want 8", i, n)
		}
	}
}

// TestServiceLatencyLeavesOutGeneratorQueueing: with too few workers for the rate, the latency from
// the intended send shows the wait; the latency from the actual send (vegeta's and k6's definition)
// does not, and both survive a merge.
func TestServiceLatencyLeavesOutGeneratorQueueing(t *testing.T) {
	if testing.Short() {
		t.Skip("a 4-8 s timing run: make test runs it; make unit (-short) is the fast loop")
	}
	s := newServer(t)
	s.setDelay(func(int64) time.Duration { return 10 * time.Millisecond })
	e, err := New(Options{Targets: []Target{{URL: s.URL}}, MaxWorkers: 2})
	if err != nil {
		t.Fatal(err)
	}
	res := runFor(t, e, load.Profile{Name: "t", Kind: load.Constant, Rate: 400, Duration: 2 * time.Second})
	if res.Latency.P99 < 300*time.Millisecond {
		t.Fatalf("2 workers x 10 ms cannot serve 400/s: intended-time p99 %s should show the queue", res.Latency.P99)
	}
	if s := res.ServiceLatency; s.P99 < 10*time.Millisecond || s.P99 > 60*time.Millisecond {
		t.Fatalf("from-send p99 %s, the server takes 10 ms", s.P99)
	}
	shipped, err := res.WithHistogram()
	if err != nil {
		t.Fatal(err)
	}
	m, err := Merge([]Result{shipped, shipped})
	if err != nil {
		t.Fatal(err)
	}
	if m.ServiceLatency.P99 != res.ServiceLatency.P99 || m.Latency.P99 != res.Latency.P99 {
		t.Fatalf("merge changed p99s: %s/%s vs %s/%s", m.Latency.P99, m.ServiceLatency.P99, res.Latency.P99, res.ServiceLatency.P99)
	}
	t.Logf("intended-time p99 %s, from-send p99 %s", res.Latency.P99, res.ServiceLatency.P99)
}
