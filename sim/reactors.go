package sim

import (
	"time"

	authv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
)

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
