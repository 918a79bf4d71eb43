package testbed

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

// DeployWeb creates deploy/web: fake pods (kwok) that report cpuUsage through kwok's usage annotation.
func DeployWeb(t testing.TB, cs kubernetes.Interface, ns string, replicas int32, cpuUsage string, spread bool) {
	t.Helper()
	DeployApp(t, cs, ns, "web", replicas, cpuUsage, spread, nil)
}

// DeployApp creates deploy/NAME (pods labelled app=NAME plus podLabels) and waits until it is ready.
func DeployApp(t testing.TB, cs kubernetes.Interface, ns, name string, replicas int32, cpuUsage string, spread bool, podLabels map[string]string) {
	t.Helper()
	labels := map[string]string{"app": name}
	tmpl := map[string]string{"app": name}
	for k, v := range podLabels {
		tmpl[k] = v
	}
	grace := int64(2)
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: tmpl, Annotations: map[string]string{"kwok.x-k8s.io/usage-cpu": cpuUsage}},
				Spec: corev1.PodSpec{
					TerminationGracePeriodSeconds: &grace,
					Containers: []corev1.Container{{Name: "web", Image: "ghcr.io/gamedaylab/demoapp:test",
						Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")}}}},
				},
			},
		},
	}
	if spread {
		d.Spec.Template.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{
			MaxSkew: 1, TopologyKey: "topology.kubernetes.io/zone", WhenUnsatisfiable: corev1.DoNotSchedule,
			LabelSelector: &metav1.LabelSelector{MatchLabels: labels},
			// Cordoned nodes leave the spread domains; otherwise a drained zone pins the skew and the
			// replacements cannot schedule (a real drill finding, not what this test is about).
			NodeTaintsPolicy: ptr(corev1.NodeInclusionPolicyHonor),
		}}
	}
	if _, err := cs.AppsV1().Deployments(ns).Create(context.Background(), d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	WaitAppReady(t, cs, ns, name, replicas, 60*time.Second)
}

// WaitReady waits until deploy/web has want ready replicas (and no more).
func WaitReady(t testing.TB, cs kubernetes.Interface, ns string, want int32, d time.Duration) {
	t.Helper()
	WaitAppReady(t, cs, ns, "web", want, d)
}

// WaitAppReady waits until deploy/NAME has want ready replicas (and no more).
func WaitAppReady(t testing.TB, cs kubernetes.Interface, ns, name string, want int32, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		dep, err := cs.AppsV1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{})
		if err == nil && dep.Status.ReadyReplicas == want && dep.Status.Replicas == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("deploy/%s in %s not %d ready after %s: %+v", name, ns, want, d, dep.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func ptr[T any](v T) *T { return &v }

// GuardWeb creates a PodDisruptionBudget of minAvailable over deploy/web's pods and waits until the
// PDB controller has computed it allows allowed disruptions.
func GuardWeb(t testing.TB, cs kubernetes.Interface, ns string, minAvailable, allowed int32) {
	t.Helper()
	GuardApp(t, cs, ns, "web", minAvailable, allowed)
}

// GuardApp is GuardWeb for deploy/NAME.
func GuardApp(t testing.TB, cs kubernetes.Interface, ns, name string, minAvailable, allowed int32) {
	t.Helper()
	ctx := context.Background()
	minAvail := intstr.FromInt32(minAvailable)
	pdb := &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &minAvail, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}}}
	if _, err := cs.PolicyV1().PodDisruptionBudgets(ns).Create(ctx, pdb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := cs.PolicyV1().PodDisruptionBudgets(ns).Get(ctx, name, metav1.GetOptions{})
		if b != nil && b.Status.ObservedGeneration > 0 && b.Status.DisruptionsAllowed == allowed {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("PDB not computed: %+v", b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// PodNames lists the names of the pods in ns that selector (a label selector) picks, sorted.
func PodNames(t testing.TB, cs kubernetes.Interface, ns, selector string) []string {
	t.Helper()
	l, err := cs.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(l.Items))
	for _, p := range l.Items {
		out = append(out, p.Name)
	}
	sort.Strings(out)
	return out
}

// CreateHPA makes an autoscaling/v2 HPA NAME on deploy/NAME scaling on CPU utilisation (percent of
// the requests) between minR and maxR.
func CreateHPA(t testing.TB, cs kubernetes.Interface, ns, name string, minR, maxR, cpuPercent int32) {
	t.Helper()
	hpa := &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: name},
			MinReplicas:    &minR, MaxReplicas: maxR,
			Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
				Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &cpuPercent}}}},
		}}
	if _, err := cs.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(context.Background(), hpa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// ReadyAfter makes deploy/NAME's pods take d to become ready after they start (kwok's pod-ready
// stage reads the annotation, as a readiness probe would pass only after the app's start-up), and
// waits for the rollout of that change: want replicas ready, none of the old ones left.
func ReadyAfter(t testing.TB, cs kubernetes.Interface, ns, name string, d time.Duration, want int32) {
	t.Helper()
	patch := fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{"pod-ready.stage.kwok.x-k8s.io/delay":%q}}}}}`, d.String())
	if _, err := cs.AppsV1().Deployments(ns).Patch(context.Background(), name, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60*time.Second + 3*d*time.Duration(want))
	for {
		dep, err := cs.AppsV1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{})
		if err == nil && dep.Status.ObservedGeneration >= dep.Generation && dep.Status.UpdatedReplicas == want &&
			dep.Status.ReadyReplicas == want && dep.Status.Replicas == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("deploy/%s in %s did not roll out with a %s start-up: %+v", name, ns, d, dep.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
