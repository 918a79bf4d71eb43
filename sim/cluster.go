package sim

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authv1 "k8s.io/api/authorization/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	k8stesting "k8s.io/client-go/testing"
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

// isDryRun reports whether an action asks for a server-side dry run.
func isDryRun(a k8stesting.Action) bool {
	var dr []string
	switch act := a.(type) {
	case k8stesting.DeleteActionImpl:
		dr = act.DeleteOptions.DryRun
	case k8stesting.PatchActionImpl:
		dr = act.PatchOptions.DryRun
	case k8stesting.UpdateActionImpl:
		dr = act.UpdateOptions.DryRun
	case k8stesting.CreateActionImpl:
		dr = act.CreateOptions.DryRun
	}
	for _, v := range dr {
		if v == metav1.DryRunAll {
			return true
		}
	}
	return false
}

// installReactors makes the fake clientset behave like an apiserver where the demo needs it: dry runs
// change nothing, and a graceful pod delete marks the pod terminating instead of removing it at once.
// Reactors run under the fake's lock, so they only touch the tracker and the atomic clock, never s.mu.
func (s *Sim) installReactors() {
	tr := s.client.Tracker()
	s.client.PrependReactor("*", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if !isDryRun(a) {
			return false, nil, nil
		}
		gvr := a.GetResource()
		var name string
		switch act := a.(type) {
		case k8stesting.DeleteActionImpl:
			name = act.Name
		case k8stesting.PatchActionImpl:
			name = act.Name
		case k8stesting.CreateActionImpl:
			// A dry-run create only validates: hand the object back.
			return true, act.Object, nil
		case k8stesting.UpdateActionImpl:
			return true, act.Object, nil
		}
		obj, err := tr.Get(gvr, a.GetNamespace(), name)
		return true, obj, err
	})
	// Every identity may do everything in the demo.
	s.client.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateActionImpl).Object.(*authv1.SelfSubjectAccessReview).DeepCopy()
		r.Status.Allowed = true
		return true, r, nil
	})
	// Evictions respect the PodDisruptionBudget like the eviction subresource does (429 when it
	// allows no disruption), then delete gracefully.
	s.client.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		act, ok := a.(k8stesting.CreateActionImpl)
		if !ok || act.Subresource != "eviction" {
			return false, nil, nil
		}
		ev := act.Object.(*policyv1.Eviction)
		obj, err := tr.Get(podsGVR, ev.Namespace, ev.Name)
		if err != nil {
			return true, nil, err
		}
		pod := obj.(*corev1.Pod)
		if pdbObj, err := tr.Get(pdbGVR, ev.Namespace, Target); err == nil && pod.Labels["app"] == Target {
			if pdbObj.(*policyv1.PodDisruptionBudget).Status.DisruptionsAllowed <= 0 {
				return true, nil, apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 10)
			}
		}
		if ev.DeleteOptions != nil && len(ev.DeleteOptions.DryRun) > 0 {
			return true, ev, nil
		}
		if pod.DeletionTimestamp == nil {
			ts := metav1.NewTime(s.Now().Add(30 * time.Second))
			pod.DeletionTimestamp = &ts
			if err := tr.Update(podsGVR, pod, ev.Namespace); err != nil {
				return true, nil, err
			}
		}
		return true, ev, nil
	})
	s.client.PrependReactor("delete", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		act, ok := a.(k8stesting.DeleteActionImpl)
		if !ok || isDryRun(a) {
			return false, nil, nil
		}
		obj, err := tr.Get(podsGVR, act.Namespace, act.Name)
		if err != nil {
			return true, nil, err
		}
		pod := obj.(*corev1.Pod)
		grace := int64(30)
		if pod.Spec.TerminationGracePeriodSeconds != nil {
			grace = *pod.Spec.TerminationGracePeriodSeconds
		}
		if g := act.DeleteOptions.GracePeriodSeconds; g != nil {
			grace = *g
		}
		if grace == 0 {
			return true, nil, tr.Delete(podsGVR, act.Namespace, act.Name)
		}
		if pod.DeletionTimestamp != nil {
			return true, pod, nil
		}
		ts := metav1.NewTime(s.Now().Add(time.Duration(grace) * time.Second))
		pod.DeletionTimestamp = &ts
		pod.DeletionGracePeriodSeconds = &grace
		return true, pod, tr.Update(podsGVR, pod, act.Namespace)
	})
}

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

func max32(a, b int32) int32 {
	if a > b {
		return a
	}
	return b
}

