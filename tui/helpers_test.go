package tui

import (
	"context"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/bus"
	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/session"
	"github.com/gamedaylab/gameday/sim"
	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/sources/kube"
	"github.com/gamedaylab/gameday/themes"
	"github.com/gamedaylab/gameday/tui/core"
	"github.com/gamedaylab/gameday/tui/keys"
)

var testStart = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// subs holds each test model's subscription to its session's bus: the harness delivers what the
// session publishes, as the program's forwarder does.
var subs sync.Map // *Model -> *bus.Sub

// newDemoModel builds the cockpit over a session on a seeded simulation, feeds it one full cluster
// sync and one round of metrics, traces and logs, and sizes it to w x h. Nothing runs in the
// background: the harness pumps the bus after every step.
func newDemoModel(t testing.TB, w, h int) (*Model, *sim.Sim) {
	t.Helper()
	cfg := config.Default()
	cfg.Demo.Seed = 42
	st, _ := themes.Resolve("dark", false)
	guard := &actions.Guard{MinReady: 1, Protected: cfg.Safety.ProtectedSet()}
	sess, err := session.New(session.Options{Config: &cfg, Guard: guard, Demo: true, DemoStart: testStart,
		Journal: t.TempDir() + "/journal.jsonl", User: "tester"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sess.Close() })
	sess.Env.SetSeed(1)
	ctx := &core.Context{Styles: st, Keys: keys.Default(), Config: &cfg, Clock: sess.Clock, Cluster: model.NewCluster(),
		Markers: &core.Markers{}, Guard: guard, KubeContext: sess.KubeContext, Namespace: sess.Namespace(), Target: sess.Target(), Demo: true}
	m := New(ctx, Deps{Session: sess, DialogGrace: -1}) // dialog_test.go tests the grace
	subs.Store(m, sess.Bus.Subscribe("cockpit", 1<<16))
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	feed(t, m, sess.Sim)
	return m, sess.Sim
}

// pump delivers what the session published since the last pump, and runs what that returns.
func pump(m *Model, depth int, seen *[]tea.Msg) {
	v, ok := subs.Load(m)
	if !ok {
		return
	}
	for {
		envs := v.(*bus.Sub).Drain()
		if len(envs) == 0 {
			return
		}
		for _, e := range envs {
			*seen = append(*seen, e.Payload)
			_, next := m.Update(e.Payload)
			runCmd(m, next, depth+1, seen)
		}
	}
}

// feed pushes the simulation's current state through the session, as the sources do.
func feed(t testing.TB, m *Model, s *sim.Sim) {
	t.Helper()
	sess := m.sess
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
		sess.Publish(msg)
	}
	now := s.Now()
	for _, p := range sources.DefaultPanels() {
		series, err := s.Metrics().QueryRange(context.Background(), p, now.Add(-15*time.Minute), now, 10*time.Second)
		sess.Publish(sources.MetricsMsg{Panel: p.ID, Series: series, Start: now.Add(-15 * time.Minute), End: now, Err: model.ErrText(err)})
	}
	tr, err := s.Traces().Recent(context.Background(), sources.TraceQuery{Service: sim.Target, Limit: 50})
	sess.Publish(sources.TracesMsg{Traces: tr, Err: model.ErrText(err)})
	lines, _, err := s.Logs().Tail(context.Background(), sources.LogQuery{Since: now.Add(-time.Minute), Limit: 200}, sources.LogCursor{})
	sess.Publish(sources.LogsMsg{Lines: lines, Err: model.ErrText(err)})
	var seen []tea.Msg
	pump(m, 0, &seen)
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
