package prometheus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/gamedaylab/gameday/sources"
)

// KnownServices are the Service names common Prometheus installs create, in order of preference.
var KnownServices = []string{
	"prometheus-server",                // prometheus-community/prometheus chart
	"prometheus-operated",              // prometheus-operator
	"kube-prometheus-stack-prometheus", // kube-prometheus-stack
	"prometheus-k8s",                   // kube-prometheus
	"prometheus",
}

// commonNamespaces are searched when the identity may not list Services cluster-wide.
var commonNamespaces = []string{"monitoring", "prometheus", "observability", "kube-prometheus-stack", "default", "kube-system"}

// Found is a discovered in-cluster Prometheus.
type Found struct {
	Namespace, Service, Port string
	Scheme                   string
}

// ProxyPath is the apiserver service-proxy path of the Service.
func (f Found) ProxyPath() string {
	svc := f.Service + ":" + f.Port
	if f.Scheme == "https" {
		svc = "https:" + svc
	}
	return fmt.Sprintf("/api/v1/namespaces/%s/services/%s/proxy", f.Namespace, svc)
}

// Find looks for a known Prometheus Service.
func Find(ctx context.Context, cs kubernetes.Interface) (Found, error) {
	var svcs []corev1.Service
	list, err := cs.CoreV1().Services("").List(ctx, metav1.ListOptions{})
	switch {
	case err == nil:
		svcs = list.Items
	case apierrors.IsForbidden(err):
		for _, ns := range commonNamespaces {
			if l, err := cs.CoreV1().Services(ns).List(ctx, metav1.ListOptions{}); err == nil {
				svcs = append(svcs, l.Items...)
			}
		}
	default:
		return Found{}, fmt.Errorf("listing Services to find Prometheus: %w", err)
	}
	for _, name := range KnownServices {
		for _, s := range svcs {
			if s.Name != name {
				continue
			}
			f := Found{Namespace: s.Namespace, Service: s.Name, Scheme: "http"}
			f.Port = pickPort(s.Spec.Ports)
			if f.Port == "" {
				continue
			}
			return f, nil
		}
	}
	return Found{}, fmt.Errorf("%w: no Prometheus Service found (looked for %s); pass --prometheus-url", sources.ErrNoBackend, strings.Join(KnownServices, ", "))
}

func pickPort(ports []corev1.ServicePort) string {
	for _, want := range []string{"http-web", "web", "http"} {
		for _, p := range ports {
			if p.Name == want {
				return p.Name
			}
		}
	}
	for _, p := range ports {
		if p.Port == 9090 || p.Port == 80 {
			return fmt.Sprint(p.Port)
		}
	}
	if len(ports) > 0 {
		return fmt.Sprint(ports[0].Port)
	}
	return ""
}

// Discover finds an in-cluster Prometheus and returns a backend that reaches it through the
// apiserver's service proxy with the kubeconfig's credentials: no port-forward needed.
func Discover(ctx context.Context, cs kubernetes.Interface, rc *rest.Config, scrape time.Duration) (*Backend, Found, error) {
	f, err := Find(ctx, cs)
	if err != nil {
		return nil, f, err
	}
	rt, err := rest.TransportFor(rc)
	if err != nil {
		return nil, f, fmt.Errorf("apiserver transport: %w", err)
	}
	host := strings.TrimSuffix(rc.Host, "/")
	b, err := newBackend(host+f.ProxyPath(), rt, fmt.Sprintf("prometheus svc %s/%s (via apiserver proxy)", f.Namespace, f.Service), scrape)
	if err != nil {
		return nil, f, err
	}
	// Prove it answers before the header claims it.
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, _, _, err := b.api.Query(qctx, "vector(1)", time.Now()); err != nil {
		return nil, f, fmt.Errorf("found %s/%s but it does not answer through the apiserver proxy: %w", f.Namespace, f.Service, err)
	}
	return b, f, nil
}

// Lazy is a backend whose Prometheus is found in the background, so the cockpit opens at once; until
// then queries report "looking", and if nothing is found, why.
type Lazy struct {
	mu   sync.Mutex
	b    *Backend
	err  error
	vars Vars
}

// DiscoverLater starts discovery and returns the backend that will use what it finds.
func DiscoverLater(ctx context.Context, cs kubernetes.Interface, rc *rest.Config, scrape time.Duration) *Lazy {
	l := &Lazy{}
	go func() {
		b, _, err := Discover(ctx, cs, rc, scrape)
		l.mu.Lock()
		defer l.mu.Unlock()
		l.b, l.err = b, err
		if b != nil {
			b.SetVars(l.vars)
		}
	}()
	return l
}

// Name says what is used, or what is happening.
func (l *Lazy) Name() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.b != nil:
		return l.b.Name()
	case l.err != nil:
		return "no Prometheus (--prometheus-url)"
	}
	return "looking for Prometheus…"
}

// SetVars sets the template values now and for the backend found later.
func (l *Lazy) SetVars(v Vars) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.vars = v
	if l.b != nil {
		l.b.SetVars(v)
	}
}

// QueryRange queries the found Prometheus.
func (l *Lazy) QueryRange(ctx context.Context, p sources.Panel, start, end time.Time, step time.Duration) ([]sources.Series, error) {
	l.mu.Lock()
	b, err := l.b, l.err
	l.mu.Unlock()
	switch {
	case b != nil:
		return b.QueryRange(ctx, p, start, end, step)
	case err != nil:
		return nil, err
	}
	return nil, sources.Unreachable(errors.New("looking for Prometheus in the cluster"))
}
