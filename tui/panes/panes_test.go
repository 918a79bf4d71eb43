package panes

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	zmodel "github.com/openzipkin/zipkin-go/model"

	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/themes"
	"github.com/gamedaylab/gameday/tui/core"
	"github.com/gamedaylab/gameday/tui/keys"
)

type clock struct{ t time.Time }

func (c clock) Now() time.Time { return c.t }

var now = time.Date(2026, 2, 2, 10, 0, 0, 0, time.UTC)

func testCtx() *core.Context {
	cfg := config.Default()
	st, _ := themes.Resolve("dark", false)
	return &core.Context{Styles: st, Keys: keys.Default(), Config: &cfg, Clock: clock{now}, Cluster: model.NewCluster(),
		Markers: &core.Markers{}, Namespace: "ns", Target: "web"}
}

func TestUnchangedSeriesIsNotRedrawn(t *testing.T) {
	ctx := testCtx()
	m := NewMetrics(ctx, sources.DefaultPanels(), 15*time.Minute, "test", nil)
	m.SetSize(100, 30)
	msg := sources.MetricsMsg{Panel: sources.PanelRate, Series: benchSeries(300, now), Start: now.Add(-15 * time.Minute), End: now}
	m.Update(msg)
	if m.Draws(sources.PanelRate) != 1 {
		t.Fatalf("first data: %d draws", m.Draws(sources.PanelRate))
	}
	m.Update(msg)
	m.Update(msg)
	if m.Draws(sources.PanelRate) != 1 {
		t.Fatalf("the same series three times drew %d times, want 1", m.Draws(sources.PanelRate))
	}
	changed := msg
	changed.Series = benchSeries(301, now)
	m.Update(changed)
	if m.Draws(sources.PanelRate) != 2 {
		t.Fatal("changed data must redraw")
	}
	ctx.Markers.Add(now.Add(-time.Minute), "kill")
	m.Update(core.MarkersChangedMsg{})
	if m.Draws(sources.PanelRate) != 3 {
		t.Fatal("a new marker must redraw")
	}
	if m.Draws(sources.PanelErrors) != 0 {
		t.Fatal("a panel without data is not drawn")
	}
}

// A missing backend answers every refresh with an error and a moving window: the cell shows the
// error, and no chart is drawn for it.
func TestErrorWithoutDataDrawsNoChart(t *testing.T) {
	ctx := testCtx()
	m := NewMetrics(ctx, sources.DefaultPanels(), 15*time.Minute, "test", nil)
	m.SetSize(100, 30)
	for i := 0; i < 5; i++ {
		end := now.Add(time.Duration(i) * 5 * time.Second)
		m.Update(sources.MetricsMsg{Panel: sources.PanelRate, Err: "no Prometheus Service found", Start: end.Add(-15 * time.Minute), End: end})
	}
	if d := m.Draws(sources.PanelRate); d != 0 {
		t.Fatalf("%d charts drawn for a panel that only had errors", d)
	}
	if v := ansi.Strip(m.View()); !strings.Contains(v, "no Prometheus Service found") {
		t.Fatalf("the error is not shown:\n%s", v)
	}
	// Data after the errors is drawn.
	m.Update(sources.MetricsMsg{Panel: sources.PanelRate, Series: benchSeries(300, now), Start: now.Add(-15 * time.Minute), End: now})
	if d := m.Draws(sources.PanelRate); d != 1 {
		t.Fatalf("data after errors: %d draws, want 1", d)
	}
}

func TestSpanTree(t *testing.T) {
	id := func(i uint64) *zmodel.ID { x := zmodel.ID(i); return &x }
	at := func(ms int) time.Time { return now.Add(time.Duration(ms) * time.Millisecond) }
	spans := []zmodel.SpanModel{
		{SpanContext: zmodel.SpanContext{ID: 3, ParentID: id(2)}, Name: "db", Timestamp: at(5)},
		{SpanContext: zmodel.SpanContext{ID: 1}, Name: "gateway", Timestamp: at(0)},
		{SpanContext: zmodel.SpanContext{ID: 4, ParentID: id(1)}, Name: "auth", Timestamp: at(1)},
		{SpanContext: zmodel.SpanContext{ID: 2, ParentID: id(1)}, Name: "web", Timestamp: at(2)},
		{SpanContext: zmodel.SpanContext{ID: 9, ParentID: id(77)}, Name: "orphan", Timestamp: at(3)},
	}
	out, depth := SpanTree(spans)
	var got []string
	for i, s := range out {
		got = append(got, fmt.Sprintf("%d:%s", depth[i], s.Name))
	}
	want := "[0:gateway 1:auth 1:web 2:db 0:orphan]"
	if fmt.Sprint(got) != want {
		t.Fatalf("got %v, want %s", got, want)
	}
	// A cycle must not hang.
	cyc := []zmodel.SpanModel{{SpanContext: zmodel.SpanContext{ID: 1, ParentID: id(2)}}, {SpanContext: zmodel.SpanContext{ID: 2, ParentID: id(1)}}}
	if out, _ := SpanTree(cyc); len(out) > 2 {
		t.Fatal(out)
	}
}

