package kube

import (
	"time"

	"github.com/gamedaylab/gameday/model"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ZoneLabel is the well-known topology label of a node's zone.
const ZoneLabel = "topology.kubernetes.io/zone"

// trimPod keeps only what the UI shows: a full Pod is ~10-20 KiB in memory, the trimmed one a few
// hundred bytes, which is what lets 10,000 pods cost little.
func trimPod(p *corev1.Pod) *corev1.Pod {
	out := &corev1.Pod{}
	out.Name, out.Namespace, out.UID = p.Name, p.Namespace, p.UID
	out.ResourceVersion = p.ResourceVersion
	out.Labels = p.Labels
	out.OwnerReferences = p.OwnerReferences
	out.CreationTimestamp = p.CreationTimestamp
	out.DeletionTimestamp = p.DeletionTimestamp
	out.Spec.NodeName = p.Spec.NodeName
	// Keep only container names: the count makes the READY column, the rest is large and unused.
	out.Spec.Containers = make([]corev1.Container, len(p.Spec.Containers))
	for i, c := range p.Spec.Containers {
		out.Spec.Containers[i].Name = c.Name
	}
	out.Status.Phase = p.Status.Phase
	out.Status.Reason = p.Status.Reason
	out.Status.Conditions = p.Status.Conditions
	for _, cs := range p.Status.ContainerStatuses {
		t := corev1.ContainerStatus{Name: cs.Name, RestartCount: cs.RestartCount, Ready: cs.Ready}
		if cs.State.Waiting != nil {
			t.State.Waiting = &corev1.ContainerStateWaiting{Reason: cs.State.Waiting.Reason}
		}
		out.Status.ContainerStatuses = append(out.Status.ContainerStatuses, t)
	}
	return out
}

// Transform is the informer transform: trim pods, drop managed fields everywhere else.
func Transform(obj any) (any, error) {
	switch o := obj.(type) {
	case *corev1.Pod:
		return trimPod(o), nil
	case metav1.Object:
		o.SetManagedFields(nil)
		if _, isNode := obj.(*corev1.Node); isNode {
			// Node images and conditions are large and unused; keep what podToZone and readiness need.
			n := obj.(*corev1.Node)
			n.Status.Images = nil
		}
		return obj, nil
	}
	return obj, nil
}

func toPod(p *corev1.Pod) model.Pod {
	out := model.Pod{
		Namespace: p.Namespace, Name: p.Name, UID: string(p.UID), Phase: string(p.Status.Phase),
		Reason: p.Status.Reason, Node: p.Spec.NodeName, Labels: p.Labels, Created: p.CreationTimestamp.Time,
	}
	if p.DeletionTimestamp != nil {
		out.Deleting = p.DeletionTimestamp.Time
	}
	for _, o := range p.OwnerReferences {
		if o.Controller != nil && *o.Controller {
			out.Owner = o.Name
		}
	}
	for _, c := range p.Status.Conditions {
		switch c.Type {
		case corev1.PodReady:
			out.Ready = c.Status == corev1.ConditionTrue
			if out.Ready {
				out.ReadyAt = c.LastTransitionTime.Time
			}
		case corev1.PodScheduled:
			if c.Status == corev1.ConditionTrue {
				out.Scheduled = c.LastTransitionTime.Time
			} else if c.Reason != "" {
				out.Reason = c.Reason
			}
		}
	}
	out.Containers = int32(len(p.Spec.Containers))
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Ready {
			out.ReadyContainers++
		}
		out.Restarts += cs.RestartCount
		if cs.State.Waiting != nil && cs.State.Waiting.Reason != "" && out.Reason == "" {
			out.Reason = cs.State.Waiting.Reason
		}
	}
	return out
}

func toDeployment(d *appsv1.Deployment) model.Deployment {
	out := model.Deployment{
		Namespace: d.Namespace, Name: d.Name, Ready: d.Status.ReadyReplicas, Available: d.Status.AvailableReplicas,
		Updated: d.Status.UpdatedReplicas, Current: d.Status.Replicas, Generation: d.Generation,
		Observed: d.Status.ObservedGeneration, Desired: 1,
	}
	if d.Spec.Replicas != nil {
		out.Desired = *d.Spec.Replicas
	}
	if d.Spec.Selector != nil {
		out.Selector = d.Spec.Selector.MatchLabels
	}
	for _, c := range d.Spec.Template.Spec.Containers {
		r := model.ContainerRequests{Container: c.Name}
		if q, ok := c.Resources.Requests[corev1.ResourceCPU]; ok {
			r.Requests.CPU = readableCPU(q.String())
		}
		if q, ok := c.Resources.Requests[corev1.ResourceMemory]; ok {
			r.Requests.Memory = readableMemory(q.String())
		}
		out.Requests = append(out.Requests, r)
	}
	return out
}

