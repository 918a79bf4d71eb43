package screen

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"
)

// Terminal is the tty the cockpit runs on. With tea.WithoutRenderer Bubble Tea neither enters raw
// mode nor watches the window size, so the terminal does both: raw input (keys arrive one by one
// and are parsed by Bubble Tea), and a WindowSizeMsg on start and on every SIGWINCH.
type Terminal struct {
	in, out *os.File
	saved   *term.State
}

// Open puts in into raw mode. in and out must be terminals.
func Open(in, out *os.File) (*Terminal, error) {
	if !term.IsTerminal(in.Fd()) || !term.IsTerminal(out.Fd()) {
		return nil, fmt.Errorf("not a terminal: the cockpit needs a TTY on stdin and stdout")
	}
	st, err := term.MakeRaw(in.Fd())
	if err != nil {
		return nil, fmt.Errorf("terminal raw mode: %w", err)
	}
	return &Terminal{in: in, out: out, saved: st}, nil
}

// Size is the terminal's size in cells.
func (t *Terminal) Size() (w, h int, err error) {
	w, h, err = term.GetSize(t.out.Fd())
	if err != nil {
		return 0, 0, fmt.Errorf("terminal size: %w", err)
	}
	return w, h, nil
}

// WatchSize sends a WindowSizeMsg whenever the window is resized, until ctx ends.
func (t *Terminal) WatchSize(ctx context.Context, send func(tea.Msg)) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGWINCH)
	defer signal.Stop(ch)
	for {
		select {
		case <-ctx.Done():
			return
		case <-ch:
			if w, h, err := t.Size(); err == nil {
				send(tea.WindowSizeMsg{Width: w, Height: h})
			}
		}
	}
}

// Restore gives the terminal its mode back.
func (t *Terminal) Restore() error {
	if t.saved == nil {
		return nil
	}
	err := term.Restore(t.in.Fd(), t.saved)
	t.saved = nil
	return err
}