func TestLogRingIsBounded(t *testing.T) {
	l := NewLogs(testCtx(), "", nil)
	l.SetSize(80, 10)
	for i := 0; i < LogCapacity+1234; i++ {
		l.Update(sources.LogsMsg{Lines: []sources.LogLine{{Time: now, Msg: fmt.Sprint(i), Seq: uint64(i)}}})
	}
	if l.n != LogCapacity {
		t.Fatalf("kept %d lines", l.n)
	}
	if first := l.at(0).Seq; first != 1234 {
		t.Fatalf("oldest kept line %d, want 1234", first)
	}
	if last := l.at(l.n - 1).Seq; last != LogCapacity+1233 {
		t.Fatalf("newest line %d", last)
	}
}

// clean drops zero counts from a printed map (a zone that emptied keeps a 0 entry).
func clean(s string) string {
	var out []string
	for _, f := range strings.Fields(strings.Trim(s, "map[]")) {
		if !strings.HasSuffix(f, ":0") {
			out = append(out, f)
		}
	}
	return strings.Join(out, " ")
}

func TestWorkloadIncrementalEqualsRebuild(t *testing.T) {
	ctx := testCtx()
	w := NewWorkload(ctx)
	ev := NewEvents(ctx)
	ev.SetSize(100, 20)
	w.SetSize(100, 30)
	sel := map[string]string{"app": "web"}
	reset := &model.ClusterDelta{Reset: true, Deployments: []model.Deployment{{Namespace: "ns", Name: "web", Selector: sel}},
		Nodes: []model.Node{{Name: "n1", Zone: "a", Ready: true}, {Name: "n2", Zone: "b", Ready: true}}}
	ctx.Cluster.Apply(reset, now)
	w.Update(core.ClusterChangedMsg{Delta: reset})
	rng := rand.New(rand.NewSource(3))
	for round := 0; round < 200; round++ {
		d := &model.ClusterDelta{}
		for j := 0; j < 5; j++ {
			name := fmt.Sprintf("web-%03d", rng.Intn(300))
			labels := sel
			if rng.Intn(10) == 0 {
				labels = map[string]string{"app": "other"}
			}
			phase, node := "Running", []string{"n1", "n2", ""}[rng.Intn(3)]
			if node == "" {
				phase = "Pending"
			}
			var deleting time.Time
			if rng.Intn(8) == 0 {
				deleting = now
			}
			if rng.Intn(4) == 0 {
				d.PodsGone = append(d.PodsGone, "ns/"+name)
			} else {
				d.Pods = append(d.Pods, model.Pod{Namespace: "ns", Name: name, Labels: labels, Node: node, Phase: phase, Deleting: deleting})
			}
			if rng.Intn(20) == 0 {
				d.Events = append(d.Events, model.Event{Namespace: "ns", Name: fmt.Sprintf("ev%d-%d", round, j), Time: now.Add(time.Duration(rng.Intn(100)) * time.Second), Reason: "Started", Object: "Pod/" + name})
			}
		}
		at := now.Add(time.Duration(round) * time.Second)
		ctx.Cluster.Apply(d, at)
		w.Update(core.ClusterChangedMsg{Delta: d})
		ev.Update(core.ClusterChangedMsg{Delta: d})
		// Deleted pods stay listed for 3 s, then the tick drops them.
		w.Update(core.TickMsg{Now: at, Pruned: ctx.Cluster.PruneGone(at, 3*time.Second)})
	}
	if len(ctx.Cluster.Gone) == 0 {
		t.Fatal("no deleted pod is still remembered: the test would not see a gone row kept")
	}
	var incEvents []string
	for _, r := range ev.rows {
		incEvents = append(incEvents, r.key)
	}
	ev.rebuild()
	var rebuilt []string
	for _, r := range ev.rows {
		rebuilt = append(rebuilt, r.key)
	}
	if fmt.Sprint(incEvents) != fmt.Sprint(rebuilt) {
		t.Fatalf("incremental events differ from a rebuild:\n%v\n%v", incEvents, rebuilt)
	}
	inc := append([]string(nil), w.keys...)
	incZones, incPending := fmt.Sprint(w.perZone), w.pending
	w.rebuild()
	if fmt.Sprint(inc) != fmt.Sprint(w.keys) {
		t.Fatalf("incremental list differs from a rebuild:\n%v\n%v", inc, w.keys)
	}
	if clean(incZones) != clean(fmt.Sprint(w.perZone)) || incPending != w.pending {
		t.Fatalf("incremental zone counts %s pending %d, a recount gives %v pending %d", incZones, incPending, w.perZone, w.pending)
	}
	if !sort.StringsAreSorted(inc) {
		t.Fatal("not sorted")
	}
}

