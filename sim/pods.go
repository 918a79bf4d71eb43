package sim

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// createPod makes a pod of w. Pods made at bootstrap start already running and ready.
func (s *Sim) createPod(w *workload, created time.Time, running bool) *podPlan {
	name := w.rsName + "-" + s.randString(5)
	p := &podPlan{name: name, workload: w.name, rs: w.rsName, created: created, node: s.pickNode(w.name)}
	switch {
	case p.node == "":
		p.scheduled, p.started, p.ready = farFuture, farFuture, farFuture
	case running:
		p.scheduled, p.started, p.ready = created, created.Add(time.Second), created.Add(w.warmup+time.Second)
	default:
		p.scheduled = created.Add(jitter(s, 200, 600))
		p.started = p.scheduled.Add(jitter(s, 900, 1800))
		p.ready = p.started.Add(w.warmup + jitter(s, 0, 1200))
	}
	s.pods[name] = p
	pod := &corev1.Pod{ObjectMeta: meta(Namespace, name, created, w.labels)}
	pod.OwnerReferences = ownerRef("apps/v1", "ReplicaSet", w.rsName)
	grace := int64(30)
	pod.Spec.TerminationGracePeriodSeconds = &grace
	pod.Spec.Containers = []corev1.Container{{Name: w.name, Image: "ghcr.io/gamedaylab/demoapp:1.4.2"}}
	pod.Status.Phase = corev1.PodPending
	s.mustCreate(podsGVR, Namespace, pod)
	if running {
		s.writePodStage(p, 3, created)
	}
	return p
}

func jitter(s *Sim, minMs, maxMs int) time.Duration {
	return time.Duration(minMs+s.rng.Intn(maxMs-minMs+1)) * time.Millisecond
}

// stage of a plan at time now: 0 pending, 1 scheduled (creating), 2 running, 3 ready.
func (p *podPlan) stage(now time.Time) int {
	switch {
	case !now.Before(p.ready):
		return 3
	case !now.Before(p.started):
		return 2
	case !now.Before(p.scheduled):
		return 1
	}
	return 0
}

func (p *podPlan) servesTraffic(now time.Time) bool { return p.deleting.IsZero() && p.stage(now) == 3 }

// writePodStage writes the status a kubelet would report at that lifecycle stage.
func (s *Sim) writePodStage(p *podPlan, stage int, now time.Time) {
	obj, err := s.client.Tracker().Get(podsGVR, Namespace, p.name)
	if err != nil {
		return
	}
	pod := obj.(*corev1.Pod)
	cond := func(t corev1.PodConditionType, ok bool, at time.Time) corev1.PodCondition {
		st := corev1.ConditionFalse
		if ok {
			st = corev1.ConditionTrue
		}
		return corev1.PodCondition{Type: t, Status: st, LastTransitionTime: metav1.NewTime(at)}
	}
	if stage >= 1 {
		pod.Spec.NodeName = p.node
	}
	cs := corev1.ContainerStatus{Name: p.workload, Image: "ghcr.io/gamedaylab/demoapp:1.4.2"}
	switch stage {
	case 0:
		pod.Status.Phase = corev1.PodPending
	case 1:
		pod.Status.Phase = corev1.PodPending
		pod.Status.Conditions = []corev1.PodCondition{cond(corev1.PodScheduled, true, p.scheduled)}
		cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}
	default:
		pod.Status.Phase = corev1.PodRunning
		ready := stage == 3
		readyAt := p.started
		if ready {
			readyAt = p.ready
		}
		pod.Status.Conditions = []corev1.PodCondition{
			cond(corev1.PodScheduled, true, p.scheduled),
			cond(corev1.PodInitialized, true, p.scheduled),
			cond(corev1.ContainersReady, ready, readyAt),
			cond(corev1.PodReady, ready, readyAt),
		}
		cs.Ready = ready
		st := metav1.NewTime(p.started)
		cs.State.Running = &corev1.ContainerStateRunning{StartedAt: st}
		pod.Status.StartTime = &st
	}
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{cs}
	p.phaseSeen = stage
	_ = s.client.Tracker().Update(podsGVR, pod, Namespace)
}