func (s *Sim) createPDB() {
	minAvail := intstr.FromInt32(2)
	pdb := &policyv1.PodDisruptionBudget{
		ObjectMeta: meta(Namespace, Target, s.Now().Add(-3*time.Hour), nil),
		Spec:       policyv1.PodDisruptionBudgetSpec{MinAvailable: &minAvail, Selector: selector(map[string]string{"app": Target})},
	}
	s.mustCreate(pdbGVR, Namespace, pdb)
}

func (s *Sim) updatePDB(now time.Time) {
	obj, err := s.client.Tracker().Get(pdbGVR, Namespace, Target)
	if err != nil {
		return
	}
	pdb := obj.(*policyv1.PodDisruptionBudget)
	var healthy int32
	for _, p := range s.plans() {
		if p.workload == Target && p.servesTraffic(now) {
			healthy++
		}
	}
	allowed := max32(healthy-2, 0)
	if pdb.Status.CurrentHealthy != healthy || pdb.Status.DisruptionsAllowed != allowed {
		pdb.Status = policyv1.PodDisruptionBudgetStatus{CurrentHealthy: healthy, DesiredHealthy: 2, DisruptionsAllowed: allowed}
		_ = s.client.Tracker().Update(pdbGVR, pdb, Namespace)
	}
}

// ---- the HPA ----

const (
	hpaSyncPeriod   = 15 * time.Second
	hpaTolerance    = 0.1
	hpaTarget       = 60 // percent of the CPU request
	hpaMin, hpaMax  = 2, 10
	scaleDownWindow = 60 * time.Second // the demo's HPA sets behavior.scaleDown.stabilizationWindowSeconds: 60
)

type hpaState struct {
	recs []hpaRec
}

type hpaRec struct {
	t time.Time
	n int32
}

func (s *Sim) createHPA() {
	minR, target, window := int32(hpaMin), int32(hpaTarget), int32(scaleDownWindow/time.Second)
	h := &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: meta(Namespace, Target, s.Now().Add(-3*time.Hour), nil),
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: Target},
			MinReplicas:    &minR,
			MaxReplicas:    hpaMax,
			Metrics: []autoscalingv2.MetricSpec{{
				Type: autoscalingv2.ResourceMetricSourceType,
				Resource: &autoscalingv2.ResourceMetricSource{Name: corev1.ResourceCPU,
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &target}},
			}},
			Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{
				ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: &window},
			},
		},
	}
	h.Status.CurrentReplicas, h.Status.DesiredReplicas = 3, 3
	s.mustCreate(hpaGVR, Namespace, h)
}

