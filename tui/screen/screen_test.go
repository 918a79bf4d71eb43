package screen

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"
)

// tee records what the screen writes and plays it into a terminal emulator.
type tee struct {
	term *vt.Emulator
	last bytes.Buffer
}

func (t *tee) Write(p []byte) (int, error) {
	t.last.Write(p)
	return t.term.Write(p)
}

// shows returns the emulator's screen as plain lines.
func (t *tee) shows() []string {
	var out []string
	for y := 0; y < t.term.Height(); y++ {
		var sb strings.Builder
		for x := 0; x < t.term.Width(); x++ {
			c := t.term.CellAt(x, y)
			switch {
			case c == nil || c.Content == "":
				if c != nil && c.Width == 0 {
					continue // the tail of a wide character
				}
				sb.WriteByte(' ')
			default:
				sb.WriteString(c.Content)
			}
		}
		out = append(out, strings.TrimRight(sb.String(), " "))
	}
	return out
}

func plain(frame string, h int) []string {
	lines := strings.Split(ansi.Strip(frame), "\n")
	out := make([]string, h)
	for i := range out {
		if i < len(lines) {
			out[i] = strings.TrimRight(lines[i], " ")
		}
	}
	return out
}

func newTest(t *testing.T, w, h int, profile colorprofile.Profile) (*Screen, *tee) {
	t.Helper()
	term := &tee{term: vt.NewEmulator(w, h)}
	s := New(term, profile, "test")
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	return s, term
}

