package testbed

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// Mesh is a real istiod running against a testbed apiserver (mesh-up.sh).
type Mesh struct {
	Run  string
	XDS  string // 127.0.0.1:PORT, plaintext
	HTTP string // its debug/ready endpoint
	kube *Kube
}

var (
	meshMu     sync.Mutex
	meshShared *Mesh
	baseID     = 20
)

// SharedMesh is one istiod for the package's tests (it serves every namespace); stopped by Main.
func SharedMesh(t testing.TB, k *Kube) *Mesh {
	realServer(t, "istiod")
	t.Helper()
	meshMu.Lock()
	defer meshMu.Unlock()
	if meshShared != nil {
		return meshShared
	}
	dir, env := upShared(t, "mesh", "mesh-up.sh", k.Kubeconfig)
	meshShared = &Mesh{Run: dir, XDS: env["ISTIOD_XDS"], HTTP: env["ISTIOD_HTTP"], kube: k}
	return meshShared
}

func stopSharedMesh() {
	meshMu.Lock()
	defer meshMu.Unlock()
	if meshShared != nil {
		_ = exec.Command(filepath.Join(Dir(), "obs-down.sh"), meshShared.Run, "istiod").Run()
		_ = os.RemoveAll(meshShared.Run)
		meshShared = nil
	}
}

// Gateway is a stock Envoy configured by istiod as the Istio gateway istio=Name, listening on Addr.
type Gateway struct {
	Name  string
	Addr  string // 127.0.0.1:PORT of its HTTP server
	Admin string
	Log   string // its stdout: access log lines "ACCESS CODE FLAGS METHOD PATH MS"
}

// GatewayOption changes how a gateway's Envoy starts.
type GatewayOption func(*[]string)

// IstioStats gives the gateway the stats config pilot-agent writes (Istio's tag names, its inclusion
// list plus cluster.outbound) instead of Envoy's default tags.
func IstioStats() GatewayOption {
	return func(env *[]string) { *env = append(*env, "ENVOY_STATS=istio") }
}

// Gateway creates the Gateway object istio-system/NAME (one HTTP server on a free loopback port) and
// starts an Envoy that istiod configures as it; both go when the test ends.
func (m *Mesh) Gateway(t testing.TB, name string, opts ...GatewayOption) *Gateway {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	m.kube.KubectlApply(t, fmt.Sprintf(`apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: %s, namespace: istio-system}
spec:
  selector: {istio: %s}
  servers:
  - port: {number: %d, name: http, protocol: HTTP}
    bind: 127.0.0.1
    hosts: ["*/*"]
`, name, name, port))
	t.Cleanup(func() {
		_ = exec.Command(m.kube.Kubectl, "--kubeconfig", m.kube.Kubeconfig, "-n", "istio-system", "delete", "gateway", name, "--wait=false").Run()
	})
	meshMu.Lock()
	baseID++
	id := baseID
	meshMu.Unlock()
	dir := t.TempDir()
	cmd := exec.Command(filepath.Join(Dir(), "envoy-up.sh"), dir, name, m.XDS, fmt.Sprint(id))
	cmd.Env = os.Environ()
	for _, o := range opts {
		o(&cmd.Env)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("testbed/envoy-up.sh failed: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command(filepath.Join(Dir(), "obs-down.sh"), dir, "envoy").Run() })
	env, err := readEnv(filepath.Join(dir, "env"))
	if err != nil {
		t.Fatal(err)
	}
	return &Gateway{Name: name, Addr: fmt.Sprintf("127.0.0.1:%d", port), Admin: env["ENVOY_ADMIN"], Log: filepath.Join(dir, "envoy.log")}
}

// WaitServing waits until a request to path through the gateway answers 200: istiod has pushed the
// listener and the route.
func (g *Gateway) WaitServing(t testing.TB, path string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r, err := http.Get("http://" + g.Addr + path)
		if err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(g.Log)
			t.Fatalf("gateway %s does not serve %s after %s (last: %v):\n%s", g.Name, path, timeout, err, tail(string(b), 20))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Access is one access log line of the gateway.
type Access struct {
	Code  string
	Flags string // Envoy's response flags: FI (fault abort), DI (fault delay), - (none)
	Path  string
}

// AccessLog reads the gateway's access log lines so far.
func (g *Gateway) AccessLog(t testing.TB) []Access {
	t.Helper()
	b, err := os.ReadFile(g.Log)
	if err != nil {
		t.Fatal(err)
	}
	var out []Access
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 5 && f[0] == "ACCESS" {
			out = append(out, Access{Code: f[1], Flags: f[2], Path: f[4]})
		}
	}
	return out
}

// Expose puts upstream (a server on loopback) behind a new gateway: a ServiceEntry NAME in ns for
// the host NAME.NS.svc.cluster.local at upstream, and a VirtualService NAME in ns bound to the
// gateway with one route "main" to it; it returns once a request to path through the gateway is
// answered.
func (m *Mesh) Expose(t testing.TB, ns, name, upstream, path string) *Gateway {
	t.Helper()
	gw := m.Gateway(t, "gw-"+ns)
	port := upstream[strings.LastIndex(upstream, ":")+1:]
	m.kube.KubectlApply(t, fmt.Sprintf(`apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: %[3]s, namespace: %[1]s}
spec:
  hosts: [%[3]s.%[1]s.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 8080, name: http, protocol: HTTP}]
  endpoints: [{address: 127.0.0.1, ports: {http: %[2]s}}]
`, ns, port, name))
	m.route(t, ns, name, gw, path)
	return gw
}

// route binds a VirtualService NAME in ns to the gateway with one route "main" to the host
// NAME.NS.svc.cluster.local:8080, and waits until a request to path through the gateway is answered.
func (m *Mesh) route(t testing.TB, ns, name string, gw *Gateway, path string) {
	t.Helper()
	m.kube.KubectlApply(t, fmt.Sprintf(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: %[2]s, namespace: %[1]s}
spec:
  hosts: ["*"]
  gateways: [istio-system/%[3]s]
  http:
  - name: main
    route: [{destination: {host: %[2]s.%[1]s.svc.cluster.local, port: {number: 8080}}}]
`, ns, name, gw.Name))
	gw.WaitServing(t, path, 30*time.Second)
}

// ChaosMeshCRDs installs Chaos Mesh's CRDs on the control plane (no controller: API level only).
func ChaosMeshCRDs(t testing.TB, k *Kube) {
	t.Helper()
	out, err := exec.Command(filepath.Join(Dir(), "chaosmesh-crds.sh"), k.Kubeconfig).CombinedOutput()
	if err != nil {
		t.Fatalf("testbed/chaosmesh-crds.sh failed: %v\n%s", err, out)
	}
}

var virtualServices = schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "virtualservices"}

// VirtualService reads ns/name as the apiserver has it now.
func (k *Kube) VirtualService(t testing.TB, ns, name string) *unstructured.Unstructured {
	t.Helper()
	dyn, err := dynamic.NewForConfig(k.Config)
	if err != nil {
		t.Fatal(err)
	}
	u, err := dyn.Resource(virtualServices).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// RouteNames are the names of a VirtualService's HTTP routes, in order.
func RouteNames(u *unstructured.Unstructured) []string {
	rs, _, _ := unstructured.NestedSlice(u.Object, "spec", "http")
	var out []string
	for _, r := range rs {
		if m, ok := r.(map[string]any); ok {
			out = append(out, fmt.Sprint(m["name"]))
		}
	}
	return out
}
