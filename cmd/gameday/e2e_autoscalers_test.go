package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/gamedaylab/gameday/testbed"
)

// TestEndToEndAutoscalersInTmux: in a real terminal at 80x24 (the workload pane zoomed) and 200x60,
// the target's VPA line carries the real recommender's recommendation and its eviction warning; a
// pod of the target that no node fits shows the cluster-autoscaler's status (written as the 1.30+
// YAML), and its TriggeredScaleUp, a node added (kwok) and the pod scheduled complete the scale-up
// stopwatch; raising the HPA's min replicas is said on its line.
func TestEndToEndAutoscalersInTmux(t *testing.T) {
	t.Parallel() // mostly waits on real servers and its own binary: it runs beside the others that do
	followed := regexp.MustCompile(`web cpu 250m → (\d+)m `)
	k := testbed.SharedKube(t)
	testbed.SharedRecommender(t, k)
	ns := k.Namespace(t, "e2e-vpa")
	caNS := k.Namespace(t, "e2e-ca")
	deployWeb(t, k.Client, ns, 2, "800m", false)
	k.CreateVPA(t, ns, "web-vpa", "web", "Recreate")
	ctx := context.Background()
	// An HPA whose target the usage never reaches, so it holds its min; over-provisioning raises that.
	testbed.CreateHPA(t, k.Client, ns, "web", 2, 6, 1000)
	status, err := os.ReadFile("../../sources/kube/testdata/autoscaler-status.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Client.CoreV1().ConfigMaps(caNS).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "cluster-autoscaler-status", Namespace: caNS},
		Data:       map[string]string{"status": string(status)}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	bin := gamedayBinary(t)
	for i, size := range [][2]int{{80, 24}, {200, 60}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "gameday.yaml")
			if err := os.WriteFile(cfg, []byte("autoscaler:\n  namespace: "+caNS+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			s := newTmux(t, size[0], size[1], fmt.Sprintf("env XDG_CONFIG_HOME=%s XDG_STATE_HOME=%s %s --kubeconfig %s -n %s --target deploy/web --config %s --no-record; echo EXITED $?; sleep 30",
				dir, dir, bin, k.Kubeconfig, ns, cfg))
			s.waitFor(30*time.Second, "Workload deploy/web", "Running")
			if size[0] == 80 {
				s.keys("z") // the pane is too short for every line: a facilitator zooms it
				s.waitFor(5*time.Second, "(z: unzoom)")
			}
			s.waitFor(60*time.Second, "VPA web-vpa mode Recreate ⚠ evicts pods to apply", "web cpu 250m → ")
			// The first recommendation may be the recommender's minimum, before any sample; the one
			// that follows kwok's emulated 800m is what a facilitator reads.
			var screen string
			deadline := time.Now().Add(150 * time.Second)
			for {
				screen = s.capture()
				if m := followed.FindStringSubmatch(screen); m != nil {
					if n, _ := strconv.Atoi(m[1]); n >= 400 {
						break
					}
				}
				if time.Now().After(deadline) {
					t.Fatalf("no recommendation of at least 400m in 150 s:\n%s", screen)
				}
				time.Sleep(500 * time.Millisecond)
			}
			if testing.Verbose() {
				t.Logf("VPA line:\n%s", screen)
			}

			if i == 1 { // over-provisioning ahead of a peak: the HPA's floor goes up, and the line says when
				s.waitFor(30*time.Second, "HPA ", "min 2 max 6")
				patch := []byte(`{"spec":{"minReplicas":4}}`)
				if _, err := k.Client.AutoscalingV2().HorizontalPodAutoscalers(ns).Patch(ctx, "web", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
					t.Fatal(err)
				}
				s.waitFor(20*time.Second, "min 4 max 6  min raised 2 → 4 at ")
			}

			// A pod of the target that only a node not there yet would fit.
			pool := fmt.Sprintf("burst-%d", i)
			pod := "web-" + pool
			tol := []corev1.Toleration{{Key: "gameday.dev/pool", Operator: corev1.TolerationOpEqual, Value: pool, Effect: corev1.TaintEffectNoSchedule}}
			if _, err := k.Client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: pod, Namespace: ns, Labels: map[string]string{"app": "web"}},
				Spec: corev1.PodSpec{NodeSelector: map[string]string{"gameday.dev/pool": pool}, Tolerations: tol,
					Containers: []corev1.Container{{Name: "web", Image: "ghcr.io/gamedaylab/demoapp:test"}}},
			}, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			s.waitFor(30*time.Second, "1 pending", "autoscaler scale-up InProgress", "zone-a 2/3 (1–5) scaling up")
			time.Sleep(2 * time.Second) // the autoscaler takes its time; the stopwatch must show it
			now := metav1.NewMicroTime(time.Now())
			if _, err := k.Client.EventsV1().Events(ns).Create(ctx, &eventsv1.Event{
				ObjectMeta: metav1.ObjectMeta{Name: pod + ".scaleup", Namespace: ns}, EventTime: now,
				Regarding: corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: pod}, Reason: "TriggeredScaleUp",
				Note: "pod triggered scale-up: [{" + pool + " 0->1 (max: 3)}]", Type: "Normal", Action: "ScaleUp",
				ReportingController: "cluster-autoscaler", ReportingInstance: "cluster-autoscaler-testbed",
			}, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			s.waitFor(20*time.Second, "scale-up "+pod+": triggered +", "→ node … +")
			time.Sleep(2 * time.Second)
			node := "kwok-" + pool
			if _, err := k.Client.CoreV1().Nodes().Create(ctx, &corev1.Node{
				ObjectMeta: metav1.ObjectMeta{Name: node, Labels: map[string]string{"kubernetes.io/hostname": node, "type": "kwok",
					"gameday.dev/pool": pool, "topology.kubernetes.io/zone": pool},
					Annotations: map[string]string{"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"}},
				Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: "gameday.dev/pool", Value: pool, Effect: corev1.TaintEffectNoSchedule}}},
				Status: corev1.NodeStatus{Allocatable: corev1.ResourceList{"cpu": resource.MustParse("8"), "memory": resource.MustParse("32Gi"), "pods": resource.MustParse("110")},
					Capacity: corev1.ResourceList{"cpu": resource.MustParse("8"), "memory": resource.MustParse("32Gi"), "pods": resource.MustParse("110")}},
			}, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				_ = k.Client.CoreV1().Pods(ns).Delete(context.Background(), pod, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
				_ = k.Client.CoreV1().Nodes().Delete(context.Background(), node, metav1.DeleteOptions{})
			})
			screen = s.waitFor(60*time.Second, "→ node +", "→ scheduled +", "("+node+")")
			if testing.Verbose() {
				t.Logf("stopwatch:\n%s", screen)
			}
			s.keys("q")
			s.waitFor(20*time.Second, "EXITED 0")
		})
	}
}
