package sources

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
)

// ErrorMsg reports a source failure (including a recovered panic) for the status line.
type ErrorMsg struct {
	Source string
	Err    string `json:"err,omitempty"` // the error as text: events cross the bus and recordings as JSON
}

// Forwarder is the one path from source goroutines into the UI program. Sources Send into a buffered
// channel; a single goroutine delivers to the program, so a slow frame never blocks a source for long
// and the program sees messages in one order.
type Forwarder struct {
	ch chan any
	wg sync.WaitGroup
}

// NewForwarder makes a forwarder with room for buf pending messages.
func NewForwarder(buf int) *Forwarder { return &Forwarder{ch: make(chan any, buf)} }

// Send queues msg, waiting only while the buffer is full and ctx is live.
func (f *Forwarder) Send(ctx context.Context, msg any) bool {
	select {
	case f.ch <- msg:
		return true
	case <-ctx.Done():
		return false
	}
}

// Run delivers queued messages to deliver (tea.Program.Send) until ctx ends.
func (f *Forwarder) Run(ctx context.Context, deliver func(any)) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-f.ch:
			deliver(m)
		}
	}
}

// Go runs fn in a goroutine of the named source. A panic is recovered and reported as an ErrorMsg
// instead of taking the terminal down with a stack trace.
func (f *Forwarder) Go(ctx context.Context, name string, fn func(ctx context.Context)) {
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		defer func() {
			if r := recover(); r != nil {
				f.Send(ctx, ErrorMsg{Source: name, Err: fmt.Sprintf("internal error (recovered panic): %v\n%s", r, firstFrames(debug.Stack()))})
			}
		}()
		fn(ctx)
	}()
}

// Wait blocks until every goroutine started with Go has returned.
func (f *Forwarder) Wait() { f.wg.Wait() }

// firstFrames keeps the start of a stack so the journal can hold it without flooding the screen.
func firstFrames(stack []byte) string {
	const max = 2000
	if len(stack) > max {
		return string(stack[:max]) + "..."
	}
	return string(stack)
}
