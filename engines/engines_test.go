package engines

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynfake "k8s.io/client-go/dynamic/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
)

// TestLitmusEngineIsStopped: the one function of the Litmus path (its modules are refused by the
// module proxy, so no real ChaosEngine CRD runs in the tests): HALT sets engineState to stop on a
// running ChaosEngine of the scope, and the list shows it stopped. Chaos Mesh runs against the real
// apiserver (session's TestOtherChaosEngines).
func TestLitmusEngineIsStopped(t *testing.T) {
	gvr := schema.GroupVersionResource{Group: "litmuschaos.io", Version: "v1alpha1", Resource: "chaosengines"}
	eng := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "litmuschaos.io/v1alpha1", "kind": "ChaosEngine",
		"metadata": map[string]any{"name": "nginx-chaos", "namespace": "shop"},
		"spec":     map[string]any{"engineState": "active", "appinfo": map[string]any{"appns": "shop", "applabel": "app=nginx"}},
	}}
	dyn := dynfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{gvr: "ChaosEngineList"}, eng)
	disc := kubefake.NewSimpleClientset().Discovery().(*fakediscovery.FakeDiscovery)
	disc.Resources = []*metav1.APIResourceList{{GroupVersion: "litmuschaos.io/v1alpha1", APIResources: []metav1.APIResource{
		{Name: "chaosengines", Kind: "ChaosEngine", Namespaced: true}, {Name: "chaosresults", Kind: "ChaosResult", Namespaced: true}}}}
	c := Client{Dyn: dyn, Discovery: disc, Scope: func() string { return "shop" }}
	done, err := c.Halt(context.Background())
	if err != nil || len(done) != 1 || done[0] != "stopped ChaosEngine shop/nginx-chaos" {
		t.Fatalf("halt: %v, %v", done, err)
	}
	list, ok, err := c.List(context.Background())
	if !ok || err != nil || len(list) != 1 || !list[0].Paused || list[0].Engine != Litmus || !strings.Contains(list[0].Target, "app=nginx") {
		t.Fatalf("list: %+v, %v, %v", list, ok, err)
	}
}
