package kube

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"

	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/revert"
)

// IstioGroup is the API group of VirtualServices.
const IstioGroup = "networking.istio.io"

// VirtualServiceResource finds the newest served version of Istio's VirtualService (v1 since Istio
// 1.22, then v1beta1, v1alpha3); ok is false when the cluster has no Istio CRDs.
func VirtualServiceResource(d discovery.DiscoveryInterface) (schema.GroupVersionResource, bool) {
	for _, v := range []string{"v1", "v1beta1", "v1alpha3"} {
		rl, err := d.ServerResourcesForGroupVersion(IstioGroup + "/" + v)
		if err != nil || rl == nil {
			continue
		}
		for _, r := range rl.APIResources {
			if r.Name == "virtualservices" {
				return schema.GroupVersionResource{Group: IstioGroup, Version: v, Resource: "virtualservices"}, true
			}
		}
	}
	return schema.GroupVersionResource{}, false
}

// ToVirtualService trims an Istio VirtualService to what the panes and the fault planner read.
func ToVirtualService(u *unstructured.Unstructured) model.VirtualService {
	out := model.VirtualService{Namespace: u.GetNamespace(), Name: u.GetName(), Reverts: u.GetAnnotations()[revert.Annotation]}
	out.Hosts, _, _ = unstructured.NestedStringSlice(u.Object, "spec", "hosts")
	out.Gateways, _, _ = unstructured.NestedStringSlice(u.Object, "spec", "gateways")
	routes, _, _ := unstructured.NestedSlice(u.Object, "spec", "http")
	for _, r := range routes {
		m, ok := r.(map[string]any)
		if !ok {
			continue
		}
		rt := model.VSRoute{Name: str(m["name"]), Match: MatchText(m["match"]), Retries: m["retries"] != nil, Timeout: m["timeout"] != nil,
			Fault: FaultText(m["fault"])}
		if ds, ok := m["route"].([]any); ok {
			for _, d := range ds {
				if dm, ok := d.(map[string]any); ok {
					if dest, ok := dm["destination"].(map[string]any); ok {
						rt.Destinations = append(rt.Destinations, str(dest["host"]))
					}
				}
			}
		}
		out.Routes = append(out.Routes, rt)
	}
	return out
}

// MatchText renders an HTTP route's match list as a person reads it: conditions joined by "or",
// the fields of one by ", "; "" matches every request.
func MatchText(v any) string {
	list, ok := v.([]any)
	if !ok {
		return ""
	}
	var alts []string
	for _, c := range list {
		m, ok := c.(map[string]any)
		if !ok {
			continue
		}
		var parts []string
		if s := stringMatch("path", m["uri"]); s != "" {
			parts = append(parts, s)
		}
		if s := stringMatch("method", m["method"]); s != "" {
			parts = append(parts, s)
		}
		if hs, ok := m["headers"].(map[string]any); ok {
			names := make([]string, 0, len(hs))
			for k := range hs {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				parts = append(parts, stringMatch("header "+k, hs[k]))
			}
		}
		if len(parts) > 0 {
			alts = append(alts, strings.Join(parts, ", "))
		}
	}
	return strings.Join(alts, " or ")
}

func stringMatch(what string, v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	switch {
	case m["exact"] != nil:
		return fmt.Sprintf("%s = %v", what, m["exact"])
	case m["prefix"] != nil:
		return fmt.Sprintf("%s prefix %v", what, m["prefix"])
	case m["regex"] != nil:
		return fmt.Sprintf("%s ~ %v", what, m["regex"])
	}
	return ""
}

// FaultText renders a route's fault ("" for none): "delay 2s 50%, abort 500 30%".
func FaultText(v any) string {
	f, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	var parts []string
	if d, ok := f["delay"].(map[string]any); ok {
		parts = append(parts, fmt.Sprintf("delay %v %s", d["fixedDelay"], pct(d["percentage"])))
	}
	if a, ok := f["abort"].(map[string]any); ok {
		status := a["httpStatus"]
		if g, ok := a["grpcStatus"]; ok {
			status = "grpc " + str(g)
		}
		parts = append(parts, fmt.Sprintf("abort %v %s", status, pct(a["percentage"])))
	}
	return strings.Join(parts, ", ")
}

func pct(v any) string {
	m, ok := v.(map[string]any)
	if !ok || m["value"] == nil {
		return "0% (no percentage: nothing injected)"
	}
	return fmt.Sprintf("%v%%", m["value"])
}

func str(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}
