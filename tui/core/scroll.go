package core

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/gamedaylab/gameday/tui/keys"
)

// Scroller is the cursor and viewport of a list that renders only its visible rows. Every list pane
// uses it, so they all move the same way.
type Scroller struct {
	Cursor int
	Offset int
	N      int // number of rows
	Height int // visible rows
}

// SetN sets the row count and keeps the cursor in range.
func (s *Scroller) SetN(n int) {
	s.N = n
	s.clamp()
}

// SetHeight sets the number of visible rows.
func (s *Scroller) SetHeight(h int) {
	s.Height = h
	s.clamp()
}

// Move moves the cursor by d rows.
func (s *Scroller) Move(d int) {
	s.Cursor += d
	s.clamp()
}

// Top moves to the first row.
func (s *Scroller) Top() { s.Cursor = 0; s.clamp() }

// Bottom moves to the last row.
func (s *Scroller) Bottom() { s.Cursor = s.N - 1; s.clamp() }

// AtBottom reports whether the cursor is on the last row.
func (s *Scroller) AtBottom() bool { return s.Cursor >= s.N-1 }

// Visible is the half-open range of rows to render.
func (s *Scroller) Visible() (from, to int) {
	to = s.Offset + s.Height
	if to > s.N {
		to = s.N
	}
	return s.Offset, to
}

func (s *Scroller) clamp() {
	if s.Cursor >= s.N {
		s.Cursor = s.N - 1
	}
	if s.Cursor < 0 {
		s.Cursor = 0
	}
	if s.Height <= 0 {
		s.Offset = 0
		return
	}
	if s.Cursor < s.Offset {
		s.Offset = s.Cursor
	}
	if s.Cursor >= s.Offset+s.Height {
		s.Offset = s.Cursor - s.Height + 1
	}
	if max := s.N - s.Height; s.Offset > max {
		s.Offset = max
	}
	if s.Offset < 0 {
		s.Offset = 0
	}
}

// HandleKey applies the navigation keys; it reports whether the key moved the cursor.
func (s *Scroller) HandleKey(k *keys.Map, msg tea.KeyPressMsg) bool {
	switch {
	case key.Matches(msg, k.Up):
		s.Move(-1)
	case key.Matches(msg, k.Down):
		s.Move(1)
	case key.Matches(msg, k.PageUp):
		s.Move(-max(s.Height-1, 1))
	case key.Matches(msg, k.PageDown):
		s.Move(max(s.Height-1, 1))
	case key.Matches(msg, k.Top):
		s.Top()
	case key.Matches(msg, k.Bottom):
		s.Bottom()
	default:
		return false
	}
	return true
}
