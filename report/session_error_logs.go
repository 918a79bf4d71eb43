package report

import (
	"sort"
	"strings"
	"time"

	"github.com/gamedaylab/gameday/sources"
)

type errorGroup struct {
	msg   string
	n     int
	first sources.LogLine
}

func (f *facts) errorsAround(t time.Time) []errorGroup {
	by := map[string]*errorGroup{}
	for _, l := range f.errors {
		if l.Time.Before(t.Add(-Around)) || l.Time.After(t.Add(Around)) {
			continue
		}
		msg := l.Msg
		if msg == "" {
			msg = l.Raw
		}
		msg = strings.Join(strings.Fields(msg), " ")
		if g := by[msg]; g != nil {
			g.n++
		} else {
			by[msg] = &errorGroup{msg: msg, n: 1, first: l}
		}
	}
	var out []errorGroup
	for _, g := range by {
		out = append(out, *g)
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].n != out[b].n {
			return out[a].n > out[b].n
		}
		return out[a].first.Time.Before(out[b].first.Time)
	})
	return out
}
