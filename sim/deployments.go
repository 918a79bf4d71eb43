package sim

import (
	"fmt"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// reconcileReplicaSets plays the Deployment and ReplicaSet controllers: keep as many live pods as the
// Deployment asks for, creating replacements for terminating ones.
func (s *Sim) reconcileReplicaSets(now time.Time) {
	for _, name := range s.workloadNames() {
		w := s.specs[name]
		dep := s.deployment(name)
		if dep == nil || dep.Spec.Replicas == nil {
			continue
		}
		want := int(*dep.Spec.Replicas)
		if rev := dep.Spec.Template.Annotations[restartedAt]; rev != w.revision {
			s.newRevision(w, dep, rev)
		}
		var live, old []*podPlan
		for _, p := range s.plans() {
			if p.workload == name && p.deleting.IsZero() {
				if p.rs == w.rsName {
					live = append(live, p)
				} else {
					old = append(old, p)
				}
			}
		}
		if len(old) > 0 {
			s.rollOut(w, want, live, old, now)
			continue
		}
		// The Deployment controller scales the ReplicaSet and says so.
		if rsObj, err := s.client.Tracker().Get(replicasetsGVR, Namespace, w.rsName); err == nil {
			rs := rsObj.(*appsv1.ReplicaSet)
			if rs.Spec.Replicas != nil && int(*rs.Spec.Replicas) != want {
				dir := "up"
				if want < int(*rs.Spec.Replicas) {
					dir = "down"
				}
				s.event("Deployment", name, "Normal", "ScalingReplicaSet", "deployment-controller",
					fmt.Sprintf("Scaled %s replica set %s from %d to %d", dir, w.rsName, *rs.Spec.Replicas, want))
				r := int32(want)
				rs.Spec.Replicas = &r
				_ = s.client.Tracker().Update(replicasetsGVR, rs, Namespace)
			}
		}
		switch {
		case len(live) < want:
			for i := len(live); i < want; i++ {
				p := s.createPod(w, now, false)
				s.event("ReplicaSet", w.rsName, "Normal", "SuccessfulCreate", "replicaset-controller", "Created pod: "+p.name)
			}
		case len(live) > want:
			// Delete the least useful pods first, as the ReplicaSet controller ranks them: not ready
			// before ready, then the youngest.
			sort.Slice(live, func(i, j int) bool {
				ri, rj := live[i].stage(now) == 3, live[j].stage(now) == 3
				if ri != rj {
					return !ri
				}
				return live[i].created.After(live[j].created)
			})
			for _, p := range live[:len(live)-want] {
				s.startTermination(p, now, 0, false)
				s.event("ReplicaSet", w.rsName, "Normal", "SuccessfulDelete", "replicaset-controller", "Deleted pod: "+p.name)
			}
		}
	}
}

// restartedAt is the template annotation `kubectl rollout restart` (and gameday's R) sets.
const restartedAt = "kubectl.kubernetes.io/restartedAt"

// newRevision is the Deployment controller seeing a changed template: a new ReplicaSet, at 0.
func (s *Sim) newRevision(w *workload, dep *appsv1.Deployment, rev string) {
	w.oldRS = append(w.oldRS, w.rsName)
	w.rsName, w.revision = w.name+"-"+s.randString(10), rev
	zero := int32(0)
	rs := &appsv1.ReplicaSet{ObjectMeta: meta(Namespace, w.rsName, s.Now(), w.labels),
		Spec: appsv1.ReplicaSetSpec{Replicas: &zero, Selector: selector(w.labels), Template: *dep.Spec.Template.DeepCopy()}}
	rs.OwnerReferences = ownerRef("apps/v1", "Deployment", w.name)
	s.mustCreate(replicasetsGVR, Namespace, rs)
	dep.Generation++
	_ = s.client.Tracker().Update(deploymentsGVR, dep, Namespace)
}

// rollOut is one step of a RollingUpdate with the defaults (maxSurge 25% rounded up, maxUnavailable
// 25% rounded down): surge a new pod, and once it is ready let an old one go, never dropping below
// the ready minimum.
func (s *Sim) rollOut(w *workload, want int, cur, old []*podPlan, now time.Time) {
	surge := (want + 3) / 4
	minReady := want - want/4
	ready := func(p *podPlan) bool { return p.stage(now) == 3 }
	for len(cur)+len(old) < want+surge && len(cur) < want {
		p := s.createPod(w, now, false)
		cur = append(cur, p)
		s.event("ReplicaSet", w.rsName, "Normal", "SuccessfulCreate", "replicaset-controller", "Created pod: "+p.name)
	}
	readyNow := 0
	for _, p := range append(append([]*podPlan(nil), cur...), old...) {
		if ready(p) {
			readyNow++
		}
	}
	sort.Slice(old, func(i, j int) bool { return !ready(old[i]) && ready(old[j]) })
	left := len(old)
	for _, p := range old {
		if ready(p) {
			if readyNow-1 < minReady {
				break
			}
			readyNow--
		}
		s.startTermination(p, now, 0, false)
		s.event("ReplicaSet", p.rs, "Normal", "SuccessfulDelete", "replicaset-controller", "Deleted pod: "+p.name)
		left--
	}
	s.setRSReplicas(w.name, w.rsName, len(cur))
	counts := map[string]int{}
	for _, p := range old {
		if p.deleting.IsZero() {
			counts[p.rs]++
		}
	}
	for _, rs := range w.oldRS {
		s.setRSReplicas(w.name, rs, counts[rs])
	}
}

// setRSReplicas is the Deployment controller scaling one ReplicaSet, and saying so.
func (s *Sim) setRSReplicas(deploy, name string, n int) {
	obj, err := s.client.Tracker().Get(replicasetsGVR, Namespace, name)
	if err != nil {
		return
	}
	rs := obj.(*appsv1.ReplicaSet)
	if rs.Spec.Replicas != nil && int(*rs.Spec.Replicas) == n {
		return
	}
	dir := "up"
	if rs.Spec.Replicas != nil && n < int(*rs.Spec.Replicas) {
		dir = "down"
	}
	s.event("Deployment", deploy, "Normal", "ScalingReplicaSet", "deployment-controller", fmt.Sprintf("Scaled %s replica set %s to %d", dir, name, n))
	r := int32(n)
	rs.Spec.Replicas = &r
	_ = s.client.Tracker().Update(replicasetsGVR, rs, Namespace)
}

// updateStatuses writes Deployment and ReplicaSet status like their controllers, only when it changed.
func (s *Sim) updateStatuses() {
	now := s.Now()
	for _, name := range s.workloadNames() {
		w := s.specs[name]
		var replicas, ready, updated int32
		perRS := map[string][2]int32{}
		for _, p := range s.plans() {
			if p.workload != name || !p.deleting.IsZero() {
				continue
			}
			replicas++
			c := perRS[p.rs]
			c[0]++
			if p.stage(now) == 3 {
				ready++
				c[1]++
			}
			perRS[p.rs] = c
			if p.rs == w.rsName {
				updated++
			}
		}
		if dep := s.deployment(name); dep != nil {
			st := appsv1.DeploymentStatus{Replicas: replicas, ReadyReplicas: ready, AvailableReplicas: ready,
				UpdatedReplicas: updated, UnavailableReplicas: max32(*dep.Spec.Replicas-ready, 0), ObservedGeneration: dep.Generation}
			avail := corev1.ConditionFalse
			if ready >= *dep.Spec.Replicas {
				avail = corev1.ConditionTrue
			}
			st.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: avail}}
			if old := dep.Status; old.Replicas != st.Replicas || old.ReadyReplicas != st.ReadyReplicas ||
				old.UpdatedReplicas != st.UpdatedReplicas || old.ObservedGeneration != st.ObservedGeneration ||
				len(old.Conditions) == 0 || old.Conditions[0].Status != avail {
				dep.Status = st
				_ = s.client.Tracker().Update(deploymentsGVR, dep, Namespace)
			}
		}
		for _, rsName := range append(append([]string(nil), w.oldRS...), w.rsName) {
			rsObj, err := s.client.Tracker().Get(replicasetsGVR, Namespace, rsName)
			if err != nil {
				continue
			}
			rs := rsObj.(*appsv1.ReplicaSet)
			c := perRS[rsName]
			if rs.Status.Replicas != c[0] || rs.Status.ReadyReplicas != c[1] {
				rs.Status.Replicas, rs.Status.ReadyReplicas, rs.Status.AvailableReplicas = c[0], c[1], c[1]
				_ = s.client.Tracker().Update(replicasetsGVR, rs, Namespace)
			}
		}
	}
	s.updatePDB(now)
}
