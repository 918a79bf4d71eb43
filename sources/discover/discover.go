// Package discover finds an observability backend inside the cluster by its usual Service names and
// reaches it through the apiserver's service proxy with the kubeconfig's credentials, so no
// port-forward is needed. Every candidate is proved by a probe before it is used, and what was looked
// for, tried and found is kept for `:backend`.
package discover

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Want is a kind of backend to look for.
type Want struct {
	What string // "Prometheus", "Zipkin", "Elasticsearch / OpenSearch"
	Flag string // the flag that names one instead, said when none is found
	// Services are the Service names installs create, in order of preference; "*-es-http" matches a
	// suffix (ECK names its Service after the cluster).
	Services []string
	// PortNames are preferred in order, then PortNumbers, then the Service's first port.
	PortNames   []string
	PortNumbers []int32
	// Namespaces are searched in order when Services may not be listed cluster-wide; among Services
	// of the same name they also decide which is tried first.
	Namespaces []string
	// Probe proves a candidate answers at base (the proxy URL, no trailing slash) and says what it is.
	Probe func(ctx context.Context, base string, rt http.RoundTripper) (string, error)
}

// Candidate is one Service that may be the backend.
type Candidate struct {
	Namespace, Service, Port, Scheme string
}

// ProxyPath is the apiserver service-proxy path of the Service.
func (c Candidate) ProxyPath() string {
	svc := c.Service + ":" + c.Port
	if c.Scheme == "https" {
		svc = "https:" + svc
	}
	return fmt.Sprintf("/api/v1/namespaces/%s/services/%s/proxy", c.Namespace, svc)
}

func (c Candidate) String() string { return c.Namespace + "/" + c.Service + ":" + c.Port }

// Attempt is a candidate and what its probe said.
type Attempt struct {
	Candidate
	Result string
	OK     bool
}

// Report is what a search looked for, tried and found.
type Report struct {
	What   string
	Looked string // where Services were listed
	Tried  []Attempt
	Used   *Attempt
	Err    string
}

// Lines are the report as a person reads it.
func (r Report) Lines() []string {
	var out []string
	if r.Looked != "" {
		out = append(out, "looked for Services "+r.Looked)
	}
	for _, a := range r.Tried {
		mark := "✗"
		if a.OK {
			mark = "✓"
		}
		out = append(out, fmt.Sprintf("%s %s (via apiserver proxy): %s", mark, a.Candidate, a.Result))
	}
	if r.Err != "" {
		out = append(out, r.Err)
	}
	return out
}

// Found is a backend that answered.
type Found struct {
	Candidate
	Base   string            // the proxy URL of the Service
	RT     http.RoundTripper // the apiserver's transport (its credentials)
	Detail string            // what the probe said it is
}

// Name is how a pane title names it.
func (f Found) Name(kind string) string {
	return fmt.Sprintf("%s svc %s/%s (via apiserver proxy)", kind, f.Namespace, f.Service)
}

// NotFound is returned when no candidate answered; the report says why.
type NotFound struct{ Report Report }

func (e *NotFound) Error() string { return e.Report.Err }

// probeTimeout bounds one candidate's probe, so a Service without endpoints does not hold up the rest.
const probeTimeout = 5 * time.Second

// listTimeout bounds a whole search: the Services list and every candidate's probe.
const listTimeout = time.Minute

// Find lists Services, orders the candidates by w's preferences and returns the first whose probe
// answers. The report is filled either way; the error is a *NotFound when nothing answered.
func Find(ctx context.Context, cs kubernetes.Interface, rc *rest.Config, w Want) (Found, Report, error) {
	rep := Report{What: w.What}
	var svcs []corev1.Service
	// The whole search is bounded: an apiserver that does not answer must not hold discovery.
	ctx, cancel := context.WithTimeout(ctx, listTimeout)
	defer cancel()
	list, err := cs.CoreV1().Services("").List(ctx, metav1.ListOptions{})
	switch {
	case err == nil:
		svcs = list.Items
		rep.Looked = "in all namespaces"
	case apierrors.IsForbidden(err):
		var readable []string
		for _, ns := range w.Namespaces {
			if l, err := cs.CoreV1().Services(ns).List(ctx, metav1.ListOptions{}); err == nil {
				svcs = append(svcs, l.Items...)
				readable = append(readable, ns)
			}
		}
		rep.Looked = fmt.Sprintf("in %s (listing all namespaces is forbidden; readable: %s)", strings.Join(w.Namespaces, ", "), orNone(readable))
	default:
		rep.Err = fmt.Sprintf("listing Services to find %s: %v", w.What, err)
		return Found{}, rep, &NotFound{rep}
	}
	rep.Looked = "named " + strings.Join(w.Services, ", ") + " " + rep.Looked
	var rt http.RoundTripper
	host := strings.TrimSuffix(rc.Host, "/")
	for _, c := range candidates(svcs, w) {
		if rt == nil {
			if rt, err = rest.TransportFor(rc); err != nil {
				rep.Err = fmt.Sprintf("apiserver transport: %v", err)
				return Found{}, rep, &NotFound{rep}
			}
		}
		base := host + c.ProxyPath()
		pctx, cancel := context.WithTimeout(ctx, probeTimeout)
		detail, err := w.Probe(pctx, base, rt)
		cancel()
		a := Attempt{Candidate: c, Result: detail, OK: err == nil}
		if err != nil {
			a.Result = firstLine(err.Error())
			if strings.Contains(a.Result, "503") || strings.Contains(a.Result, "error trying to reach service") {
				a.Result = "no endpoint of it answers (503 from the apiserver's proxy)"
			}
		}
		rep.Tried = append(rep.Tried, a)
		if a.OK {
			rep.Used = &rep.Tried[len(rep.Tried)-1]
			return Found{Candidate: c, Base: base, RT: rt, Detail: detail}, rep, nil
		}
	}
	if len(rep.Tried) == 0 {
		rep.Err = fmt.Sprintf("no %s Service found (looked for %s); pass %s", w.What, strings.Join(w.Services, ", "), w.Flag)
	} else {
		rep.Err = fmt.Sprintf("no %s Service answered (tried %d); pass %s", w.What, len(rep.Tried), w.Flag)
	}
	return Found{}, rep, &NotFound{rep}
}