// runHPA is the HPA controller's algorithm: desired = ceil(ready * utilisation / target) with a 10 %
// tolerance; not-yet-ready pods count as 0 % when scaling up (so a scale-up is not repeated while the
// new pods warm up); scale-down takes the highest recommendation over the stabilisation window;
// scale-up is limited to max(+100 %, +4 pods) per period; the result is clamped to [min, max].
func (s *Sim) runHPA(now time.Time) {
	obj, err := s.client.Tracker().Get(hpaGVR, Namespace, Target)
	if err != nil {
		return
	}
	h := obj.(*autoscalingv2.HorizontalPodAutoscaler)
	dep := s.deployment(Target)
	if dep == nil {
		return
	}
	w := s.specs[Target]
	current := *dep.Spec.Replicas
	var readyCPU float64
	var ready, unready int
	for _, p := range s.plans() {
		if p.workload != Target || !p.deleting.IsZero() {
			continue
		}
		if p.stage(now) == 3 {
			ready++
			readyCPU += p.cpu
		} else {
			unready++
		}
	}
	cond := func(t autoscalingv2.HorizontalPodAutoscalerConditionType, ok bool, reason, msg string) autoscalingv2.HorizontalPodAutoscalerCondition {
		st := corev1.ConditionFalse
		if ok {
			st = corev1.ConditionTrue
		}
		return autoscalingv2.HorizontalPodAutoscalerCondition{Type: t, Status: st, Reason: reason, Message: msg, LastTransitionTime: metav1.NewTime(now)}
	}
	h.Status.CurrentReplicas = int32(ready + unready)
	if ready == 0 {
		h.Status.Conditions = []autoscalingv2.HorizontalPodAutoscalerCondition{
			cond(autoscalingv2.AbleToScale, true, "SucceededGetScale", "the HPA controller was able to get the target's current scale"),
			cond(autoscalingv2.ScalingActive, false, "FailedGetResourceMetric", "the HPA was unable to compute the replica count: no ready pods with metrics"),
		}
		_ = s.client.Tracker().Update(hpaGVR, h, Namespace)
		return
	}
	util := readyCPU / float64(ready) / w.cpuRequest * 100
	ratio := util / hpaTarget
	desired := current
	switch {
	case math.Abs(ratio-1) <= hpaTolerance:
	case ratio > 1 && unready > 0:
		adj := readyCPU / float64(ready+unready) / w.cpuRequest * 100 / hpaTarget
		if adj > 1+hpaTolerance {
			desired = int32(math.Ceil(adj * float64(ready+unready)))
		}
	default:
		desired = int32(math.Ceil(ratio * float64(ready)))
	}
	// Stabilisation: scale down only to the highest recommendation of the window.
	s.hpa.recs = append(s.hpa.recs, hpaRec{now, desired})
	keep := s.hpa.recs[:0]
	stable := desired
	for _, r := range s.hpa.recs {
		if now.Sub(r.t) <= scaleDownWindow {
			keep = append(keep, r)
			if r.n > stable {
				stable = r.n
			}
		}
	}
	s.hpa.recs = keep
	if desired < current {
		desired = min32(current, stable)
	}
	if limit := max32(current*2, current+4); desired > limit {
		desired = limit
	}
	limited, limitReason := false, "DesiredWithinRange"
	if desired > hpaMax {
		desired, limited, limitReason = hpaMax, true, "TooManyReplicas"
	} else if desired < hpaMin {
		desired, limited, limitReason = hpaMin, true, "TooFewReplicas"
	}
	u := int32(math.Round(util))
	h.Status.CurrentMetrics = []autoscalingv2.MetricStatus{{
		Type: autoscalingv2.ResourceMetricSourceType,
		Resource: &autoscalingv2.ResourceMetricStatus{Name: corev1.ResourceCPU,
			Current: autoscalingv2.MetricValueStatus{AverageUtilization: &u,
				AverageValue: resource.NewMilliQuantity(int64(readyCPU/float64(ready)), resource.DecimalSI)}},
	}}
	h.Status.DesiredReplicas = desired
	limitMsg := "the desired count is within the acceptable range"
	if limited {
		limitMsg = fmt.Sprintf("the desired replica count is beyond the bound (%s)", strings.ToLower(limitReason))
	}
	able := cond(autoscalingv2.AbleToScale, true, "ReadyForNewScale", "recommended size matches current size")
	if desired != current {
		dir := "above"
		if desired < current {
			dir = "below"
		}
		reason := fmt.Sprintf("cpu resource utilization (percentage of request) %s target", dir)
		if desired < current {
			reason = "All metrics below target"
		}
		s.event("HorizontalPodAutoscaler", Target, "Normal", "SuccessfulRescale", "horizontal-pod-autoscaler",
			fmt.Sprintf("New size: %d; reason: %s", desired, reason))
		dep.Spec.Replicas = &desired
		dep.Generation++
		_ = s.client.Tracker().Update(deploymentsGVR, dep, Namespace)
		t := metav1.NewTime(now)
		h.Status.LastScaleTime = &t
		able = cond(autoscalingv2.AbleToScale, true, "SucceededRescale", fmt.Sprintf("the HPA controller was able to update the target scale to %d", desired))
	}
	conds := []autoscalingv2.HorizontalPodAutoscalerCondition{
		able,
		cond(autoscalingv2.ScalingActive, true, "ValidMetricFound", "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)"),
		cond(autoscalingv2.ScalingLimited, limited, limitReason, limitMsg),
	}
	// A condition's transition time moves only when its status does, as in the real controller.
	changed := desired != current || len(h.Status.Conditions) != len(conds)
	for i := range conds {
		if i < len(h.Status.Conditions) && h.Status.Conditions[i].Status == conds[i].Status {
			conds[i].LastTransitionTime = h.Status.Conditions[i].LastTransitionTime
		} else {
			changed = true
		}
		if i < len(h.Status.Conditions) && h.Status.Conditions[i].Reason != conds[i].Reason {
			changed = true
		}
	}
	h.Status.Conditions = conds
	// Writes through the fake's field-managed tracker cost ~2 ms each: while backfilling history
	// nobody watches, so only real changes are written.
	if changed || !s.backfilling {
		_ = s.client.Tracker().Update(hpaGVR, h, Namespace)
	}
}

func min32(a, b int32) int32 {
	if a < b {
		return a
	}
	return b
}

// farFuture stands for "not yet" in a pod's timeline.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

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
