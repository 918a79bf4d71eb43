package session

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/testbed"
)

// TestVPARecommendationOfTheRealRecommender: a VPA on the target, a real recommender reading kwok's
// emulated CPU through metrics-server; the session's cluster carries the recommendation the
// recommender wrote (exactly the API's), the mode, its eviction warning and the template's requests.
func TestVPARecommendationOfTheRealRecommender(t *testing.T) {
	t.Parallel() // mostly waits on real servers: it runs beside the others that do
	k := testbed.SharedKube(t)
	rec := testbed.SharedRecommender(t, k)
	ns := k.Namespace(t, "vpa")
	testbed.DeployWeb(t, k.Client, ns, 2, "800m", false)
	k.CreateVPA(t, ns, "web-vpa", "web", "Recreate")
	s := startOnTestbed(t, k, ns, nil)
	var v model.VPA
	var reqs []model.ContainerRequests
	deadline := time.Now().Add(150 * time.Second)
	for {
		found := false
		s.Store(func(c *model.Cluster) {
			// The first recommendation may come before any sample (the recommender's minimum); the
			// one that counts follows the 800m kwok emulates.
			if p := c.VPAFor(ns, "web"); p != nil && len(p.Containers) > 0 && p.Containers[0].Target.CPU != "" {
				if q, err := resource.ParseQuantity(p.Containers[0].Target.CPU); err == nil && q.MilliValue() >= 400 {
					v, found = *p, true
				}
			}
			if d := c.Deployment(ns, "web"); d != nil {
				reqs = d.Requests
			}
		})
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recommendation of at least 400m reached the session in 150 s; the recommender's log:\n%s", rec.LogTail(30))
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("recommendation %+v, conditions %+v", v.Containers, v.Conditions)
	if v.Mode != "Recreate" || !v.Evicts() || v.TargetKind != "Deployment" || v.TargetName != "web" {
		t.Fatalf("VPA %+v", v)
	}
	want := []model.ContainerRequests{{Container: "web", Requests: model.Resources{CPU: "250m"}}}
	if !reflect.DeepEqual(reqs, want) {
		t.Fatalf("requests %+v, want %+v", reqs, want)
	}
	// The recommendation is the recommender's own: what the API holds once it stops changing.
	u := k.VPA(t, ns, "web-vpa")
	recs, _, _ := unstructured.NestedSlice(u.Object, "status", "recommendation", "containerRecommendations")
	if len(recs) != 1 {
		t.Fatalf("the API's recommendation %v", recs)
	}
	apiTarget, _, _ := unstructured.NestedString(recs[0].(map[string]any), "target", "cpu")
	if apiTarget == "" || v.Containers[0].Container != "web" || v.Containers[0].Lower.CPU == "" || v.Containers[0].Upper.CPU == "" {
		t.Fatalf("session %+v, API target %q", v.Containers, apiTarget)
	}
	deadline = time.Now().Add(20 * time.Second)
	for {
		var got string
		s.Store(func(c *model.Cluster) { got = c.VPAFor(ns, "web").Containers[0].Target.CPU })
		u := k.VPA(t, ns, "web-vpa")
		recs, _, _ := unstructured.NestedSlice(u.Object, "status", "recommendation", "containerRecommendations")
		apiTarget, _, _ = unstructured.NestedString(recs[0].(map[string]any), "target", "cpu")
		if got == apiTarget {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("session target %s, API target %s", got, apiTarget)
		}
		time.Sleep(200 * time.Millisecond)
	}
	provided := false
	for _, c := range v.Conditions {
		provided = provided || c.Type == "RecommendationProvided" && c.Status == "True"
	}
	if !provided {
		t.Fatalf("conditions %+v: want RecommendationProvided", v.Conditions)
	}
}

// TestAutoscalerStatusInBothFormats: the status ConfigMap as cluster-autoscaler writes it before 1.30
// (text) and since (YAML), in the configured namespace, read on the real apiserver; deleting it
// clears the status; the autoscaler's events on the target's pods, on its ConfigMap and on nodes reach
// the events (no other controller's from those namespaces).
func TestAutoscalerStatusInBothFormats(t *testing.T) {
	k := testbed.SharedKube(t)
	caNS := k.Namespace(t, "ca")
	ns := k.Namespace(t, "ca-app")
	testbed.DeployWeb(t, k.Client, ns, 1, "100m", false)
	cfg := config.Default()
	cfg.Autoscaler.Namespace = caNS
	s := startOnTestbed(t, k, ns, &cfg)
	ctx := context.Background()
	status := func() *model.Autoscaler {
		var a *model.Autoscaler
		s.Store(func(c *model.Cluster) { a = c.Autoscaler })
		return a
	}
	cms := k.Client.CoreV1().ConfigMaps(caNS)
	for i, file := range []string{"autoscaler-status.txt", "autoscaler-status.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "sources", "kube", "testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cluster-autoscaler-status", Namespace: caNS,
			Annotations: map[string]string{"cluster-autoscaler.kubernetes.io/last-updated": "2026-12-03 10:15:48.170542063 +0000 UTC"}},
			Data: map[string]string{"status": string(b)}}
		if i == 0 {
			_, err = cms.Create(ctx, cm, metav1.CreateOptions{})
		} else {
			_, err = cms.Update(ctx, cm, metav1.UpdateOptions{})
		}
		if err != nil {
			t.Fatal(err)
		}
		format := map[int]string{0: "text", 1: "yaml"}[i]
		waitFor(t, 20*time.Second, "the "+format+" status", func() bool {
			a := status()
			return a != nil && a.Format == format && a.Namespace == caNS && a.ScaleUp == "InProgress" && len(a.Groups) == 2 &&
				a.Groups[1].ScaleUp == "Backoff"
		})
	}
	if a := status(); a.Groups[1].BackoffCode != "QUOTA_EXCEEDED" {
		t.Fatalf("yaml status %+v", a)
	}
	// Another ConfigMap in that namespace is not the autoscaler's.
	if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "other", Namespace: caNS}, Data: map[string]string{"status": "x"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pods := testbed.PodNames(t, k.Client, ns, "app=web")
	now := metav1.NewMicroTime(time.Now())
	if _, err := k.Client.EventsV1().Events(ns).Create(ctx, &eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: "web.scaleup", Namespace: ns}, EventTime: now,
		Regarding: corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: pods[0]}, Reason: "TriggeredScaleUp",
		Note: "pod triggered scale-up: [{zone-a 2->3 (max: 5)}]", Type: "Normal", Action: "ScaleUp",
		ReportingController: "cluster-autoscaler", ReportingInstance: "cluster-autoscaler-testbed",
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the TriggeredScaleUp event", func() bool {
		seen := false
		s.Store(func(c *model.Cluster) {
			for _, e := range c.Events {
				seen = seen || e.Reason == "TriggeredScaleUp" && e.Object == "Pod/"+pods[0]
			}
		})
		return seen
	})
	// Its events outside the session's namespace, written as the autoscaler's recorder writes them
	// (core/v1, source and reporting controller cluster-autoscaler): on the status ConfigMap in its
	// namespace, on a node in default; and one of another controller in default, which stays out.
	for _, ev := range []corev1.Event{
		{ObjectMeta: metav1.ObjectMeta{Name: "ca-status." + caNS, Namespace: caNS}, Reason: "ScaledUpGroup",
			InvolvedObject: corev1.ObjectReference{Kind: "ConfigMap", Namespace: caNS, Name: "cluster-autoscaler-status"},
			Message:        "Scale-up: setting group zone-a size to 3 instead of 2 (max: 5)", ReportingController: "cluster-autoscaler"},
		{ObjectMeta: metav1.ObjectMeta{Name: "ca-node." + caNS, Namespace: "default"}, Reason: "ScaleDown",
			InvolvedObject: corev1.ObjectReference{Kind: "Node", Name: "kwok-zone-a-1"},
			Message:        "marked the node as toBeDeleted/unschedulable", ReportingController: "cluster-autoscaler"},
		{ObjectMeta: metav1.ObjectMeta{Name: "other-node." + caNS, Namespace: "default"}, Reason: "NodeReady",
			InvolvedObject: corev1.ObjectReference{Kind: "Node", Name: "kwok-zone-a-1"}, Message: "ready", ReportingController: "kubelet"},
	} {
		ev.Source = corev1.EventSource{Component: ev.ReportingController}
		ev.ReportingInstance, ev.Type, ev.Count = ev.ReportingController+"-testbed", "Normal", 1
		ev.FirstTimestamp, ev.LastTimestamp = metav1.Now(), metav1.Now()
		if _, err := k.Client.CoreV1().Events(ev.Namespace).Create(ctx, &ev, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 20*time.Second, "the autoscaler's events on its ConfigMap and on a node", func() bool {
		n := 0
		s.Store(func(c *model.Cluster) {
			for _, e := range c.Events {
				if e.Controller == "cluster-autoscaler" && (e.Reason == "ScaledUpGroup" && e.Namespace == caNS || e.Reason == "ScaleDown" && e.Object == "Node/kwok-zone-a-1") {
					n++
				}
			}
		})
		return n == 2
	})
	s.Store(func(c *model.Cluster) {
		for _, e := range c.Events {
			if e.Name == "other-node."+caNS {
				t.Errorf("another controller's event in default was watched: %+v", e.Event)
			}
		}
	})
	if err := cms.Delete(ctx, "cluster-autoscaler-status", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the status to go with its ConfigMap", func() bool { return status() == nil })
}
