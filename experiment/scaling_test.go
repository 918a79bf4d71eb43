package experiment

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/testbed"
)

// TestHPAReactionAgreesWithAWatch: the HPA reaction a run reports (load start -> the HPA's desired
// replicas changed -> ready replicas up to the new desired) agrees within 1 s with what an
// independent watch of the testbed's apiserver saw. The testbed's HPA controller scales on the CPU
// that metrics-server reads from kwok: the test raises the pods' usage when the load starts, as the
// load would on real pods.
func TestHPAReactionAgreesWithAWatch(t *testing.T) {
	t.Parallel() // mostly waits on real servers: it runs beside the others that do
	k := testbed.SharedKube(t)
	ns := k.Namespace(t, "hpa-reaction")
	testbed.DeployWeb(t, k.Client, ns, 2, "50m", false) // 20 % of the 250m request
	testbed.CreateHPA(t, k.Client, ns, "web", 2, 6, 50)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The HPA has read the metrics and holds at its minimum: the reaction starts from a settled state.
	deadline := time.Now().Add(90 * time.Second)
	for {
		h, err := k.Client.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(ctx, "web", metav1.GetOptions{})
		if err == nil && len(h.Status.CurrentMetrics) > 0 && h.Status.DesiredReplicas == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the HPA never read the pods' CPU: %+v (%v)", h.Status, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	app := testbed.StartDemoapp(t, "web", "--work-ms", "0")

	// The independent measurement: watches of their own, noting wall time as events arrive.
	var mu sync.Mutex
	var desiredAt, readyAt time.Time
	var desired int32
	hw, err := k.Client.AutoscalingV2().HorizontalPodAutoscalers(ns).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dw, err := k.Client.AppsV1().Deployments(ns).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for ev := range hw.ResultChan() {
			if h, ok := ev.Object.(*autoscalingv2.HorizontalPodAutoscaler); ok && h.Status.DesiredReplicas > 2 {
				mu.Lock()
				if desiredAt.IsZero() {
					desiredAt, desired = time.Now(), h.Status.DesiredReplicas
				}
				mu.Unlock()
			}
		}
	}()
	go func() {
		for ev := range dw.ResultChan() {
			if d, ok := ev.Object.(*appsv1.Deployment); ok {
				mu.Lock()
				if !desiredAt.IsZero() && readyAt.IsZero() && d.Status.ReadyReplicas >= desired {
					readyAt = time.Now()
				}
				mu.Unlock()
			}
		}
	}()

	cfg := config.Default()
	cfg.Load.Targets = []config.Target{{Name: "web", URL: "http://" + app.Addr + "/api/work"}}
	s := onTestbed(t, k, ns, &cfg)
	time.Sleep(2 * time.Second) // the session's informers listed
	// The load's effect on real pods: their CPU rises to 80 % of the request when it starts.
	go func() {
		for !s.LoadStatus().Active {
			if ctx.Err() != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		for _, p := range testbed.PodNames(t, k.Client, ns, "app=web") {
			patch := []byte(`{"metadata":{"annotations":{"kwok.x-k8s.io/usage-cpu":"200m"}}}`)
			if _, err := k.Client.CoreV1().Pods(ns).Patch(ctx, p, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
				t.Errorf("raise %s's CPU: %v", p, err)
			}
		}
	}()
	e := parse(t, `apiVersion: gameday.dev/v1alpha1
kind: Experiment
metadata: {name: hpa-reaction}
target: deploy/web
hypothesis:
  probes:
  - name: scaled-up
    kubernetes: {kind: HorizontalPodAutoscaler, name: web, expr: "object.status.desiredReplicas > 2"}
    phases: [after]
  - name: ready
    kubernetes: {kind: Deployment, name: web, expr: "object.status.?readyReplicas.orValue(0) == object.spec.replicas && object.spec.replicas > 2"}
    phases: [after]
method:
- action: load
  args: 5 2m
  background: true
- probe: scaled-up
  within: 90s
- probe: ready
  within: 60s
- wait: 2s
`)
	var out bytes.Buffer
	res := Run(context.Background(), s, e, &out, Options{})
	if res.Outcome != Held || len(res.Record.Scaling) != 1 {
		t.Fatalf("outcome %s, scaling %+v:\n%s", res.Outcome, res.Record.Scaling, out.String())
	}
	sc := res.Record.Scaling[0]
	mu.Lock()
	defer mu.Unlock()
	if desiredAt.IsZero() || readyAt.IsZero() || sc.DesiredChanged == 0 || sc.Ready == 0 {
		t.Fatalf("the watch saw desired at %v, ready at %v; the run %+v:\n%s", desiredAt, readyAt, sc, out.String())
	}
	watchDesired, watchReady := desiredAt.Sub(sc.Start), readyAt.Sub(sc.Start)
	t.Logf("HPA %d -> %d: desired changed: run %s, watch %s; new pods ready: run %s, watch %s", sc.From, sc.To, sc.DesiredChanged, watchDesired, sc.Ready, watchReady)
	if d := sc.DesiredChanged - watchDesired; d > time.Second || d < -time.Second {
		t.Errorf("desired changed: the run says %s, the watch %s", sc.DesiredChanged, watchDesired)
	}
	if d := sc.Ready - watchReady; d > time.Second || d < -time.Second {
		t.Errorf("new pods ready: the run says %s, the watch %s", sc.Ready, watchReady)
	}
}
