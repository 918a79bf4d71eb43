package panes

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/tui/core"
)

func applyTo(ctx *core.Context, w *Workload, d *model.ClusterDelta) string {
	ctx.Cluster.Apply(d, ctx.Now())
	w.Update(core.ClusterChangedMsg{Delta: d})
	return ansi.Strip(w.View())
}

// TestVPALine: the mode with its eviction warning, the conditions, and per container the request
// beside the recommendation and its bounds (the uncapped target when the policy capped it).
func TestVPALine(t *testing.T) {
	ctx := testCtx()
	w := NewWorkload(ctx)
	w.SetSize(140, 20)
	sel := map[string]string{"app": "web"}
	web := model.Deployment{Namespace: "ns", Name: "web", Desired: 2, Ready: 2, Selector: sel,
		Requests: []model.ContainerRequests{{Container: "web", Requests: model.Resources{CPU: "250m", Memory: "64Mi"}}}}
	got := applyTo(ctx, w, &model.ClusterDelta{Reset: true, Deployments: []model.Deployment{web}})
	if strings.Contains(got, "VPA") {
		t.Fatalf("a VPA line without a VPA:\n%s", got)
	}
	vpa := model.VPA{Namespace: "ns", Name: "web-vpa", TargetKind: "Deployment", TargetName: "web", Mode: "",
		Conditions: []model.Condition{{Type: "RecommendationProvided", Status: "True"}, {Type: "LowConfidence", Status: "True"}}}
	got = applyTo(ctx, w, &model.ClusterDelta{VPAs: []model.VPA{vpa}})
	for _, want := range []string{"VPA web-vpa mode Auto ⚠ evicts pods to apply ●RecommendationProvided ○LowConfidence", "no recommendation yet"} {
		if !strings.Contains(got, want) {
			t.Fatalf("lacks %q:\n%s", want, got)
		}
	}
	vpa.Mode = "Off"
	vpa.Containers = []model.VPARecommendation{{Container: "web",
		Target: model.Resources{CPU: "587m", Memory: "262144k"}, Lower: model.Resources{CPU: "25m", Memory: "262144k"},
		Upper: model.Resources{CPU: "1", Memory: "500Mi"}, Uncapped: model.Resources{CPU: "2", Memory: "262144k"}}}
	got = applyTo(ctx, w, &model.ClusterDelta{VPAs: []model.VPA{vpa}})
	for _, want := range []string{"VPA web-vpa mode Off ●", "web cpu 250m → 587m (25m–1) uncapped 2 mem 64Mi → 262144k (262144k–500Mi)"} {
		if !strings.Contains(got, want) {
			t.Fatalf("lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "evicts") {
		t.Fatalf("mode Off warns of evictions:\n%s", got)
	}
}

// TestAutoscalerLineAndScaleUpStopwatch: the autoscaler's status shows while a pod of the target is
// pending or a scale-up is under way; its TriggeredScaleUp starts a stopwatch that a new node and the
// pod's scheduling complete.
func TestAutoscalerLineAndScaleUpStopwatch(t *testing.T) {
	ctx := testCtx()
	w := NewWorkload(ctx)
	w.SetSize(160, 20)
	sel := map[string]string{"app": "web"}
	web := model.Deployment{Namespace: "ns", Name: "web", Desired: 2, Ready: 1, Selector: sel}
	pending := model.Pod{Namespace: "ns", Name: "web-2", Phase: "Pending", Labels: sel, Created: now.Add(-10 * time.Second)}
	idle := &model.Autoscaler{Format: "yaml", Status: "Running", Health: "Healthy", ScaleUp: "NoActivity",
		Groups: []model.NodeGroup{{Name: "zone-a", Health: "Healthy", Ready: 2, Total: 2, Target: 2, Min: 1, Max: 5, ScaleUp: "NoActivity"}}}
	got := applyTo(ctx, w, &model.ClusterDelta{Reset: true, Deployments: []model.Deployment{web}, Autoscaler: idle,
		Nodes: []model.Node{{Name: "n1", Ready: true}}})
	if strings.Contains(got, "autoscaler") {
		t.Fatalf("an idle autoscaler with nothing pending is noise:\n%s", got)
	}
	busy := *idle
	busy.ScaleUp = "InProgress"
	busy.Groups = []model.NodeGroup{{Name: "zone-a", Ready: 2, Target: 3, Min: 1, Max: 5, ScaleUp: "InProgress"},
		{Name: "zone-b", Ready: 2, Target: 2, Min: 1, Max: 2, ScaleUp: "Backoff", BackoffCode: "QUOTA_EXCEEDED", BackoffMessage: "quota"}}
	got = applyTo(ctx, w, &model.ClusterDelta{Pods: []model.Pod{pending}, Autoscaler: &busy,
		Events: []model.Event{{Namespace: "ns", Name: "e1", Time: now.Add(-8 * time.Second), Reason: "TriggeredScaleUp", Object: "Pod/web-2"}}})
	for _, want := range []string{"autoscaler scale-up InProgress · zone-a 2/3 (1–5) scaling up · zone-b 2/2 (1–2) backoff QUOTA_EXCEEDED: quota",
		"scale-up web-2: triggered +2s → node … +10s → scheduled … +10s"} {
		if !strings.Contains(got, want) {
			t.Fatalf("lacks %q:\n%s", want, got)
		}
	}
	// A node is added 20 s after the pod became pending, the pod is scheduled 1 s later.
	ctx.Clock = clock{now.Add(10 * time.Second)}
	applyTo(ctx, w, &model.ClusterDelta{Nodes: []model.Node{{Name: "n1", Ready: true, Created: now.Add(-time.Hour)},
		{Name: "n2", Ready: true, Created: now.Add(10 * time.Second)}}})
	scheduled := pending
	scheduled.Phase, scheduled.Node, scheduled.Scheduled = "Running", "n2", now.Add(11*time.Second)
	got = applyTo(ctx, w, &model.ClusterDelta{Pods: []model.Pod{scheduled}})
	if want := "scale-up web-2: triggered +2s → node +20s → scheduled +21s (n2)"; !strings.Contains(got, want) {
		t.Fatalf("lacks %q:\n%s", want, got)
	}
	got = applyTo(ctx, w, &model.ClusterDelta{Autoscaler: &model.Autoscaler{Format: "raw", Raw: "Initializing soon\nmore"}, Pods: []model.Pod{pending}})
	if !strings.Contains(got, "autoscaler Initializing soon") {
		t.Fatalf("a status in an unknown format is not shown verbatim:\n%s", got)
	}
}

// TestHPAMinRaisedIsShown: raising the HPA's min replicas ahead of a peak (over-provisioning) is
// said on the HPA line with when; lowering it again ends that.
func TestHPAMinRaisedIsShown(t *testing.T) {
	ctx := testCtx()
	w := NewWorkload(ctx)
	w.SetSize(140, 20)
	sel := map[string]string{"app": "web"}
	hpa := model.HPA{Namespace: "ns", Name: "web", TargetKind: "Deployment", TargetName: "web", Min: 2, Max: 10, Current: 2, Desired: 2}
	got := applyTo(ctx, w, &model.ClusterDelta{Reset: true, Deployments: []model.Deployment{{Namespace: "ns", Name: "web", Desired: 2, Ready: 2, Selector: sel}},
		HPAs: []model.HPA{hpa}})
	if strings.Contains(got, "raised") {
		t.Fatalf("the first sight of an HPA is no raise:\n%s", got)
	}
	hpa.Min = 6
	got = applyTo(ctx, w, &model.ClusterDelta{HPAs: []model.HPA{hpa}})
	if want := "min 6 max 10  min raised 2 → 6 at 10:00:00"; !strings.Contains(got, want) {
		t.Fatalf("lacks %q:\n%s", want, got)
	}
	hpa.Min = 2
	if got = applyTo(ctx, w, &model.ClusterDelta{HPAs: []model.HPA{hpa}}); strings.Contains(got, "raised") {
		t.Fatalf("lowered again, still says raised:\n%s", got)
	}
}

// TestEventsPaneShowsTheAutoscalerFromElsewhere: the session's namespace, plus the
// cluster-autoscaler's events from its own namespace and default (nodes); no other controller's.
func TestEventsPaneShowsTheAutoscalerFromElsewhere(t *testing.T) {
	ctx := testCtx()
	e := NewEvents(ctx)
	e.SetSize(140, 10)
	d := &model.ClusterDelta{Reset: true, Events: []model.Event{
		{Namespace: "ns", Name: "a", Time: now, Reason: "Killing", Object: "Pod/web-1"},
		{Namespace: "default", Name: "b", Time: now, Reason: "ScaleDown", Object: "Node/n-4", Controller: "cluster-autoscaler"},
		{Namespace: "kube-system", Name: "c", Time: now, Reason: "ScaledUpGroup", Object: "ConfigMap/cluster-autoscaler-status", Controller: "cluster-autoscaler"},
		{Namespace: "default", Name: "d", Time: now, Reason: "NodeReady", Object: "Node/n-4", Controller: "kubelet"},
	}}
	ctx.Cluster.Apply(d, now)
	e.Update(core.ClusterChangedMsg{Delta: d})
	got := ansi.Strip(e.View())
	for _, want := range []string{"Killing", "ScaleDown", "ScaledUpGroup"} {
		if !strings.Contains(got, want) {
			t.Errorf("lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, "NodeReady") {
		t.Errorf("another controller's event from default:\n%s", got)
	}
}

// TestShortPaneKeepsTheUrgentLines: when the pane is short, the VPA's slow-changing lines give way to
// the zones, pending pods and the autoscaler.
func TestShortPaneKeepsTheUrgentLines(t *testing.T) {
	ctx := testCtx()
	w := NewWorkload(ctx)
	w.SetSize(120, 9)
	sel := map[string]string{"app": "web"}
	busy := &model.Autoscaler{Format: "yaml", Status: "Running", ScaleUp: "InProgress",
		Groups: []model.NodeGroup{{Name: "zone-a", Ready: 2, Target: 3, Min: 1, Max: 5, ScaleUp: "InProgress"}}}
	got := applyTo(ctx, w, &model.ClusterDelta{Reset: true, Autoscaler: busy,
		Deployments: []model.Deployment{{Namespace: "ns", Name: "web", Desired: 2, Ready: 1, Selector: sel}},
		Nodes:       []model.Node{{Name: "n1", Zone: "zone-a", Ready: true}},
		Pods: []model.Pod{{Namespace: "ns", Name: "web-1", Phase: "Running", Ready: true, Node: "n1", Labels: sel},
			{Namespace: "ns", Name: "web-2", Phase: "Pending", Labels: sel}},
		VPAs: []model.VPA{{Namespace: "ns", Name: "web-vpa", TargetKind: "Deployment", TargetName: "web", Mode: "Auto"}}})
	for _, want := range []string{"zones", "autoscaler scale-up InProgress"} {
		if !strings.Contains(got, want) {
			t.Errorf("a short pane lost %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "VPA web-vpa") {
		t.Errorf("the VPA line took the room of the urgent ones:\n%s", got)
	}
}
