package testbed

import (
	"context"
	"io"
	"net"
	"net/url"
	"strconv"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Expose makes a real server on this machine the backend of Service svc (port portName) in namespace
// ns, the way an in-cluster install would be: a pod on a node nobody manages carries LoopbackAlias,
// and the Service's Endpoints lead there. The apiserver proxies only to non-127/8 pod addresses, so a
// relay on LoopbackAlias passes the bytes on to rawURL's host unchanged; the answers are the real
// server's. Removed when the test ends.
func (k *Kube) Expose(t testing.TB, ns, svc, portName, rawURL string) {
	t.Helper()
	EnsureLoopbackAlias(t)
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		t.Fatalf("expose %s: bad URL %q", svc, rawURL)
	}
	port := relay(t, u.Host)
	if port == 0 {
		port, _ = strconv.Atoi(u.Port()) // the server already listens on the alias
	}
	ctx := context.Background()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "static-" + ns + "-" + svc}}
	if _, err := k.Client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k.Client.CoreV1().Nodes().Delete(context.Background(), node.Name, metav1.DeleteOptions{}) })
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: svc + "-0", Labels: map[string]string{"app": svc}},
		Spec: corev1.PodSpec{NodeName: node.Name, Containers: []corev1.Container{{Name: svc, Image: svc}},
			Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}}}}
	created, err := k.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	created.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: LoopbackAlias, PodIPs: []corev1.PodIP{{IP: LoopbackAlias}},
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}
	if _, err := k.Client.CoreV1().Pods(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: svc},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: portName, Port: int32(port)}}}}
	if _, err := k.Client.CoreV1().Services(ns).Create(ctx, s, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The testbed runs no namespace controller to empty a deleted namespace: remove what was made,
	// or later discoveries would try these Services too.
	t.Cleanup(func() {
		bg := context.Background()
		_ = k.Client.CoreV1().Services(ns).Delete(bg, svc, metav1.DeleteOptions{})
		_ = k.Client.CoreV1().Endpoints(ns).Delete(bg, svc, metav1.DeleteOptions{})
		_ = k.Client.CoreV1().Pods(ns).Delete(bg, pod.Name, *metav1.NewDeleteOptions(0))
	})
	eps := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: svc}, Subsets: []corev1.EndpointSubset{{
		Addresses: []corev1.EndpointAddress{{IP: LoopbackAlias, TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: pod.Name, Namespace: ns}}},
		Ports:     []corev1.EndpointPort{{Name: portName, Port: int32(port)}}}}}
	if _, err := k.Client.CoreV1().Endpoints(ns).Create(ctx, eps, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// relay listens on LoopbackAlias and copies every connection to and from target; 0 when target is
// already on the alias. Open connections (the apiserver keeps them alive) are closed when the test ends.
func relay(t testing.TB, target string) int {
	t.Helper()
	if host, _, _ := net.SplitHostPort(target); host == LoopbackAlias {
		return 0
	}
	r, err := listenRelay(net.JoinHostPort(LoopbackAlias, "0"), target)
	if err != nil {
		t.Fatalf("relay on %s: %v", LoopbackAlias, err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r.ln.Addr().(*net.TCPAddr).Port
}

// relayServer copies every connection accepted on its address to and from its target.
type relayServer struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]bool
}

func listenRelay(addr, target string) (*relayServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	r := &relayServer{ln: ln, conns: map[net.Conn]bool{}}
	r.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r.wg.Go(func() {
				up, err := net.Dial("tcp", target)
				if err != nil {
					c.Close()
					return
				}
				r.track(c, true)
				r.track(up, true)
				defer func() { r.track(c, false); r.track(up, false); c.Close(); up.Close() }()
				done := make(chan struct{})
				go func() { _, _ = io.Copy(up, c); closeWrite(up); close(done) }()
				_, _ = io.Copy(c, up)
				closeWrite(c)
				<-done
			})
		}
	})
	return r, nil
}

func (r *relayServer) track(c net.Conn, on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if on {
		r.conns[c] = true
	} else {
		delete(r.conns, c)
	}
}

// Close stops listening and ends every open connection, as a process that dies does.
func (r *relayServer) Close() error {
	err := r.ln.Close()
	r.mu.Lock()
	for c := range r.conns {
		c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
	return err
}

func closeWrite(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
}
