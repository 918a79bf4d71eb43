package testbed

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

// Inbox records the messages a source delivers (its Send is the source's send function) so a test
// can wait for the one it expects.
type Inbox struct {
	mu   sync.Mutex
	msgs []any
}

// Send records m; it has the signature sources expect of their forwarder.
func (in *Inbox) Send(_ context.Context, m any) bool {
	in.mu.Lock()
	in.msgs = append(in.msgs, m)
	in.mu.Unlock()
	return true
}

// All is a copy of every message so far.
func (in *Inbox) All() []any {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]any(nil), in.msgs...)
}

// Wait polls until a message from index from on satisfies ok and returns how many messages there
// were then (the from of a next Wait); after timeout the test fails naming what.
func (in *Inbox) Wait(t testing.TB, timeout time.Duration, what string, ok func(any) bool, from int) int {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		all := in.All()
		for _, m := range all[min(from, len(all)):] {
			if ok(m) {
				return len(all)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s among %d messages after %s", what, len(all)-from, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Traffic sends rate GET requests/s to url, open loop (each in its own goroutine), until the test
// ends or the returned stop is called; stop waits for the sender.
func Traffic(t testing.TB, url string, rate int) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				go func() {
					if r, err := http.Get(url); err == nil {
						r.Body.Close()
					}
				}()
			}
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { close(done); wg.Wait() }) }
	t.Cleanup(stop)
	return stop
}