// startTermination begins a graceful shutdown of p (also marking the API object when the simulation
// itself deletes it; a delete through the API was already marked by the reactor).
func (s *Sim) startTermination(p *podPlan, now time.Time, grace time.Duration, fromAPI bool) {
	w := s.specs[p.workload]
	p.deleting = now
	if grace <= 0 || grace > w.grace {
		grace = w.grace // the app drains faster than its grace period allows
	}
	p.goneAt = now.Add(grace)
	if !fromAPI {
		if obj, err := s.client.Tracker().Get(podsGVR, Namespace, p.name); err == nil {
			pod := obj.(*corev1.Pod)
			ts := metav1.NewTime(now.Add(30 * time.Second))
			pod.DeletionTimestamp = &ts
			_ = s.client.Tracker().Update(podsGVR, pod, Namespace)
		}
	}
	s.event("Pod", p.name, "Normal", "Killing", "kubelet", "Stopping container "+p.workload)
	if p.stage(now) == 3 {
		s.traffic.podLost(s, p, now, false)
	}
	s.logLifecycle(p, now, "warn", fmt.Sprintf("SIGTERM received: draining %d in-flight requests", s.traffic.inflightPerPod(s)))
}

// runKubelet moves each pod along its timeline and removes terminated pods.
func (s *Sim) runKubelet(now time.Time) {
	seen := map[string]bool{}
	for _, pod := range s.listPods() {
		seen[pod.Name] = true
		p, ok := s.pods[pod.Name]
		if !ok {
			continue // not ours (nothing else creates pods in the demo namespace)
		}
		if pod.DeletionTimestamp != nil && p.deleting.IsZero() {
			var grace time.Duration
			if pod.DeletionGracePeriodSeconds != nil {
				grace = time.Duration(*pod.DeletionGracePeriodSeconds) * time.Second
			}
			s.startTermination(p, now, grace, true)
		}
		if !p.deleting.IsZero() {
			if !now.Before(p.goneAt) {
				_ = s.client.Tracker().Delete(podsGVR, Namespace, p.name)
				delete(s.pods, p.name)
				s.logLifecycle(p, now, "info", "shutdown complete")
			}
			continue
		}
		if p.node == "" {
			s.retrySchedule(p, now)
		}
		st := p.stage(now)
		for p.phaseSeen < st {
			next := p.phaseSeen + 1
			switch next {
			case 1:
				s.event("Pod", p.name, "Normal", "Scheduled", "default-scheduler",
					fmt.Sprintf("Successfully assigned %s/%s to %s", Namespace, p.name, p.node))
			case 2:
				s.event("Pod", p.name, "Normal", "Pulled", "kubelet", `Container image "ghcr.io/gamedaylab/demoapp:1.4.2" already present on machine`)
				s.event("Pod", p.name, "Normal", "Started", "kubelet", "Started container "+p.workload)
				s.logLifecycle(p, now, "info", "starting demoapp 1.4.2 on :8080")
			case 3:
				s.logLifecycle(p, now, "info", fmt.Sprintf("ready: warm-up done in %.1fs", p.ready.Sub(p.started).Seconds()))
			}
			s.writePodStage(p, next, now)
		}
	}
	// Pods that vanished from the API without a graceful phase were force-deleted (grace 0).
	for _, p := range s.plans() {
		if name := p.name; !seen[name] {
			if p.deleting.IsZero() && p.stage(now) == 3 {
				s.traffic.podLost(s, p, now, true)
			}
			s.event("Pod", p.name, "Warning", "Killing", "kubelet", "Force-deleted: container "+p.workload+" killed without grace")
			s.logLifecycle(p, now, "error", "killed (SIGKILL): in-flight requests dropped")
			delete(s.pods, name)
		}
	}
}

// farFuture stands for "not yet" in a pod's timeline.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
