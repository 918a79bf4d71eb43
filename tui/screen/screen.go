// Package screen draws the cockpit's frames on the terminal, line by line.
//
// Bubble Tea's own renderer parses every frame into cells (escape sequences, grapheme clusters,
// styles) and diffs all 12,000 cells of a 200x60 screen against the last frame. Under a busy cluster
// the cockpit draws ~10 frames a second and that renderer took a quarter of gameday's CPU. The
// cockpit's frame is already a fixed grid of lines, each exactly as wide as the terminal, so
// comparing lines as strings finds what changed at a fraction of the cost: only changed lines are
// written. The program runs with tea.WithoutRenderer: Bubble Tea still parses input and runs the
// event loop; raw mode and resizes are Terminal's, the alternate screen is Screen's.
package screen

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/colorprofile"
)

// Terminal sequences (xterm): alternate screen with saved cursor, cursor visibility, bracketed paste,
// synchronized output (ignored by terminals that lack it), window title.
const (
	enterAlt    = "\x1b[?1049h"
	leaveAlt    = "\x1b[?1049l"
	hideCursor  = "\x1b[?25l"
	showCursor  = "\x1b[?25h"
	wrapOff     = "\x1b[?7l" // a line longer than the screen is clipped, never wrapped onto the next
	wrapOn      = "\x1b[?7h"
	pasteOn     = "\x1b[?2004h"
	pasteOff    = "\x1b[?2004l"
	syncBegin   = "\x1b[?2026h"
	syncEnd     = "\x1b[?2026l"
	clearScreen = "\x1b[H\x1b[2J"
	eraseLine   = "\x1b[2K"
	resetStyle  = "\x1b[m"
)

// Screen holds the latest frame and what the terminal shows.
type Screen struct {
	out     io.Writer
	profile colorprofile.Profile
	title   string
	every   time.Duration

	mu      sync.Mutex
	next    string
	w, h    int
	pending bool
	wake    chan struct{}

	// Owned by the drawing side (Flush), under draw.
	draw   sync.Mutex
	shown  []string
	sw, sh int
	buf    bytes.Buffer
	conv   *colorprofile.Writer
	active bool
}

// New makes a screen writing to out. profile is the terminal's colour profile: frames are expected
// in it already (themes convert their palette), and a line with 24-bit colour is converted here.
func New(out io.Writer, profile colorprofile.Profile, title string) *Screen {
	s := &Screen{out: out, profile: profile, title: title, every: time.Second / 60, wake: make(chan struct{}, 1)}
	s.conv = &colorprofile.Writer{Forward: &s.buf, Profile: profile}
	return s
}

// Set records the frame to draw, w x h cells. It is called from View, so it does no I/O.
func (s *Screen) Set(frame string, w, h int) {
	s.mu.Lock()
	if frame == s.next && w == s.w && h == s.h {
		s.mu.Unlock()
		return
	}
	s.next, s.w, s.h, s.pending = frame, w, h, true
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Start takes over the terminal: alternate screen, hidden cursor, bracketed paste, title.
func (s *Screen) Start() error {
	s.draw.Lock()
	defer s.draw.Unlock()
	s.active = true
	s.shown = nil
	_, err := io.WriteString(s.out, enterAlt+hideCursor+wrapOff+pasteOn+"\x1b]2;"+s.title+"\x07"+clearScreen)
	return err
}

// Stop gives the terminal back as it was. It is safe to call more than once.
func (s *Screen) Stop() error {
	s.draw.Lock()
	defer s.draw.Unlock()
	if !s.active {
		return nil
	}
	s.active = false
	_, err := io.WriteString(s.out, resetStyle+pasteOff+wrapOn+showCursor+leaveAlt)
	return err
}

// Run draws the latest frame when one is set, at most 60 times a second, until ctx ends. It sleeps
// while nothing changes (no idle ticking).
func (s *Screen) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		}
		_ = s.Flush()
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.every):
		}
	}
}

// Flush draws the pending frame now: the whole screen after a resize, otherwise only the lines
// that differ from what the terminal shows.
func (s *Screen) Flush() error {
	s.mu.Lock()
	if !s.pending {
		s.mu.Unlock()
		return nil
	}
	frame, w, h := s.next, s.w, s.h
	s.pending = false
	s.mu.Unlock()

	s.draw.Lock()
	defer s.draw.Unlock()
	if !s.active || w <= 0 || h <= 0 {
		return nil
	}
	full := w != s.sw || h != s.sh || s.shown == nil
	if full {
		s.shown = make([]string, h)
		s.sw, s.sh = w, h
	}
	s.buf.Reset()
	s.buf.WriteString(syncBegin)
	if full {
		s.buf.WriteString(clearScreen)
	}
	n := 0
	for y := 0; y < h; y++ {
		line := ""
		if frame != "" {
			i := strings.IndexByte(frame, '\n')
			if i < 0 {
				line, frame = frame, ""
			} else {
				line, frame = frame[:i], frame[i+1:]
			}
		}
		if !full && line == s.shown[y] {
			continue
		}
		s.shown[y] = line
		n++
		// Erase first, then write: erasing after a line that fills the last column would erase
		// that column too (the cursor stays on it until the next character wraps).
		s.buf.WriteString("\x1b[")
		s.buf.WriteString(strconv.Itoa(y + 1))
		s.buf.WriteString(";1H" + eraseLine)
		s.writeLine(line)
		s.buf.WriteString(resetStyle)
	}
	if n == 0 && !full {
		return nil
	}
	s.buf.WriteString(syncEnd)
	_, err := s.out.Write(s.buf.Bytes())
	return err
}

// writeLine appends a line, converting 24-bit colours the terminal cannot show.
func (s *Screen) writeLine(line string) {
	if s.profile < colorprofile.TrueColor && (strings.Contains(line, "8;2;") || strings.Contains(line, ":2:")) {
		_, _ = s.conv.WriteString(line)
		return
	}
	s.buf.WriteString(line)
}