func TestTraceFilter(t *testing.T) {
	q, err := ParseTraceFilter("checkout >250ms errors", sources.TraceQuery{Service: "web"})
	if err != nil || q.SpanName != "checkout" || q.MinDuration != 250*time.Millisecond || !q.ErrorsOnly || q.Service != "web" {
		t.Fatalf("%+v %v", q, err)
	}
	if q, _ := ParseTraceFilter("", q); q.SpanName != "" || q.MinDuration != 0 || q.ErrorsOnly {
		t.Fatalf("an empty filter clears: %+v", q)
	}
	if _, err := ParseTraceFilter(">soon", q); err == nil {
		t.Fatal("a bad duration must be an error")
	}
}

// TestWorkloadShowsARollout: while the target has two ReplicaSets with replicas, the pane names the
// new one (the newest) with its ready/desired beside the old one's; once the old one is scaled to 0
// the line goes.
func TestWorkloadShowsARollout(t *testing.T) {
	ctx := testCtx()
	w := NewWorkload(ctx)
	w.SetSize(100, 20)
	sel := map[string]string{"app": "web"}
	d := &model.ClusterDelta{Reset: true, Deployments: []model.Deployment{{Namespace: "ns", Name: "web", Desired: 3, Ready: 3, Selector: sel}},
		ReplicaSets: []model.ReplicaSet{
			{Namespace: "ns", Name: "web-old", Deployment: "web", Desired: 2, Ready: 2, Created: now.Add(-time.Hour)},
			{Namespace: "ns", Name: "web-new", Deployment: "web", Desired: 1, Ready: 0, Created: now.Add(-time.Second)},
			{Namespace: "ns", Name: "other-x", Deployment: "other", Desired: 1, Ready: 1, Created: now},
		}}
	ctx.Cluster.Apply(d, now)
	w.Update(core.ClusterChangedMsg{Delta: d})
	got := ansi.Strip(w.View())
	if !strings.Contains(got, "rollout new rs/web-new 0/1  old rs/web-old 2/2") || strings.Contains(got, "other-x") {
		t.Fatalf("no rollout line:\n%s", got)
	}
	done := &model.ClusterDelta{ReplicaSets: []model.ReplicaSet{{Namespace: "ns", Name: "web-old", Deployment: "web", Created: now.Add(-time.Hour)}}}
	ctx.Cluster.Apply(done, now)
	w.Update(core.ClusterChangedMsg{Delta: done})
	if got := ansi.Strip(w.View()); strings.Contains(got, "rollout") {
		t.Fatalf("the rollout line stayed after the old ReplicaSet emptied:\n%s", got)
	}
}

// TestHPAHoldIsExplained (issue 13 item 14): while the scale-down window holds the HPA above what its
// arithmetic computes, the line names the window and its countdown instead of contradicting itself.
func TestHPAHoldIsExplained(t *testing.T) {
	ctx := testCtx()
	w := NewWorkload(ctx)
	w.SetSize(120, 20)
	sel := map[string]string{"app": "web"}
	d := &model.ClusterDelta{Reset: true, Deployments: []model.Deployment{{Namespace: "ns", Name: "web", Desired: 8, Ready: 8, Selector: sel}},
		HPAs: []model.HPA{{Namespace: "ns", Name: "web", TargetKind: "Deployment", TargetName: "web", Min: 2, Max: 10, Current: 8, Desired: 7,
			Metric: "cpu", MetricCurrent: 30, MetricTarget: 60, MetricUnit: "%", HasCurrent: true, ScaleDownWindow: time.Minute,
			LastScale: now.Add(-18 * time.Second)}}}
	ctx.Cluster.Apply(d, now)
	w.Update(core.ClusterChangedMsg{Delta: d})
	got := ansi.Strip(w.View())
	if !strings.Contains(got, "held at 7 by the 60s scale-down window, 42s left (next: 8 × 30/60 → 4)") {
		t.Fatalf("no hold explained:\n%s", got)
	}
}
