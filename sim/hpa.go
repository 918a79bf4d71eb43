package sim

import (
	"fmt"
	"math"
	"strings"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

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
