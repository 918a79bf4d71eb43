package sim

import (
	"fmt"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

var (
	podsGVR        = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	podsGVK        = schema.GroupVersionKind{Version: "v1", Kind: "Pod"}
	nodesGVR       = schema.GroupVersionResource{Version: "v1", Resource: "nodes"}
	namespacesGVR  = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	deploymentsGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	replicasetsGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "replicasets"}
	hpaGVR         = schema.GroupVersionResource{Group: "autoscaling", Version: "v2", Resource: "horizontalpodautoscalers"}
	eventsGVR      = schema.GroupVersionResource{Group: "events.k8s.io", Version: "v1", Resource: "events"}
	pdbGVR         = schema.GroupVersionResource{Group: "policy", Version: "v1", Resource: "poddisruptionbudgets"}
)

func meta(ns, name string, created time.Time, labels map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels, CreationTimestamp: metav1.NewTime(created),
		UID: types.UID(fmt.Sprintf("uid-%s-%s", ns, name))}
}

func selector(l map[string]string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: l}
}

func ownerRef(apiVersion, kind, name string) []metav1.OwnerReference {
	t := true
	return []metav1.OwnerReference{{APIVersion: apiVersion, Kind: kind, Name: name, Controller: &t, UID: types.UID("uid-" + name)}}
}

func podTemplate(w *workload) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: w.labels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: w.name, Image: "ghcr.io/gamedaylab/demoapp:1.4.2",
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: *resource.NewMilliQuantity(int64(w.cpuRequest), resource.DecimalSI)},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: *resource.NewMilliQuantity(int64(w.cpuLimit), resource.DecimalSI)},
			},
		}}},
	}
}

func (s *Sim) mustCreate(gvr schema.GroupVersionResource, ns string, obj runtime.Object) {
	if err := s.client.Tracker().Create(gvr, obj, ns); err != nil {
		panic(fmt.Sprintf("sim: create %s: %v", gvr.Resource, err))
	}
}

// event records a Kubernetes event the way the named controller would.
func (s *Sim) event(kind, name, typ, reason, controller, note string) {
	s.evSeq++
	ev := &eventsv1.Event{
		ObjectMeta:          meta(Namespace, fmt.Sprintf("%s.%x", name, 0x17a0000000+s.evSeq), s.Now(), nil),
		EventTime:           metav1.NewMicroTime(s.Now()),
		Regarding:           corev1.ObjectReference{Kind: kind, Name: name, Namespace: Namespace},
		Type:                typ,
		Reason:              reason,
		Note:                note,
		ReportingController: controller,
		ReportingInstance:   controller + "-sim",
		Action:              reason,
	}
	_ = s.client.Tracker().Create(eventsGVR, ev, Namespace)
}

func (s *Sim) listPods() []corev1.Pod {
	obj, err := s.client.Tracker().List(podsGVR, podsGVK, Namespace)
	if err != nil {
		return nil
	}
	return obj.(*corev1.PodList).Items
}

func (s *Sim) deployment(name string) *appsv1.Deployment {
	obj, err := s.client.Tracker().Get(deploymentsGVR, Namespace, name)
	if err != nil {
		return nil
	}
	return obj.(*appsv1.Deployment)
}

// plans returns the pod plans sorted by name: map order is random, and the model must consume its
// random numbers in a fixed order to be deterministic for a seed.
func (s *Sim) plans() []*podPlan {
	out := make([]*podPlan, 0, len(s.pods))
	for _, p := range s.pods {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func (s *Sim) workloadNames() []string {
	names := make([]string, 0, len(s.specs))
	for n := range s.specs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func max32(a, b int32) int32 {
	if a > b {
		return a
	}
	return b
}
