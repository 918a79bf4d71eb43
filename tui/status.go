package tui

import (
	"strings"
	"time"
)

func (m *Model) setStatus(text string, isErr bool) {
	m.status, m.statusErr, m.statusAt = text, isErr, time.Now() // held for wall time: the demo's clock may run 20x
	m.statusBg = false
}

// backgroundStatus is a source's word (unreachable, retrying): it does not push away what a key or
// command just answered (the dots keep the source's state in view meanwhile).
func (m *Model) backgroundStatus(text string, isErr bool) {
	if m.status != "" && !m.statusBg && time.Since(m.statusAt) < userStatusHold {
		return
	}
	m.setStatus(text, isErr)
	m.statusBg = true
}

// userStatusHold is how long an answer to a person's key holds the status line against sources.
const userStatusHold = 5 * time.Second

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
