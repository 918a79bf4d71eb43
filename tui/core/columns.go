package core

import "strings"

// Col is a table column. Prio orders which columns survive a narrow pane (0 = always); Flex marks
// the one column that takes the width left over (the name).
type Col struct {
	Title string
	W     int
	Right bool
	Prio  int
	Flex  bool
}

// Columns is a table layout fitted to a width: hidden columns get width 0.
type Columns struct {
	Cols   []Col
	Widths []int
}

// FitColumns keeps columns by priority while the flex column keeps at least minFlex cells, then gives
// the flex column the rest.
func FitColumns(w, minFlex int, cols ...Col) Columns {
	widths := make([]int, len(cols))
	used := 0
	flex := -1
	for i, c := range cols {
		if c.Flex {
			flex = i
		}
	}
	for prio := 0; prio <= 10; prio++ {
		for i, c := range cols {
			if c.Flex || c.Prio != prio {
				continue
			}
			if used+c.W+minFlex <= w || prio == 0 {
				widths[i] = c.W
				used += c.W
			}
		}
	}
	if flex >= 0 {
		widths[flex] = max(w-used, 1)
	}
	return Columns{Cols: cols, Widths: widths}
}

// Row lays out cell texts (plain) in the fitted columns.
func (c Columns) Row(cells ...string) string {
	var sb strings.Builder
	for i, w := range c.Widths {
		if w == 0 || i >= len(cells) {
			continue
		}
		// One cell of gap after every column, so neighbours never touch.
		if c.Cols[i].Right {
			sb.WriteString(PadLeft(cells[i], w-1) + " ")
		} else {
			sb.WriteString(Pad(cells[i], w-1) + " ")
		}
	}
	return sb.String()
}

// Header is the row of titles.
func (c Columns) Header() string {
	titles := make([]string, len(c.Cols))
	for i, col := range c.Cols {
		titles[i] = col.Title
	}
	return c.Row(titles...)
}

// Shown reports whether column i is visible.
func (c Columns) Shown(i int) bool { return c.Widths[i] > 0 }
