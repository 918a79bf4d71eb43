package sim

import (
	"fmt"
	"math"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// schedulable is the set of nodes that are not cordoned.
func (s *Sim) schedulable() map[string]bool {
	out := map[string]bool{}
	for _, n := range s.nodes {
		if obj, err := s.client.Tracker().Get(nodesGVR, "", n.name); err == nil && !obj.(*corev1.Node).Spec.Unschedulable {
			out[n.name] = true
		}
	}
	return out
}

// pickNode spreads a workload's pods over zones, then nodes, like a topology spread constraint, on
// nodes that are not cordoned; "" when none is left (the pod stays Pending).
func (s *Sim) pickNode(workload string) string {
	ok := s.schedulable()
	perZone, perNode := map[string]int{}, map[string]int{}
	for _, p := range s.plans() {
		if p.workload == workload && p.deleting.IsZero() {
			perNode[p.node]++
			for _, n := range s.nodes {
				if n.name == p.node {
					perZone[n.zone]++
				}
			}
		}
	}
	best := ""
	bestZ, bestN := math.MaxInt, math.MaxInt
	for _, n := range s.nodes {
		z, c := perZone[n.zone], perNode[n.name]
		if !ok[n.name] {
			continue
		}
		if z < bestZ || (z == bestZ && c < bestN) {
			best, bestZ, bestN = n.name, z, c
		}
	}
	return best
}

// retrySchedule plays the scheduler for a pending pod: it binds once a node is schedulable, and says
// why not (FailedScheduling, at most every 10 s) otherwise.
func (s *Sim) retrySchedule(p *podPlan, now time.Time) {
	if n := s.pickNode(p.workload); n != "" {
		w := s.specs[p.workload]
		p.node = n
		p.scheduled = now.Add(jitter(s, 100, 300))
		p.started = p.scheduled.Add(jitter(s, 900, 1800))
		p.ready = p.started.Add(w.warmup + jitter(s, 0, 1200))
		return
	}
	if now.Sub(p.lastFailedSched) >= 10*time.Second {
		p.lastFailedSched = now
		s.event("Pod", p.name, "Warning", "FailedScheduling", "default-scheduler",
			fmt.Sprintf("0/%d nodes are available: %d node(s) were unschedulable.", len(s.nodes), len(s.nodes)))
		if obj, err := s.client.Tracker().Get(podsGVR, Namespace, p.name); err == nil {
			pod := obj.(*corev1.Pod)
			if len(pod.Status.Conditions) == 0 {
				pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
					Reason: "Unschedulable", Message: "0 nodes are available", LastTransitionTime: metav1.NewTime(now)}}
				_ = s.client.Tracker().Update(podsGVR, pod, Namespace)
			}
		}
	}
}
