package tui

import (
	"fmt"
	"io"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/gamedaylab/gameday/model"
)

// FrameTrace records, for benchmarks, when each pod change reached a rendered frame and when the first
// full frame was drawn. Records are buffered in View (no I/O there) and written from a command on
// the clock tick.
type FrameTrace struct {
	mu      sync.Mutex
	w       io.Writer
	Started time.Time // process start, for the time to the first full frame

	applied  []traceRec // applied to the model, not yet on a frame
	rendered []traceRec
	first    bool
}

type traceRec struct {
	key, op      string
	applied, frm time.Time
}

// NewFrameTrace writes to w.
func NewFrameTrace(w io.Writer, started time.Time) *FrameTrace {
	return &FrameTrace{w: w, Started: started}
}

func (t *FrameTrace) noteDelta(d *model.ClusterDelta) {
	now := time.Now()
	for i := range d.Pods {
		op := "upsert"
		if d.Pods[i].Terminating() {
			op = "terminating"
		}
		t.applied = append(t.applied, traceRec{key: d.Pods[i].Key(), op: op, applied: now})
	}
	for _, k := range d.PodsGone {
		t.applied = append(t.applied, traceRec{key: k, op: "gone", applied: now})
	}
}

// noteFrame is called at the end of a render.
func (t *FrameTrace) noteFrame(synced bool) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if synced && !t.first {
		t.first = true
		t.rendered = append(t.rendered, traceRec{op: "first-full-frame", applied: t.Started, frm: now})
	}
	for _, r := range t.applied {
		r.frm = now
		t.rendered = append(t.rendered, r)
	}
	t.applied = t.applied[:0]
}

// flush writes what was rendered since the last flush (run as a command).
func (t *FrameTrace) flush() tea.Cmd {
	return func() tea.Msg {
		t.mu.Lock()
		recs := t.rendered
		t.rendered = nil
		t.mu.Unlock()
		for _, r := range recs {
			fmt.Fprintf(t.w, "%s %s %d %d\n", r.op, r.key, r.applied.UnixNano(), r.frm.UnixNano())
		}
		return nil
	}
}

// Flush writes what is buffered now (at exit).
func (t *FrameTrace) Flush() { t.flush()() }
