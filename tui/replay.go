package tui

import (
	"fmt"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/gamedaylab/gameday/session"
	"github.com/gamedaylab/gameday/tui/core"
)

// onReplay follows the replay's position; after a seek the cockpit drops what it derived from the
// events before (markers, journal rows, the recovery counter): the state at the new moment follows
// on the bus.
func (m *Model) onReplay(st session.ReplayState) tea.Cmd {
	m.replay = st
	if !st.Seek {
		return nil
	}
	m.ctx.Markers.Reset()
	m.firstAction, m.recovering, m.recovered, m.markedSeq = time.Time{}, nil, "", 0
	if st.Truncated != "" && !m.truncatedSaid {
		m.truncatedSaid = true
		m.setStatus("the recording ends early (a crash or a cut copy): "+st.Truncated, true)
	}
	return tea.Batch(m.broadcast(core.ReplaySeekMsg{}), m.broadcast(core.MarkersChangedMsg{}))
}

// replayKey handles the replay's keys; false when msg is none of them (or this is no replay).
func (m *Model) replayKey(msg tea.KeyPressMsg) bool {
	p := m.sess.Replay
	if p == nil {
		return false
	}
	k := m.ctx.Keys
	if m.focus == core.PaneMetrics && key.Matches(msg, k.CursorLeft, k.CursorRight) {
		return false // on the graphs, ← and → move the cursor: seek from another pane
	}
	switch {
	case key.Matches(msg, k.Pause):
		p.Toggle()
	case key.Matches(msg, k.Back10):
		p.Seek(-10 * time.Second)
	case key.Matches(msg, k.Forward10):
		p.Seek(10 * time.Second)
	case key.Matches(msg, k.BackMinute):
		p.Seek(-time.Minute)
	case key.Matches(msg, k.ForwardMinute):
		p.Seek(time.Minute)
	case key.Matches(msg, k.Slower):
		p.Slower()
	case key.Matches(msg, k.Faster):
		p.Faster()
	case key.Matches(msg, k.NextMarker):
		if !p.NextMarker() {
			m.setStatus("no marker after this moment", false)
		}
	case key.Matches(msg, k.PrevMarker):
		if !p.PrevMarker() {
			m.setStatus("no marker before this moment", false)
		}
	default:
		return false
	}
	return true
}

// replayBadge is the header's REPLAY badge: play or pause, the speed and the recorded wall time.
func (m *Model) replayBadge(now time.Time) string {
	if m.sess.Replay == nil {
		return ""
	}
	st := m.replay
	mode := fmt.Sprintf("▶ %gx", st.Speed)
	switch {
	case st.Ended:
		mode = "end"
	case st.Paused:
		mode = fmt.Sprintf("❚❚ %gx", st.Speed)
	}
	cut := ""
	if st.Truncated != "" { // said for as long as the replay runs: the status line is soon overwritten
		cut = " cut short"
	}
	return m.ctx.Styles.BadgeDry.Render(fmt.Sprintf("REPLAY %s %s%s", mode, now.Local().Format("15:04:05"), cut))
}
