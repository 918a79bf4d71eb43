package testbed

import (
	"context"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"
)

// PodCIDR is where kwok gives the testbed's pods their IPs (kube-up.sh --cidr).
const PodCIDR = "10.128.0.0/12"

// EnsurePodNetwork makes every pod IP an address of this machine (a local route for PodCIDR on the
// loopback device: any address in it can be bound), so a pod's "container" can listen on its IP
// and the mesh's proxies reach it there.
func EnsurePodNetwork(t testing.TB) {
	t.Helper()
	out, _ := exec.Command("ip", "route", "show", "table", "local").CombinedOutput()
	if strings.Contains(string(out), PodCIDR+" ") {
		return
	}
	if out, err := exec.Command("ip", "route", "add", "local", PodCIDR, "dev", "lo").CombinedOutput(); err != nil &&
		!strings.Contains(string(out), "File exists") {
		t.Fatalf("routing %s to lo failed (%v: %s): pods' IPs must be local addresses, which needs CAP_NET_ADMIN (run as root)", PodCIDR, err, out)
	}
}

// ServePods gives the pods of deploy/app in ns a process each, as a kubelet would: while a pod is
// Running and Ready and has an IP, a listener on POD_IP:port relays to upstream (the one real demo
// app); when the pod is deleted, or stops being ready, its listener and open connections close, as
// its container's would. kwok plays the kubelet's API side; this plays its processes, and nothing
// else: which pods get traffic is the endpoints controller's and the mesh's business. It stops when
// the test ends.
func (k *Kube) ServePods(t testing.TB, ns, app string, port int, upstream string) {
	t.Helper()
	k.RunPods(t, ns, app, port, func(addr string) (io.Closer, error) { return listenRelay(addr, upstream) })
}

// RunPods is ServePods with a process of the caller's per pod: start is called with POD_IP:port when
// a pod of deploy/app becomes Running and Ready, and what it returns is closed when the pod goes.
// Each pod is then its own instance (its own counters), as in a cluster.
func (k *Kube) RunPods(t testing.TB, ns, app string, port int, start func(addr string) (io.Closer, error)) {
	t.Helper()
	EnsurePodNetwork(t)
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	live := map[string]io.Closer{} // pod name -> its process
	stop := func(name string) {
		if r := live[name]; r != nil {
			_ = r.Close()
			delete(live, name)
		}
	}
	t.Cleanup(func() {
		cancel()
		mu.Lock()
		defer mu.Unlock()
		for name := range live {
			stop(name)
		}
	})
	sync1 := func(p *corev1.Pod, deleted bool) {
		mu.Lock()
		defer mu.Unlock()
		ready := false
		for _, c := range p.Status.Conditions {
			ready = ready || c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue
		}
		switch {
		case deleted || !ready || p.Status.PodIP == "" || p.Status.Phase != corev1.PodRunning:
			stop(p.Name)
		case live[p.Name] == nil:
			r, err := start(net.JoinHostPort(p.Status.PodIP, fmt.Sprint(port)))
			if err != nil {
				t.Errorf("pod %s: listen on %s:%d: %v", p.Name, p.Status.PodIP, port, err)
				return
			}
			live[p.Name] = r
		}
	}
	sel := "app=" + app
	go func() {
		for ctx.Err() == nil {
			list, err := k.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
			if err != nil {
				time.Sleep(200 * time.Millisecond)
				continue
			}
			for i := range list.Items {
				sync1(&list.Items[i], false)
			}
			w, err := k.Client.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{LabelSelector: sel, ResourceVersion: list.ResourceVersion})
			if err != nil {
				continue
			}
			for ev := range w.ResultChan() {
				if p, ok := ev.Object.(*corev1.Pod); ok {
					sync1(p, ev.Type == watch.Deleted)
				}
			}
		}
	}()
}

// ExposeService routes a new gateway to the Service svc (port 8080, selecting app=svc) in ns, which
// it creates: the endpoints controller fills its EndpointSlices with the ready pods, istiod turns
// them into the gateway's endpoints. It returns once a request to path is answered.
func (m *Mesh) ExposeService(t testing.TB, ns, svc, path string, opts ...GatewayOption) *Gateway {
	t.Helper()
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: svc},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": svc},
			Ports: []corev1.ServicePort{{Name: "http", Port: 8080, TargetPort: intstr.FromInt32(8080)}}}}
	if _, err := m.kube.Client.CoreV1().Services(ns).Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = m.kube.Client.CoreV1().Services(ns).Delete(context.Background(), svc, metav1.DeleteOptions{})
	})
	gw := m.Gateway(t, "gw-"+ns, opts...)
	m.route(t, ns, svc, gw, path)
	return gw
}
