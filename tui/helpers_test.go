package tui

import (
	"context"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/sources/kube"
	"github.com/gamedaylab/gameday/sources/sim"
	"github.com/gamedaylab/gameday/themes"
	"github.com/gamedaylab/gameday/tui/core"
	"github.com/gamedaylab/gameday/tui/keys"
)

var testStart = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// newDemoModel builds the cockpit on a seeded simulation, feeds it one full cluster sync and one
// round of metrics, traces and logs, and sizes it to w x h. Everything is synchronous: no goroutines.
func newDemoModel(t testing.TB, w, h int) (*Model, *sim.Sim) {
	t.Helper()
	s := sim.New(sim.Options{Seed: 42, Start: testStart})
	cfg := config.Default()
	st, _ := themes.Resolve("dark", false)
	guard := &actions.Guard{MinReady: 1, Protected: cfg.Safety.ProtectedSet(), Context: "gameday-demo"}
	j, err := actions.OpenJournal(t.TempDir() + "/journal.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	env := &actions.Env{Client: s.Client(), Context: "gameday-demo", User: "tester", Guard: guard, Journal: j, Load: s.Load(), Now: s.Now}
	env.SetSeed(1)
	ctx := &core.Context{Styles: st, Keys: keys.Default(), Config: &cfg, Clock: s, Cluster: model.NewCluster(),
		Markers: &core.Markers{}, Guard: guard, KubeContext: "gameday-demo", Namespace: sim.Namespace, Target: sim.Target, Demo: true}
	m := New(ctx, Deps{Env: env, MetricsName: "simulation", TracesBackend: s.Traces(), LogsBackend: s.Logs()})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	feed(t, m, s)
	return m, s
}

// feed pushes the simulation's current state through the same message types the sources send.
func feed(t testing.TB, m *Model, s *sim.Sim) {
	t.Helper()
	var mu sync.Mutex
	var msgs []any
	send := func(_ context.Context, msg any) bool {
		mu.Lock()
		msgs = append(msgs, msg)
		mu.Unlock()
		return true
	}
	synced := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return hasReset(msgs) && hasEvents(msgs) // events start after the first batch
	}
	src := kube.New(s.Client(), send, kube.Options{Namespace: sim.Namespace, Now: s.Now})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { src.Run(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		if synced() {
			break
		}
	}
	cancel()
	<-done
	for _, msg := range msgs {
		m.Update(msg)
	}
	now := s.Now()
	for _, p := range sources.DefaultPanels() {
		series, err := s.Metrics().QueryRange(context.Background(), p, now.Add(-15*time.Minute), now, 10*time.Second)
		m.Update(sources.MetricsMsg{Panel: p.ID, Series: series, Start: now.Add(-15 * time.Minute), End: now, Err: model.ErrText(err)})
	}
	tr, err := s.Traces().Recent(context.Background(), sources.TraceQuery{Service: sim.Target, Limit: 50})
	m.Update(sources.TracesMsg{Traces: tr, Err: model.ErrText(err)})
	lines, _, err := s.Logs().Tail(context.Background(), sources.LogQuery{Since: now.Add(-time.Minute), Limit: 200}, sources.LogCursor{})
	m.Update(sources.LogsMsg{Lines: lines, Err: model.ErrText(err)})
}

func hasEvents(msgs []any) bool {
	for _, m := range msgs {
		if d, ok := m.(*model.ClusterDelta); ok && len(d.Events) > 0 {
			return true
		}
	}
	return false
}

func hasReset(msgs []any) bool {
	for _, m := range msgs {
		if d, ok := m.(*model.ClusterDelta); ok && d.Reset {
			return true
		}
	}
	return false
}