func toReplicaSet(r *appsv1.ReplicaSet) model.ReplicaSet {
	out := model.ReplicaSet{Namespace: r.Namespace, Name: r.Name, Ready: r.Status.ReadyReplicas, Created: r.CreationTimestamp.Time}
	if r.Spec.Replicas != nil {
		out.Desired = *r.Spec.Replicas
	}
	for _, o := range r.OwnerReferences {
		if o.Kind == "Deployment" {
			out.Deployment = o.Name
		}
	}
	return out
}

func toHPA(h *autoscalingv2.HorizontalPodAutoscaler) model.HPA {
	out := model.HPA{
		Namespace: h.Namespace, Name: h.Name, TargetKind: h.Spec.ScaleTargetRef.Kind,
		TargetName: h.Spec.ScaleTargetRef.Name, Max: h.Spec.MaxReplicas, Min: 1,
		Current: h.Status.CurrentReplicas, Desired: h.Status.DesiredReplicas,
	}
	if h.Spec.MinReplicas != nil {
		out.Min = *h.Spec.MinReplicas
	}
	if h.Status.LastScaleTime != nil {
		out.LastScale = h.Status.LastScaleTime.Time
	}
	out.ScaleDownWindow = 5 * time.Minute
	if b := h.Spec.Behavior; b != nil && b.ScaleDown != nil && b.ScaleDown.StabilizationWindowSeconds != nil {
		out.ScaleDownWindow = time.Duration(*b.ScaleDown.StabilizationWindowSeconds) * time.Second
	}
	if len(h.Spec.Metrics) > 0 {
		m := h.Spec.Metrics[0]
		if m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil {
			out.Metric = string(m.Resource.Name)
			if u := m.Resource.Target.AverageUtilization; u != nil {
				out.MetricTarget, out.MetricUnit = float64(*u), "%"
			} else if v := m.Resource.Target.AverageValue; v != nil {
				out.MetricTarget = v.AsApproximateFloat64()
			}
		} else {
			out.Metric = string(m.Type)
		}
	}
	for _, cm := range h.Status.CurrentMetrics {
		if cm.Type == autoscalingv2.ResourceMetricSourceType && cm.Resource != nil && string(cm.Resource.Name) == out.Metric {
			if u := cm.Resource.Current.AverageUtilization; u != nil && out.MetricUnit == "%" {
				out.MetricCurrent, out.HasCurrent = float64(*u), true
			} else if v := cm.Resource.Current.AverageValue; v != nil {
				out.MetricCurrent, out.HasCurrent = v.AsApproximateFloat64(), true
			}
		}
	}
	for _, c := range h.Status.Conditions {
		out.Conditions = append(out.Conditions, model.Condition{Type: string(c.Type), Status: string(c.Status), Reason: c.Reason, Message: c.Message})
	}
	return out
}

func toNode(n *corev1.Node) model.Node {
	out := model.Node{Name: n.Name, Zone: n.Labels[ZoneLabel], Unschedulable: n.Spec.Unschedulable, Created: n.CreationTimestamp.Time}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			out.Ready = c.Status == corev1.ConditionTrue
		}
	}
	return out
}

// EventTime picks the most meaningful time of an event: series last seen, event time, the deprecated
// timestamps, creation.
func EventTime(e *eventsv1.Event) time.Time {
	switch {
	case e.Series != nil && !e.Series.LastObservedTime.IsZero():
		return e.Series.LastObservedTime.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	case !e.DeprecatedLastTimestamp.IsZero():
		return e.DeprecatedLastTimestamp.Time
	case !e.DeprecatedFirstTimestamp.IsZero():
		return e.DeprecatedFirstTimestamp.Time
	}
	return e.CreationTimestamp.Time
}

func toEvent(e *eventsv1.Event) model.Event {
	out := model.Event{
		Namespace: e.Namespace, Name: e.Name, Time: EventTime(e), Type: e.Type, Reason: e.Reason,
		Note: e.Note, Object: e.Regarding.Kind + "/" + e.Regarding.Name, Count: 1, Controller: e.ReportingController,
	}
	if e.Series != nil {
		out.Count = e.Series.Count
	} else if e.DeprecatedCount > 0 {
		out.Count = e.DeprecatedCount
	}
	return out
}

func toPDB(p *policyv1.PodDisruptionBudget) model.PDB {
	out := model.PDB{Namespace: p.Namespace, Name: p.Name, DisruptionsAllowed: p.Status.DisruptionsAllowed,
		CurrentHealthy: p.Status.CurrentHealthy, DesiredHealthy: p.Status.DesiredHealthy}
	if p.Spec.Selector != nil {
		out.Selector = p.Spec.Selector.MatchLabels
	}
	return out
}
