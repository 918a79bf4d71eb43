package sim

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/sources"
)

var t0 = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

func newTestSim(t *testing.T) *Sim {
	t.Helper()
	return New(Options{Seed: 7, Start: t0})
}

func webPods(t *testing.T, s *Sim) (live, terminating int) {
	t.Helper()
	pods, err := s.Client().CoreV1().Pods(Namespace).List(context.Background(), metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil {
			terminating++
		} else {
			live++
		}
	}
	return
}

func TestBootstrapSteadyState(t *testing.T) {
	s := newTestSim(t)
	if !s.Now().Equal(t0) {
		t.Fatalf("clock after backfill = %v, want %v", s.Now(), t0)
	}
	live, term := webPods(t, s)
	if live != 3 || term != 0 {
		t.Fatalf("web pods live=%d terminating=%d, want 3/0", live, term)
	}
	series, err := s.Metrics().QueryRange(context.Background(), sources.Panel{ID: sources.PanelRate}, t0.Add(-5*time.Minute), t0, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(series[0].Points); n < 29 || n > 31 {
		t.Fatalf("5 min at 10 s step gave %d points, want ~30", n)
	}
	if v := series[0].Points[len(series[0].Points)-1].V; v < 120 || v > 180 {
		t.Fatalf("baseline rate %.1f, want ~150", v)
	}
}

func TestKillIsReplaced(t *testing.T) {
	s := newTestSim(t)
	pods, _ := s.Client().CoreV1().Pods(Namespace).List(context.Background(), metav1.ListOptions{LabelSelector: "app=web"})
	victim := pods.Items[0].Name
	if err := s.Client().CoreV1().Pods(Namespace).Delete(context.Background(), victim, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Step(100 * time.Millisecond)
	live, term := webPods(t, s)
	if live != 3 || term != 1 {
		t.Fatalf("after kill: live=%d terminating=%d, want 3 (replacement created) and 1", live, term)
	}
	s.StepFor(10*time.Second, 100*time.Millisecond)
	live, term = webPods(t, s)
	if live != 3 || term != 0 {
		t.Fatalf("10 s after kill: live=%d terminating=%d, want 3/0", live, term)
	}
	d, _ := s.Client().AppsV1().Deployments(Namespace).Get(context.Background(), Target, metav1.GetOptions{})
	if d.Status.ReadyReplicas != 3 {
		t.Fatalf("ready replicas %d, want 3", d.Status.ReadyReplicas)
	}
}

func TestHardKillRemovesAtOnce(t *testing.T) {
	s := newTestSim(t)
	pods, _ := s.Client().CoreV1().Pods(Namespace).List(context.Background(), metav1.ListOptions{LabelSelector: "app=web"})
	zero := int64(0)
	if err := s.Client().CoreV1().Pods(Namespace).Delete(context.Background(), pods.Items[0].Name, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatal(err)
	}
	s.Step(100 * time.Millisecond)
	live, term := webPods(t, s)
	if live != 3 || term != 0 {
		t.Fatalf("after hard kill: live=%d terminating=%d, want a replacement and nothing terminating", live, term)
	}
	s.Step(100 * time.Millisecond)
	if e := s.traffic.errFrac; e < 0.2 {
		t.Fatalf("error fraction right after a hard kill of 1/3 = %.2f, want >= 0.2", e)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	s := newTestSim(t)
	pods, _ := s.Client().CoreV1().Pods(Namespace).List(context.Background(), metav1.ListOptions{LabelSelector: "app=web"})
	err := s.Client().CoreV1().Pods(Namespace).Delete(context.Background(), pods.Items[0].Name, metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}})
	if err != nil {
		t.Fatal(err)
	}
	s.Step(100 * time.Millisecond)
	if live, term := webPods(t, s); live != 3 || term != 0 {
		t.Fatalf("dry-run delete changed the cluster: live=%d terminating=%d", live, term)
	}
}

func TestBurstScalesOutAndBackIn(t *testing.T) {
	s := newTestSim(t)
	if err := s.Load().Start(load.Profile{Name: "burst", Rate: 300, Duration: 60 * time.Second}); err != nil {
		t.Fatal(err)
	}
	s.StepFor(45*time.Second, 250*time.Millisecond)
	d, _ := s.Client().AppsV1().Deployments(Namespace).Get(context.Background(), Target, metav1.GetOptions{})
	if *d.Spec.Replicas <= 3 {
		t.Fatalf("45 s into a 300 req/s burst the HPA wants %d replicas, want > 3", *d.Spec.Replicas)
	}
	peak := *d.Spec.Replicas
	st := s.Load().Status()
	if !st.Active || st.Requested != 300 {
		t.Fatalf("load status %+v, want active at 300/s", st)
	}
	s.StepFor(3*time.Minute, 500*time.Millisecond)
	if s.Load().Status().Active {
		t.Fatal("a 60 s burst is still active after 3 min")
	}
	d, _ = s.Client().AppsV1().Deployments(Namespace).Get(context.Background(), Target, metav1.GetOptions{})
	if *d.Spec.Replicas >= peak {
		t.Fatalf("3 min after the burst replicas=%d, want below the peak %d (scale-in after stabilisation)", *d.Spec.Replicas, peak)
	}
}

func TestDeterministic(t *testing.T) {
	a, b := newTestSim(t), newTestSim(t)
	for _, s := range []*Sim{a, b} {
		_ = s.Load().Start(load.Profile{Rate: 200, Duration: 20 * time.Second})
		s.StepFor(30*time.Second, 100*time.Millisecond)
	}
	ta, _ := a.Traces().Recent(context.Background(), sources.TraceQuery{Limit: 5})
	tb, _ := b.Traces().Recent(context.Background(), sources.TraceQuery{Limit: 5})
	if len(ta) == 0 || len(ta) != len(tb) {
		t.Fatalf("trace counts %d vs %d", len(ta), len(tb))
	}
	for i := range ta {
		if ta[i].TraceID != tb[i].TraceID || ta[i].Duration != tb[i].Duration {
			t.Fatalf("trace %d differs between two runs with one seed: %+v vs %+v", i, ta[i], tb[i])
		}
	}
}

func TestLogTailNoGapsNoDuplicates(t *testing.T) {
	s := newTestSim(t)
	var cur sources.LogCursor
	seen := map[uint64]bool{}
	var last uint64
	for round := 0; round < 20; round++ {
		s.StepFor(time.Second, 100*time.Millisecond)
		for {
			lines, next, err := s.Logs().Tail(context.Background(), sources.LogQuery{Limit: 7, Since: t0.Add(-time.Minute)}, cur)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range lines {
				if seen[l.Seq] {
					t.Fatalf("line %d delivered twice", l.Seq)
				}
				if last != 0 && l.Seq != last+1 {
					t.Fatalf("gap: %d after %d", l.Seq, last)
				}
				seen[l.Seq], last = true, l.Seq
			}
			cur = next
			if len(lines) < 7 {
				break
			}
		}
	}
	if len(seen) < 50 {
		t.Fatalf("only %d lines in 20 s", len(seen))
	}
}

// BenchmarkNew is the cost of opening the demo: building the cluster and 15 minutes of history.
func BenchmarkNew(b *testing.B) {
	for i := 0; i < b.N; i++ {
		New(Options{Seed: 42, Start: t0})
	}
}

// TestSteeringKeepsTheRunsProgress: after + / -, progress is still shown against the whole run.
func TestSteeringKeepsTheRunsProgress(t *testing.T) {
	s := newTestSim(t)
	if err := s.Load().Start(load.Profile{Name: "burst", Rate: 200, Duration: 60 * time.Second}); err != nil {
		t.Fatal(err)
	}
	s.StepFor(2*time.Second, 250*time.Millisecond)
	if _, err := s.Load().SetRate(250); err != nil {
		t.Fatal(err)
	}
	s.StepFor(time.Second, 250*time.Millisecond)
	st := s.Load().Status()
	if st.Requested != 250 || st.Profile.Duration != 60*time.Second || st.Elapsed < 3*time.Second || st.Elapsed > 3500*time.Millisecond {
		t.Fatalf("after steering at 2 s: requested %v, elapsed %s of %s; want 250/s, 3s of 1m0s", st.Requested, st.Elapsed, st.Profile.Duration)
	}
	s.StepFor(58*time.Second, 500*time.Millisecond)
	if s.Load().Status().Active {
		t.Fatal("the steered run outlived its 60 s")
	}
}

// TestSimulatedLoadFollowsTheEngineShapes: the demo's load generator runs every profile through
// load.RateAt, as the real engine does: a sine honours its period and a step its number of steps
// (the demo's own copy of the shapes ignored both).
func TestSimulatedLoadFollowsTheEngineShapes(t *testing.T) {
	cases := []struct {
		p  load.Profile
		at time.Duration
	}{
		{load.Profile{Name: "sine", Kind: load.Sine, Rate: 100, To: 300, Duration: time.Minute, Period: 10 * time.Second}, 5 * time.Second},
		{load.Profile{Name: "step", Kind: load.Step, Rate: 100, To: 300, Duration: time.Minute, Steps: 2}, 40 * time.Second},
		{load.Profile{Name: "ramp", Kind: load.Ramp, Rate: 0, To: 400, Duration: time.Minute}, 30 * time.Second},
	}
	for _, c := range cases {
		s := New(Options{Seed: 1, Start: time.Unix(1_700_000_000, 0)})
		if err := s.Load().Start(c.p); err != nil {
			t.Fatal(err)
		}
		s.StepFor(c.at, 500*time.Millisecond)
		got := s.Load().Status().Requested
		want := load.RateAt(c.p, c.at)
		if math.Abs(got-want) > 1 {
			t.Errorf("%s at %s: requested %.1f, the engine's shape says %.1f", c.p.Kind, c.at, got, want)
		}
	}
}

// TestRolloutRestartRollsThePods (issue 13 item 7): the patch kubectl rollout restart (and R) sends
// makes a new ReplicaSet, surges one pod at a time, lets old pods go only as new ones are ready (ready
// never below 3), and ends with every pod of the new ReplicaSet. Before, nothing happened.
func TestRolloutRestartRollsThePods(t *testing.T) {
	s := newTestSim(t)
	ctx := context.Background()
	before, _ := s.Client().AppsV1().ReplicaSets(Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	patch := `{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-03-14T15:00:00Z"}}}}}`
	if _, err := s.Client().AppsV1().Deployments(Namespace).Patch(ctx, Target, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	maxLive := 0
	for i := 0; i < 600; i++ { // 60 s
		s.Step(100 * time.Millisecond)
		live, _ := webPods(t, s)
		maxLive = max(maxLive, live)
		d, _ := s.Client().AppsV1().Deployments(Namespace).Get(ctx, Target, metav1.GetOptions{})
		if d.Status.ReadyReplicas < 3 {
			t.Fatalf("at %s ready replicas fell to %d during the rollout", 100*time.Millisecond*time.Duration(i), d.Status.ReadyReplicas)
		}
	}
	after, _ := s.Client().AppsV1().ReplicaSets(Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if len(after.Items) != len(before.Items)+1 {
		t.Fatalf("ReplicaSets %d -> %d, want one new", len(before.Items), len(after.Items))
	}
	var newRS string
	for _, rs := range after.Items {
		if rs.Name != before.Items[0].Name {
			newRS = rs.Name
			if *rs.Spec.Replicas != 3 || rs.Status.ReadyReplicas != 3 {
				t.Fatalf("new ReplicaSet %s: %d replicas, %d ready", rs.Name, *rs.Spec.Replicas, rs.Status.ReadyReplicas)
			}
		} else if *rs.Spec.Replicas != 0 {
			t.Fatalf("old ReplicaSet still has %d replicas", *rs.Spec.Replicas)
		}
	}
	pods, _ := s.Client().CoreV1().Pods(Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	for _, p := range pods.Items {
		if !strings.HasPrefix(p.Name, newRS+"-") {
			t.Fatalf("pod %s is not of the new ReplicaSet %s", p.Name, newRS)
		}
	}
	if maxLive != 4 {
		t.Fatalf("most live pods during the rollout %d, want 4 (one surge)", maxLive)
	}
	d, _ := s.Client().AppsV1().Deployments(Namespace).Get(ctx, Target, metav1.GetOptions{})
	if d.Status.UpdatedReplicas != 3 {
		t.Fatalf("updated replicas %d", d.Status.UpdatedReplicas)
	}
}

// TestCountsAreNotAveraged (issue 13 item 16): a count resampled over long steps keeps whole values
// (the last sample of each step) and ends at the latest sample, which the legend shows.
func TestCountsAreNotAveraged(t *testing.T) {
	r := newRing[sources.Point](100)
	for i := 0; i < 60; i++ {
		v := 6.0
		if i >= 45 {
			v = 3 // scaled in a quarter of the way before the end
		}
		r.push(sources.Point{T: t0.Add(time.Duration(i) * time.Second), V: v})
	}
	pts := resample(r, t0, t0.Add(time.Minute), 40*time.Second, true)
	for _, p := range pts {
		if p.V != 3 && p.V != 6 {
			t.Fatalf("count point %v is not a whole replica count: %v", p.V, pts)
		}
	}
	if last := pts[len(pts)-1]; last.V != 3 || !last.T.Equal(t0.Add(59*time.Second)) {
		t.Fatalf("the last point %+v is not the latest sample", last)
	}
	if mean := resample(r, t0, t0.Add(time.Minute), 40*time.Second, false); mean[1].V == 3 || mean[1].V == 6 {
		t.Fatalf("rates are the step's mean: %v", mean)
	}
}
