package tui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gamedaylab/gameday/actions"
)

// trackRecovery follows kills until their recovery is measured: a kill starts a counter, its
// recovery ends it with the result (or says it did not recover).
func (m *Model) trackRecovery(r actions.Result) {
	e := r.Entry
	switch {
	case r.Timed:
		m.recovering = append(m.recovering, e)
	case e.Action == actions.Recovery:
		for i, k := range m.recovering {
			if slices.Equal(k.Targets, e.Targets) {
				m.recovering = slices.Delete(m.recovering, i, i+1)
				break
			}
		}
		m.recovered, m.recoveredAt = "recovered in "+e.Recovery, time.Now()
		if r.Err != "" {
			m.recovered = "NOT recovered: " + firstLine(r.Err)
		}
	}
}

// recoveryHold is how long (wall time) the header keeps the last recovery's result.
const recoveryHold = 30 * time.Second

// recoveryBadge counts a kill's recovery as it runs ("recovering 00:04", on the session's clock, as
// the result is measured) and then holds the result.
func (m *Model) recoveryBadge(now time.Time) string {
	st := m.ctx.Styles
	if n := len(m.recovering); n > 0 {
		d := max(now.Sub(m.recovering[0].Time), 0)
		txt := fmt.Sprintf("recovering %02d:%02d", int(d.Minutes()), int(d.Seconds())%60)
		if n > 1 {
			txt += fmt.Sprintf(" (%d kills)", n)
		}
		return st.Warn.Render(txt)
	}
	if m.recovered != "" && time.Since(m.recoveredAt) < recoveryHold {
		if strings.HasPrefix(m.recovered, "NOT") {
			return st.Err.Render(m.recovered)
		}
		return st.OK.Render(m.recovered)
	}
	return ""
}
