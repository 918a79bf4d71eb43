package kube

import (
	"math"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"

	"github.com/gamedaylab/gameday/model"
)

// VPAResource is the VerticalPodAutoscaler's resource. It is read with the dynamic client so that the
// VPA module (and the Kubernetes version it pins) stays out of gameday's dependencies; ok is false when
// the cluster has no VPA CRDs.
func VPAResource(d discovery.DiscoveryInterface) (schema.GroupVersionResource, bool) {
	gvr := schema.GroupVersionResource{Group: "autoscaling.k8s.io", Version: "v1", Resource: "verticalpodautoscalers"}
	rl, err := d.ServerResourcesForGroupVersion(gvr.Group + "/" + gvr.Version)
	if err != nil || rl == nil {
		return schema.GroupVersionResource{}, false
	}
	for _, r := range rl.APIResources {
		if r.Name == gvr.Resource {
			return gvr, true
		}
	}
	return schema.GroupVersionResource{}, false
}

// ToVPA trims a VerticalPodAutoscaler to its target, mode, recommendation and conditions.
func ToVPA(u *unstructured.Unstructured) model.VPA {
	out := model.VPA{Namespace: u.GetNamespace(), Name: u.GetName()}
	out.TargetKind, _, _ = unstructured.NestedString(u.Object, "spec", "targetRef", "kind")
	out.TargetName, _, _ = unstructured.NestedString(u.Object, "spec", "targetRef", "name")
	out.Mode, _, _ = unstructured.NestedString(u.Object, "spec", "updatePolicy", "updateMode")
	recs, _, _ := unstructured.NestedSlice(u.Object, "status", "recommendation", "containerRecommendations")
	for _, r := range recs {
		m, ok := r.(map[string]any)
		if !ok {
			continue
		}
		out.Containers = append(out.Containers, model.VPARecommendation{Container: str(m["containerName"]),
			Target: resources(m["target"]), Lower: resources(m["lowerBound"]), Upper: resources(m["upperBound"]),
			Uncapped: resources(m["uncappedTarget"])})
	}
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok {
			out.Conditions = append(out.Conditions, model.Condition{Type: str(m["type"]), Status: str(m["status"]),
				Reason: str(m["reason"]), Message: str(m["message"])})
		}
	}
	return out
}

func resources(v any) model.Resources {
	m, _ := v.(map[string]any)
	return model.Resources{CPU: readableCPU(str(m["cpu"])), Memory: readableMemory(str(m["memory"]))}
}

// readableCPU writes a CPU quantity as a person compares them: millicores below a core, cores above
// with k, M, G beyond a thousand ("2111297m" is 2.1k cores); unparsable text is kept as it is.
func readableCPU(s string) string {
	q, err := resource.ParseQuantity(s)
	if err != nil || s == "" {
		return s
	}
	m := q.MilliValue()
	if m < 1000 {
		return strconv.FormatInt(m, 10) + "m"
	}
	v := float64(m) / 1000
	for _, u := range []string{"", "k", "M", "G", "T"} {
		if v < 1000 || u == "T" {
			return trimFloat(v, v < 100) + u
		}
		v /= 1000
	}
	return s
}

// readableMemory writes bytes in binary units with one decimal ("24851500000" is 23.1Gi).
func readableMemory(s string) string {
	q, err := resource.ParseQuantity(s)
	if err != nil || s == "" {
		return s
	}
	v := float64(q.Value())
	for _, u := range []string{"", "Ki", "Mi", "Gi", "Ti", "Pi"} {
		if v < 1024 || u == "Pi" {
			return trimFloat(v, u != "") + u
		}
		v /= 1024
	}
	return s
}

// trimFloat formats v with one decimal when decimal is set, without a trailing ".0".
func trimFloat(v float64, decimal bool) string {
	if !decimal {
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	}
	return strings.TrimSuffix(strconv.FormatFloat(math.Round(v*10)/10, 'f', 1, 64), ".0")
}