func draw(t *testing.T, s *Screen, term *tee, frame string, w, h int) {
	t.Helper()
	term.last.Reset()
	s.Set(frame, w, h)
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := term.shows(), plain(frame, h); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the terminal shows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A sequence of random frames (styled, with borders, wide characters, lines shorter and longer than
// the screen, fewer lines than the screen) always leaves the terminal showing the last one.
func TestTerminalShowsEveryFrame(t *testing.T) {
	const w, h = 40, 12
	s, term := newTest(t, w, h, colorprofile.TrueColor)
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"pod", "│", "╭─", "Running", "\x1b[38;2;200;10;10mred\x1b[m", "\x1b[1mbold\x1b[m", "日本", "…", "×", "  "}
	lines := make([]string, h)
	for i := range lines {
		lines[i] = strings.Repeat(".", w)
	}
	for frame := 0; frame < 300; frame++ {
		// Change a few lines, like a busy cockpit: most frames leave most lines alone.
		for range rng.IntN(4) {
			y := rng.IntN(h)
			var sb strings.Builder
			for ansi.StringWidth(sb.String()) < rng.IntN(w+10) {
				sb.WriteString(words[rng.IntN(len(words))])
			}
			lines[y] = ansi.Truncate(sb.String(), w, "")
		}
		n := h
		if rng.IntN(10) == 0 {
			n = rng.IntN(h) // a short frame: the rest of the screen must be blank
		}
		draw(t, s, term, strings.Join(lines[:n], "\n"), w, h)
		if n < h {
			draw(t, s, term, strings.Join(lines, "\n"), w, h)
		}
	}
}

func TestOnlyChangedLinesAreWritten(t *testing.T) {
	const w, h = 20, 5
	s, term := newTest(t, w, h, colorprofile.TrueColor)
	frame := []string{"one", "two", "three", "four", "five"}
	draw(t, s, term, strings.Join(frame, "\n"), w, h)
	frame[3] = "FOUR"
	draw(t, s, term, strings.Join(frame, "\n"), w, h)
	out := term.last.String()
	if !strings.Contains(out, "\x1b[4;1H") || strings.Count(out, "H") != 1 || strings.Contains(out, "three") {
		t.Fatalf("want only line 4 rewritten, wrote %q", out)
	}
	term.last.Reset()
	s.Set(strings.Join(frame, "\n"), w, h)
	if err := s.Flush(); err != nil || term.last.Len() != 0 {
		t.Fatalf("an unchanged frame wrote %q (%v)", term.last.String(), err)
	}
}

func TestResizeRedrawsEverything(t *testing.T) {
	s, term := newTest(t, 20, 5, colorprofile.TrueColor)
	draw(t, s, term, "a\nb\nc\nd\ne", 20, 5)
	term.term.Resize(10, 3)
	draw(t, s, term, "x\nb\nc", 10, 3)
	if !strings.Contains(term.last.String(), "\x1b[2J") {
		t.Fatal("a resize did not clear the screen")
	}
}

// A 256-colour terminal gets 256-colour sequences, not 24-bit ones it would show wrong.
func TestColoursAreConverted(t *testing.T) {
	s, term := newTest(t, 20, 2, colorprofile.ANSI256)
	draw(t, s, term, "\x1b[38;2;255;0;0mred\x1b[m\nplain", 20, 2)
	out := term.last.String()
	if strings.Contains(out, "38;2;") || !strings.Contains(out, "38;5;") {
		t.Fatalf("want a 256-colour sequence, wrote %q", out)
	}
}

func TestStopGivesTheTerminalBack(t *testing.T) {
	var out bytes.Buffer
	s := New(&out, colorprofile.TrueColor, "gameday")
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	start := out.String()
	for _, seq := range []string{enterAlt, hideCursor, wrapOff, "gameday"} {
		if !strings.Contains(start, seq) {
			t.Errorf("start did not write %q", seq)
		}
	}
	out.Reset()
	_ = s.Stop()
	_ = s.Stop()
	stop := out.String()
	for _, seq := range []string{leaveAlt, showCursor, wrapOn, pasteOff} {
		if strings.Count(stop, seq) != 1 {
			t.Errorf("stop (twice) wrote %q %d times, want once", seq, strings.Count(stop, seq))
		}
	}
	// Nothing is drawn once stopped (a late frame must not land on the user's shell).
	out.Reset()
	s.Set("late", 10, 2)
	_ = s.Flush()
	if out.Len() != 0 {
		t.Fatalf("drew after Stop: %q", out.String())
	}
}

// BenchmarkFlush is a 200x60 frame in which half the lines changed, the usual frame under churn.
func BenchmarkFlush(b *testing.B) {
	var out bytes.Buffer
	s := New(&out, colorprofile.ANSI256, "bench")
	_ = s.Start()
	lines := make([]string, 60)
	for i := range lines {
		lines[i] = fmt.Sprintf("│\x1b[38;5;110m%-198s\x1b[m│", fmt.Sprint("row ", i))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for y := 0; y < 60; y += 2 {
			lines[y] = fmt.Sprintf("│\x1b[38;5;110m%-198s\x1b[m│", fmt.Sprint("row ", y, " frame ", i))
		}
		out.Reset()
		s.Set(strings.Join(lines, "\n"), 200, 60)
		_ = s.Flush()
	}
}

// What is written to stderr while the cockpit owns the screen (client-go warnings, a panic's report)
// is kept and handed back, not drawn over the frame; afterwards stderr is the terminal again.
func TestStderrIsHeldWhileTheScreenIsOwned(t *testing.T) {
	var before syscall.Stat_t
	if err := syscall.Fstat(2, &before); err != nil {
		t.Fatal(err)
	}
	c, err := CaptureStderr()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(os.Stderr, "W1127 reflector.go:569: watch of *v1.Pod ended")
	_, _ = syscall.Write(2, []byte("Caught panic: boom\r\n"))
	got := c.Release()
	if !strings.Contains(got, "watch of *v1.Pod ended") || !strings.Contains(got, "Caught panic: boom") {
		t.Fatalf("held %q", got)
	}
	if again := c.Release(); again != "" {
		t.Fatalf("a second Release returned %q", again)
	}
	// fd 2 is the file it was before, not the pipe.
	var after syscall.Stat_t
	if err := syscall.Fstat(2, &after); err != nil {
		t.Fatal(err)
	}
	if after.Dev != before.Dev || after.Ino != before.Ino {
		t.Fatalf("stderr not restored: fd 2 is dev %d ino %d, was dev %d ino %d", after.Dev, after.Ino, before.Dev, before.Ino)
	}
}
