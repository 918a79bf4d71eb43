package tui

import "github.com/gamedaylab/gameday/tui/core"

// MinWidth and MinHeight are the smallest terminal the cockpit draws in.
const (
	MinWidth  = 80
	MinHeight = 24
)

// Rect is a pane's place on the screen (outer size, border included).
type Rect struct{ X, Y, W, H int }

// Layout places the five panes in the body area (below the header, above the footer).
//
// Wide (>= 110 columns): Workload | Metrics on top, Traces | Logs | Events below.
// Narrow: Workload | Metrics, then Logs across the width, then Traces | Events.
func Layout(w, h int) [core.NumPanes]Rect {
	var r [core.NumPanes]Rect
	if w >= 110 {
		top := h * 52 / 100
		bot := h - top
		lw := w * 44 / 100
		r[core.PaneWorkload] = Rect{0, 0, lw, top}
		r[core.PaneMetrics] = Rect{lw, 0, w - lw, top}
		tw := w * 30 / 100
		ew := w * 30 / 100
		r[core.PaneTraces] = Rect{0, top, tw, bot}
		r[core.PaneLogs] = Rect{tw, top, w - tw - ew, bot}
		r[core.PaneEvents] = Rect{w - ew, top, ew, bot}
		return r
	}
	top := h * 48 / 100
	mid := (h - top) * 55 / 100
	bot := h - top - mid
	half := w / 2
	r[core.PaneWorkload] = Rect{0, 0, half, top}
	r[core.PaneMetrics] = Rect{half, 0, w - half, top}
	r[core.PaneLogs] = Rect{0, top, w, mid}
	r[core.PaneTraces] = Rect{0, top + mid, half, bot}
	r[core.PaneEvents] = Rect{half, top + mid, w - half, bot}
	return r
}