// candidates are the Services matching w, by name preference, then namespace preference.
func candidates(svcs []corev1.Service, w Want) []Candidate {
	nsRank := func(ns string) int {
		if i := slices.Index(w.Namespaces, ns); i >= 0 {
			return i
		}
		return len(w.Namespaces)
	}
	var out []Candidate
	for _, name := range w.Services {
		var match []corev1.Service
		for _, s := range svcs {
			if matches(name, s.Name) {
				match = append(match, s)
			}
		}
		slices.SortStableFunc(match, func(a, b corev1.Service) int {
			if d := nsRank(a.Namespace) - nsRank(b.Namespace); d != 0 {
				return d
			}
			return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
		})
		for _, s := range match {
			port, scheme := pickPort(s.Spec.Ports, w)
			if port == "" {
				continue
			}
			c := Candidate{Namespace: s.Namespace, Service: s.Name, Port: port, Scheme: scheme}
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

func matches(pattern, name string) bool {
	if suffix, ok := strings.CutPrefix(pattern, "*"); ok {
		return strings.HasSuffix(name, suffix) && len(name) > len(suffix)
	}
	return pattern == name
}

// pickPort chooses the port to proxy to; a port named https (or 443) is spoken to over TLS.
func pickPort(ports []corev1.ServicePort, w Want) (string, string) {
	scheme := func(p corev1.ServicePort) string {
		if strings.Contains(p.Name, "https") || p.Port == 443 {
			return "https"
		}
		return "http"
	}
	for _, want := range w.PortNames {
		for _, p := range ports {
			if p.Name == want {
				return p.Name, scheme(p)
			}
		}
	}
	for _, n := range w.PortNumbers {
		for _, p := range ports {
			if p.Port == n {
				return fmt.Sprint(p.Port), scheme(p)
			}
		}
	}
	if len(ports) > 0 {
		return fmt.Sprint(ports[0].Port), scheme(ports[0])
	}
	return "", ""
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// State is where a search in the background is.
type State int

const (
	Looking State = iota
	Ready
	Failed
)

// Later runs a search in the background so the cockpit opens at once; until it ends, the backend
// that wraps it says it is looking.
type Later[T any] struct {
	mu     sync.Mutex
	state  State
	v      T
	err    error
	report Report
	onDone []func(T)
}

// Start searches with find in the background.
func Start[T any](ctx context.Context, what string, find func(ctx context.Context) (T, Report, error)) *Later[T] {
	l := &Later[T]{report: Report{What: what}}
	go func() {
		v, rep, err := find(ctx)
		l.mu.Lock()
		l.v, l.err, l.report = v, err, rep
		l.state = Ready
		if err != nil {
			l.state = Failed
		}
		done := l.onDone
		l.onDone = nil
		l.mu.Unlock()
		if err == nil {
			for _, f := range done {
				f(v)
			}
		}
	}()
	return l
}

// get is the search's state, and the backend or the error once it ended.
func (l *Later[T]) get() (T, State, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.v, l.state, l.err
}

// Backend is the backend once found, the search's error once it failed, and looking (the caller's
// "still looking" error) while it runs.
func (l *Later[T]) Backend(looking error) (T, error) {
	v, st, err := l.get()
	switch st {
	case Ready:
		return v, nil
	case Failed:
		return v, err
	}
	return v, looking
}

// Name names the backend once found (by name), else says failed or looking.
func (l *Later[T]) Name(name func(T) string, failed, looking string) string {
	v, st, _ := l.get()
	switch st {
	case Ready:
		return name(v)
	case Failed:
		return failed
	}
	return looking
}

// Report is what was looked for and tried so far.
func (l *Later[T]) Report() Report {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.report
	if l.state == Looking {
		r.Err = "still looking…"
	}
	return r
}

// Then runs f with the backend once it is found (at once when it already is).
func (l *Later[T]) Then(f func(T)) {
	l.mu.Lock()
	if l.state == Looking {
		l.onDone = append(l.onDone, f)
		l.mu.Unlock()
		return
	}
	v, ok := l.v, l.state == Ready
	l.mu.Unlock()
	if ok {
		f(v)
	}
}
