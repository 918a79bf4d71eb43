package tui

import (
	"fmt"
	"runtime/debug"

	tea "charm.land/bubbletea/v2"

	"github.com/gamedaylab/gameday/sources"
)

// safe wraps a command so a panic in it becomes an error in the status line, not a crash. Batches
// are wrapped too, command by command, so nothing the model returns can take the terminal down.
func safe(cmd tea.Cmd) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return func() (msg tea.Msg) {
		defer func() {
			if r := recover(); r != nil {
				msg = sources.ErrorMsg{Source: "command", Err: fmt.Sprintf("internal error (recovered panic): %v\n%s", r, debug.Stack())}
			}
		}()
		msg = cmd()
		if b, ok := msg.(tea.BatchMsg); ok {
			for i := range b {
				b[i] = safe(b[i])
			}
		}
		return msg
	}
}
