package screen

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"
	"golang.org/x/sys/unix"
)

// Terminal is the tty the cockpit runs on. With tea.WithoutRenderer Bubble Tea neither enters raw
// mode nor watches the window size, so the terminal does both: raw input (keys arrive one by one
// and are parsed by Bubble Tea), and a WindowSizeMsg on start and on every SIGWINCH.
type Terminal struct {
	in, out *os.File
	saved   *term.State
}

// Open puts in into raw mode. The caller has checked that in and out are terminals (gameday says so
// before it connects to anything).
func Open(in, out *os.File) (*Terminal, error) {
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

// Stderr holds what the process writes to stderr while the cockpit owns the screen: client-go's
// warnings or Bubble Tea's report of a panic would land on top of the frame, and a panic's report
// would vanish with the alternate screen. Release puts stderr back and returns what was written, for
// printing once the terminal is restored.
type Stderr struct {
	saved int
	r     *os.File
	done  chan struct{}
	mu    sync.Mutex
	buf   []byte
}

// stderrKeep bounds what is kept: the last 64 KiB.
const stderrKeep = 64 << 10

// CaptureStderr points file descriptor 2 at a pipe until Release.
func CaptureStderr() (*Stderr, error) {
	saved, err := unix.Dup(2)
	if err != nil {
		return nil, fmt.Errorf("stderr: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		_ = unix.Close(saved)
		return nil, fmt.Errorf("stderr: %w", err)
	}
	if err := unix.Dup2(int(w.Fd()), 2); err != nil {
		_ = unix.Close(saved)
		_ = r.Close()
		_ = w.Close()
		return nil, fmt.Errorf("stderr: %w", err)
	}
	_ = w.Close() // fd 2 is now the only write end: Release closing it ends the reader
	s := &Stderr{saved: saved, r: r, done: make(chan struct{})}
	go s.read()
	return s, nil
}

func (s *Stderr) read() {
	defer close(s.done)
	b := make([]byte, 4096)
	for {
		n, err := s.r.Read(b)
		s.mu.Lock()
		s.buf = append(s.buf, b[:n]...)
		if len(s.buf) > stderrKeep {
			s.buf = append(s.buf[:0], s.buf[len(s.buf)-stderrKeep:]...)
		}
		s.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// Release restores stderr and returns what was written to it meanwhile.
func (s *Stderr) Release() string {
	if s.r == nil {
		return ""
	}
	_ = unix.Dup2(s.saved, 2)
	_ = unix.Close(s.saved)
	select {
	case <-s.done:
	case <-time.After(time.Second): // a child process may still hold the pipe
	}
	_ = s.r.Close()
	s.r = nil
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.buf)
}
