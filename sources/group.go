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

// Send is how a source delivers an event; false means the session is closing.
type Send func(ctx context.Context, msg any) bool

// Group runs the sources' goroutines. A panic in one is recovered and reported as an ErrorMsg instead
// of taking the terminal (or a headless run) down with a stack trace.
type Group struct {
	send Send
	wg   sync.WaitGroup
}

// NewGroup makes a group whose recovered panics are reported through send.
func NewGroup(send Send) *Group { return &Group{send: send} }

// Go runs fn in a goroutine of the named source.
func (g *Group) Go(ctx context.Context, name string, fn func(ctx context.Context)) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		defer func() {
			if r := recover(); r != nil {
				g.send(ctx, ErrorMsg{Source: name, Err: fmt.Sprintf("internal error (recovered panic): %v\n%s", r, firstFrames(debug.Stack()))})
			}
		}()
		fn(ctx)
	}()
}

// Wait blocks until every goroutine started with Go has returned.
func (g *Group) Wait() { g.wg.Wait() }

// firstFrames keeps the start of a stack so the journal can hold it without flooding the screen.
func firstFrames(stack []byte) string {
	const max = 2000
	if len(stack) > max {
		return string(stack[:max]) + "..."
	}
	return string(stack)
}
