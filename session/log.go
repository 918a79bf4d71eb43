package session

import (
	"context"
	"log/slog"
	"strings"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/bus"
	"github.com/gamedaylab/gameday/recording"
	"github.com/gamedaylab/gameday/sources"
)

// logger writes the session's operational log (gameday.log): every backend error and connection
// change, every action with its result (refusals, reverts and HALT among them), each with the
// session's id. It reads the bus like the recorder, so it sees what the cockpit and a run see, and
// nothing it writes can hold a credential (the recording's scrub runs on every message).
type logger struct {
	l      *slog.Logger
	sub    *bus.Sub
	cancel context.CancelFunc
	done   chan struct{}
}

func (s *Session) startLogger() {
	if s.opts.Log == nil {
		return
	}
	s.log = &logger{l: s.opts.Log.With("session", s.id, "context", s.KubeContext), sub: s.Bus.Subscribe("log", 4096), done: make(chan struct{})}
	s.log.l.Info("session started", "namespace", s.namespace, "target", s.target, "user", s.Env.User, "demo", s.opts.Demo)
}

func (s *Session) runLogger() {
	lg := s.log
	if lg == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	lg.cancel = cancel
	go func() {
		defer close(lg.done)
		for {
			e, ok := lg.sub.Next(ctx)
			if !ok {
				break
			}
			lg.write(e)
		}
		for _, e := range lg.sub.Drain() {
			lg.write(e)
		}
	}()
}

func clean(s string) string { return string(recording.Scrub([]byte(s))) }

func (lg *logger) write(e bus.Envelope) {
	switch p := e.Payload.(type) {
	case sources.ErrorMsg:
		lg.l.Error("backend error", "source", p.Source, "err", clean(p.Err))
	case sources.ConnState:
		if p.OK {
			lg.l.Info("backend ok", "source", p.Source, "detail", clean(p.Detail))
		} else {
			lg.l.Warn("backend down", "source", p.Source, "detail", clean(p.Detail), "err", clean(p.Err))
		}
	case actions.Result:
		x := p.Entry
		attrs := []any{"action", x.Action, "result", x.Result, "actor", x.Actor, "targets", strings.Join(x.Targets, " "), "detail", clean(x.Detail)}
		switch {
		case x.Error != "":
			lg.l.Warn("action "+x.Result, append(attrs, "err", clean(x.Error))...)
		case x.Action == actions.Halt || x.Action == actions.Cleanup:
			lg.l.Warn("action "+x.Result, attrs...)
		default:
			lg.l.Info("action "+x.Result, attrs...)
		}
	}
}

// Logf writes a line of the operational log for what happens outside the bus (a stop requested by a
// signal, a stop cut short); nothing when the session has no log.
func (s *Session) Logf(level slog.Level, msg string, args ...any) {
	if s.log == nil {
		return
	}
	for i, a := range args {
		if str, ok := a.(string); ok {
			args[i] = clean(str)
		}
	}
	s.log.l.Log(context.Background(), level, clean(msg), args...)
}

func (s *Session) stopLogger(reason string) {
	lg := s.log
	if lg == nil {
		return
	}
	if lg.cancel != nil {
		lg.cancel()
		<-lg.done
	} else {
		for _, e := range lg.sub.Drain() {
			lg.write(e)
		}
	}
	lg.sub.Close()
	lg.l.Info("session ended", "how", reason)
}
