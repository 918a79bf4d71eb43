package tui

import (
	"fmt"
	"time"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/themes"
)

// faultsBadge is FAULTS n with the time left of the one that ends first; each fault with its time
// left joins the optional extras, first.
func faultsBadge(st *themes.Styles, act []actions.Active, now time.Time, extras []string) (string, []string) {
	badge := fmt.Sprintf("FAULTS %d", len(act))
	var next time.Duration = -1
	var each []string
	for _, a := range act {
		if a.Expires.IsZero() {
			continue
		}
		left := max(a.Expires.Sub(now), 0)
		if next < 0 || left < next {
			next = left
		}
		each = append(each, st.Warn.Render(fmt.Sprintf("%s, %s left", a.Describe, timeLeft(left))))
	}
	if next >= 0 {
		badge += " " + timeLeft(next)
	}
	return st.BadgeFault.Render(badge), append(each, extras...)
}

// timeLeft is m:ss (h:mm:ss past an hour), rounded up: a fault never shows 0:00 while it is on.
func timeLeft(d time.Duration) string {
	secs := int((d + time.Second - 1) / time.Second)
	if secs >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", secs/3600, secs/60%60, secs%60)
	}
	return fmt.Sprintf("%d:%02d", secs/60, secs%60)
}

// otherEngines counts the other engines' experiments running in the namespace (not paused, not
// deleting) and those stuck deleting.
func (m *Model) otherEngines(now time.Time) (running, stuck int) {
	for _, x := range m.engines.List {
		if !x.Touches(m.ctx.Namespace) {
			continue
		}
		switch {
		case x.Stuck(now):
			stuck++
		case x.Paused || !x.Deleting.IsZero():
		default:
			running++
		}
	}
	return running, stuck
}
