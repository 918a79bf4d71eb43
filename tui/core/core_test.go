package core

import (
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
)

func TestScroller(t *testing.T) {
	s := Scroller{}
	s.SetN(100)
	s.SetHeight(10)
	s.Move(15)
	if from, to := s.Visible(); s.Cursor != 15 || from != 6 || to != 16 {
		t.Fatalf("cursor %d visible %d-%d", s.Cursor, from, to)
	}
	s.Bottom()
	if from, to := s.Visible(); from != 90 || to != 100 || !s.AtBottom() {
		t.Fatalf("bottom: %d-%d", from, to)
	}
	s.SetN(5)
	if s.Cursor != 4 {
		t.Fatalf("shrink keeps cursor in range: %d", s.Cursor)
	}
	s.SetN(0)
	if from, to := s.Visible(); from != 0 || to != 0 {
		t.Fatal("empty")
	}
}

func TestFitColumnsDropsByPriority(t *testing.T) {
	cols := []Col{{Title: "NAME", Flex: true}, {Title: "A", W: 10}, {Title: "B", W: 10, Prio: 2}, {Title: "C", W: 10, Prio: 1}}
	c := FitColumns(45, 20, cols...)
	if !c.Shown(1) || c.Shown(2) || !c.Shown(3) || c.Widths[0] != 25 {
		t.Fatalf("%v", c.Widths)
	}
	if w := ansi.StringWidth(c.Row("x", "y", "z", "w")); w != 45 {
		t.Fatalf("row width %d", w)
	}
}

func TestFrameIsExactSize(t *testing.T) {
	st := testStyles()
	out := Frame(st, "A very long title that does not fit", "line one is much too long for this box\nb", 20, 5, true)
	lines := splitLines(out)
	if len(lines) != 5 {
		t.Fatalf("%d lines", len(lines))
	}
	for _, l := range lines {
		if ansi.StringWidth(l) != 20 {
			t.Fatalf("line %q is %d wide", ansi.Strip(l), ansi.StringWidth(l))
		}
	}
}

func TestAgeAndClock(t *testing.T) {
	cases := map[time.Duration]string{5 * time.Second: "5s", 3*time.Minute + 2*time.Second: "3m2s", 45 * time.Minute: "45m",
		2*time.Hour + 5*time.Minute: "2h5m", 50 * time.Hour: "2d2h", -time.Second: "0s"}
	for d, want := range cases {
		if got := Age(d); got != want {
			t.Errorf("Age(%s) = %s, want %s", d, got, want)
		}
	}
	if Clock(83*time.Second) != "T+01:23" || Clock(3723*time.Second) != "T+1:02:03" {
		t.Fatal(Clock(83*time.Second), Clock(3723*time.Second))
	}
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
