package session

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/gamedaylab/gameday/bus"
	"github.com/gamedaylab/gameday/recording"
	"github.com/gamedaylab/gameday/sources"
)

// Screen is the cockpit's terminal size, recorded so a replay knows what the facilitator saw.
type Screen struct {
	Width, Height int
}

// recorder is the bus subscriber that writes the session's recording.
type recorder struct {
	w      *recording.Writer
	sub    *bus.Sub
	cancel context.CancelFunc
	done   chan struct{}
	// failOnce says a write or flush failure once.
	failOnce sync.Once
}

// startRecorder subscribes before any source runs, so the recording starts with the first event.
func (s *Session) startRecorder() error {
	o := s.opts.Record
	if o == nil || o.Path == "" {
		return nil
	}
	h := recording.Header{Gameday: o.Version, Context: s.KubeContext, Namespace: s.namespace, Target: s.target,
		User: s.Env.User, Demo: s.opts.Demo, Start: s.Clock.Now(), Panels: s.Panels, Metrics: s.MetricsName,
		Scenario: o.Scenario}
	if s.TracesBackend != nil {
		h.Traces = s.TracesBackend.Name()
	}
	if s.LogsBackend != nil {
		h.Logs = s.LogsBackend.Name()
	}
	w, err := recording.Create(o.Path, h, o.MaxBytes)
	if err != nil {
		return err
	}
	// The largest queue of any subscriber: a recorder that falls behind gets coalesced cluster deltas
	// (nothing lost) and loses log lines only past four times this.
	s.rec = &recorder{w: w, sub: s.Bus.Subscribe("recorder", 8192), done: make(chan struct{})}
	return nil
}

// runRecorder writes events until stop, flushing once a second.
func (s *Session) runRecorder() {
	r := s.rec
	if r == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := r.w.Flush(); err != nil {
					s.recordingFailed(err)
				}
			}
		}
	}()
	go func() {
		defer close(r.done)
		for {
			e, ok := r.sub.Next(ctx)
			if !ok {
				break
			}
			s.record(e)
		}
		for _, e := range r.sub.Drain() {
			s.record(e)
		}
	}()
}

func (s *Session) record(e bus.Envelope) {
	// Write fails once (the cap, a full disk) and is a no-op after: the error is said once. An event
	// that cannot be encoded is dropped and counted; the first is said.
	err := s.rec.w.Write(e)
	switch {
	case err == nil:
	case errors.Is(err, recording.ErrDropped), errors.Is(err, recording.ErrFull):
		s.Bus.Publish(KindError, sources.ErrorMsg{Source: "recording", Err: err.Error()})
	default:
		s.recordingFailed(err)
	}
}

// recordingFailed says, once, that the file stopped taking events: in the header (a red recording
// dot, as a backend that is down) and in the status line.
func (s *Session) recordingFailed(err error) {
	s.rec.failOnce.Do(func() {
		s.Bus.Publish(KindConn, sources.ConnState{Source: "recording", OK: false, Err: err.Error(), Detail: "the recording stopped: the rest of the session is not recorded"})
		s.Bus.Publish(KindError, sources.ErrorMsg{Source: "recording", Err: err.Error() + ": the rest of the session is not recorded"})
	})
}

// stopRecorder writes what is queued and closes the file: after HALT, so the recording ends with it.
func (s *Session) stopRecorder() error {
	r := s.rec
	if r == nil {
		return nil
	}
	if r.cancel == nil { // never started
		r.sub.Close()
		return r.w.Close()
	}
	r.cancel()
	<-r.done
	r.sub.Close()
	return r.w.Close()
}

// Recording says where the session records to and how much it wrote (ok false when it does not).
func (s *Session) Recording() (recording.Stats, bool) {
	if s.rec == nil {
		return recording.Stats{}, false
	}
	return s.rec.w.Stats(), true
}
