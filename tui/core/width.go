package core

import (
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Width is the number of terminal cells plain or styled text takes. It equals ansi.StringWidth,
// but text made of ASCII, SGR sequences and the few narrow symbols the cockpit draws (borders,
// braille charts, ×, –, …) is counted byte by byte: the grapheme walk cost about 10 % of
// gameday's CPU at 5,000 pods, and table cells almost never need it. Anything else takes the slow,
// exact path.
func Width(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= 0x20 && c < 0x7f:
			n++
			i++
		case c == 0x1b:
			j, ok := skipCSI(s, i)
			if !ok {
				return ansi.StringWidth(s)
			}
			i = j
		case c >= 0x80:
			r, size := utf8.DecodeRuneInString(s[i:])
			if !narrow(r) {
				return ansi.StringWidth(s)
			}
			n++
			i += size
		default:
			return ansi.StringWidth(s)
		}
	}
	return n
}

// skipCSI returns the index after the CSI sequence (ESC [ params final) starting at i.
func skipCSI(s string, i int) (int, bool) {
	if i+1 >= len(s) || s[i+1] != '[' {
		return 0, false
	}
	for j := i + 2; j < len(s); j++ {
		switch c := s[j]; {
		case c >= 0x40 && c <= 0x7e:
			return j + 1, true
		case c < 0x20 || c > 0x3f:
			return 0, false
		}
	}
	return 0, false
}

// narrow lists runes that are one cell wide on their own and never join the rune after them in a
// grapheme cluster; a rune outside the list sends Width to the exact path.
func narrow(r rune) bool {
	switch {
	case r >= 0xa1 && r <= 0xff && r != 0xad: // Latin-1 symbols (× · ±), not the soft hyphen
		return true
	case r >= 0x2010 && r <= 0x2027: // dashes, quotes, bullets, …
		return true
	case r >= 0x2190 && r <= 0x21ff: // arrows
		return true
	case r >= 0x2500 && r <= 0x259f: // box drawing and blocks
		return true
	case r >= 0x2800 && r <= 0x28ff: // braille (charts)
		return true
	}
	return false
}

// plainASCII reports whether s is printable ASCII only (so one byte is one cell).
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// truncate is ansi.Truncate(s, w, "…") with the same fast path as Width.
func truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if plainASCII(s) {
		if len(s) <= w {
			return s
		}
		return s[:w-1] + "…"
	}
	return ansi.Truncate(s, w, "…")
}

// spaces returns n spaces without allocating for the common widths.
func spaces(n int) string {
	if n <= 0 {
		return ""
	}
	if n <= len(blank) {
		return blank[:n]
	}
	return strings.Repeat(" ", n)
}

const blank = "                                                                                                                                                                                                        "
