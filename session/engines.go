package session

import (
	"context"
	"time"

	"github.com/gamedaylab/gameday/engines"
	"github.com/gamedaylab/gameday/model"
)

// EnginesEvery is how often the session lists the other chaos engines' experiments.
const EnginesEvery = 5 * time.Second

// Engines is what the session last saw of the cluster's other chaos engines.
type Engines struct {
	List []engines.Experiment
	OK   bool // the cluster serves Chaos Mesh or Litmus
	Err  string
	At   time.Time // zero: not listed yet
}

// pollEngines lists the other engines' experiments now and then, off every UI path: the cockpit's
// faults sheet and header read the last answer.
func (s *Session) pollEngines(ctx context.Context) {
	t := time.NewTicker(EnginesEvery)
	defer t.Stop()
	for {
		lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		list, ok, err := s.Env.Engines.List(lctx)
		cancel()
		e := Engines{List: list, OK: ok, At: time.Now()}
		if err != nil {
			e.Err = model.ErrText(err)
		}
		s.mu.Lock()
		s.engines = e
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// EngineExperiments is the last list of the other engines' experiments (no I/O).
func (s *Session) EngineExperiments() Engines {
	if s.Env.Engines == nil {
		return Engines{At: time.Now()} // the demo, a replay: no engine to list
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.engines
	e.List = append([]engines.Experiment(nil), e.List...)
	return e
}

// OtherEngines lists the experiments of the cluster's other chaos engines (Chaos Mesh, Litmus);
// ok is false when it serves none.
func (s *Session) OtherEngines(ctx context.Context) ([]engines.Experiment, bool, error) {
	if s.Env.Engines == nil {
		return nil, false, nil
	}
	return s.Env.Engines.List(ctx)
}
