package testbed

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// VPAResource is the VerticalPodAutoscaler's API resource.
var VPAResource = schema.GroupVersionResource{Group: "autoscaling.k8s.io", Version: "v1", Resource: "verticalpodautoscalers"}

// Recommender is a real VPA recommender running against a testbed apiserver (vpa-up.sh).
type Recommender struct {
	Run     string
	Metrics string
}

var (
	vpaMu     sync.Mutex
	vpaShared *Recommender
)

// SharedRecommender is one VPA recommender for the package's tests (it watches every namespace);
// its CRDs are installed first. Stopped by Main.
func SharedRecommender(t testing.TB, k *Kube) *Recommender {
	realServer(t, "the VPA recommender")
	t.Helper()
	vpaMu.Lock()
	defer vpaMu.Unlock()
	if vpaShared != nil {
		return vpaShared
	}
	dir, env := upShared(t, "vpa", "vpa-up.sh", k.Kubeconfig)
	vpaShared = &Recommender{Run: dir, Metrics: env["VPA_METRICS"]}
	return vpaShared
}

func stopSharedRecommender() {
	vpaMu.Lock()
	defer vpaMu.Unlock()
	if vpaShared != nil {
		_ = exec.Command(filepath.Join(Dir(), "obs-down.sh"), vpaShared.Run, "recommender").Run()
		_ = os.RemoveAll(vpaShared.Run)
		vpaShared = nil
	}
}

// LogTail is the recommender's last lines, for a failure message.
func (r *Recommender) LogTail(lines int) string {
	b, _ := os.ReadFile(filepath.Join(r.Run, "recommender.log"))
	return tail(string(b), lines)
}

// CreateVPA makes a VerticalPodAutoscaler NAME on deploy/TARGET in ns with the update mode.
func (k *Kube) CreateVPA(t testing.TB, ns, name, target, mode string) {
	t.Helper()
	dyn, err := dynamic.NewForConfig(k.Config)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec": map[string]any{
			"targetRef":    map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
			"updatePolicy": map[string]any{"updateMode": mode},
		},
	}}
	if _, err := dyn.Resource(VPAResource).Namespace(ns).Create(context.Background(), u, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// VPA reads the VerticalPodAutoscaler as the API has it.
func (k *Kube) VPA(t testing.TB, ns, name string) *unstructured.Unstructured {
	t.Helper()
	dyn, err := dynamic.NewForConfig(k.Config)
	if err != nil {
		t.Fatal(err)
	}
	u, err := dyn.Resource(VPAResource).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return u
}
