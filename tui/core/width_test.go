package core

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// Every rune the fast path counts as one cell must be one cell for ansi.StringWidth too, alone and
// next to others, or Width would misalign every table.
func TestWidthMatchesAnsiForTheNarrowRunes(t *testing.T) {
	n := 0
	for r := rune(0); r < 0x3000; r++ {
		if !narrow(r) {
			continue
		}
		n++
		s := string(r)
		if got, want := Width(s), ansi.StringWidth(s); got != want {
			t.Fatalf("Width(%U) = %d, ansi.StringWidth = %d", r, got, want)
		}
		s = "a" + s + string(r) + "\x1b[1mb\x1b[m"
		if got, want := Width(s), ansi.StringWidth(s); got != want {
			t.Fatalf("Width(%q) = %d, ansi.StringWidth = %d", s, got, want)
		}
	}
	if n < 400 {
		t.Fatalf("only %d runes took the fast path", n)
	}
}

func TestWidthMatchesAnsi(t *testing.T) {
	for _, s := range widthCorpus {
		if got, want := Width(s), ansi.StringWidth(s); got != want {
			t.Errorf("Width(%q) = %d, ansi.StringWidth = %d", s, got, want)
		}
	}
}

func TestTruncateMatchesAnsi(t *testing.T) {
	for _, s := range widthCorpus {
		for w := 0; w < 12; w++ {
			if got, want := truncate(s, w), ansi.Truncate(s, w, "…"); got != want && w > 0 {
				t.Errorf("truncate(%q, %d) = %q, ansi.Truncate = %q", s, w, got, want)
			}
		}
	}
}

var widthCorpus = []string{
	"", "a", "filler-85954d7d57-d9qpd", "× gone", "– 1m2s", "│ x │", "⣿⣀⠀ chart", "\x1b[38;2;1;2;3mred\x1b[m",
	"\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "日本語", "e\u0301", "👍🏽 ok", "a\tb", "⚡ fault", "ok ✓", "\x1b[", "\x1b[1", "x\x7f",
	"é", "ab\u00adcd", strings.Repeat("abc", 40),
}

func FuzzWidth(f *testing.F) {
	for _, s := range widthCorpus {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Width(s), ansi.StringWidth(s); got != want {
			t.Fatalf("Width(%q) = %d, ansi.StringWidth = %d", s, got, want)
		}
	})
}

func BenchmarkWidth(b *testing.B) {
	row := "  filler-85954d7d57-d9qpd   Running      1/1    0        12m3s   node-a-1    zone-a     "
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			Width(row)
		}
	})
	b.Run("ansi", func(b *testing.B) {
		for b.Loop() {
			ansi.StringWidth(row)
		}
	})
}
