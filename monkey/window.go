package monkey

import (
	"fmt"
	"strings"
	"time"
)

// Window is when kills may happen: days of the week and hours of the day in a time zone, like
// kube-monkey's run hours.
type Window struct {
	Days     [7]bool // indexed by time.Weekday
	From, To time.Duration
	Loc      *time.Location
}

var dayNames = map[string]time.Weekday{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}

// ParseWindow reads "Mon-Fri 09:00-17:00 Europe/Berlin" (days and zone optional: "09:00-17:00" is
// every day in UTC; "Mon,Wed 10:00-12:00").
func ParseWindow(s string) (Window, error) {
	w := Window{Loc: time.UTC}
	bad := func(why string) (Window, error) {
		return Window{}, fmt.Errorf("monkey.window %q: %s (e.g. \"Mon-Fri 09:00-17:00 Europe/Berlin\")", s, why)
	}
	f := strings.Fields(s)
	if len(f) == 0 {
		return bad("empty")
	}
	if !strings.Contains(f[0], ":") {
		for _, part := range strings.Split(strings.ToLower(f[0]), ",") {
			a, b, rng := strings.Cut(part, "-")
			da, ok1 := dayNames[a]
			db, ok2 := dayNames[b]
			if !ok1 || (rng && !ok2) {
				return bad("days are Mon..Sun, as Mon-Fri or Mon,Wed")
			}
			if !rng {
				db = da
			}
			for d := da; ; d = (d + 1) % 7 {
				w.Days[d] = true
				if d == db {
					break
				}
			}
		}
		f = f[1:]
	} else {
		w.Days = [7]bool{true, true, true, true, true, true, true}
	}
	if len(f) == 0 {
		return bad("want hours HH:MM-HH:MM")
	}
	a, b, ok := strings.Cut(f[0], "-")
	from, err1 := clock(a)
	to, err2 := clock(b)
	if !ok || err1 != nil || err2 != nil || to <= from {
		return bad("want hours HH:MM-HH:MM, the end after the start")
	}
	w.From, w.To = from, to
	if len(f) > 1 {
		loc, err := time.LoadLocation(f[1])
		if err != nil {
			return bad("unknown time zone " + f[1])
		}
		w.Loc = loc
	}
	if len(f) > 2 {
		return bad("too many fields")
	}
	return w, nil
}

func clock(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, err
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// Contains reports whether t falls in the window.
func (w Window) Contains(t time.Time) bool {
	t = t.In(w.Loc)
	if !w.Days[t.Weekday()] {
		return false
	}
	of := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second
	return of >= w.From && of < w.To
}
