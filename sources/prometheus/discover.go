package prometheus

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/gamedaylab/gameday/signals"
	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/sources/discover"
)

// Want is what an in-cluster Prometheus looks like: the Service names common installs create, in
// order of preference.
var Want = discover.Want{
	What: "Prometheus", Flag: "--prometheus-url",
	Services: []string{
		"prometheus-server",                // prometheus-community/prometheus chart
		"prometheus-operated",              // prometheus-operator
		"kube-prometheus-stack-prometheus", // kube-prometheus-stack
		"prometheus-k8s",                   // kube-prometheus
		"prometheus",
	},
	PortNames:   []string{"http-web", "web", "http"},
	PortNumbers: []int32{9090, 80},
	Namespaces:  []string{"monitoring", "prometheus", "observability", "kube-prometheus-stack", "istio-system", "default", "kube-system"},
	Probe:       probe,
}

func probe(ctx context.Context, base string, rt http.RoundTripper) (string, error) {
	b, err := newBackend(base, rt, "", 0)
	if err != nil {
		return "", err
	}
	if _, _, _, err := b.api.Query(ctx, "vector(1)", time.Now()); err != nil {
		return "", fmt.Errorf("no Prometheus query API: %w", err)
	}
	return "Prometheus answered a query", nil
}

// Discover finds an in-cluster Prometheus and returns a backend that reaches it through the
// apiserver's service proxy with the kubeconfig's credentials: no port-forward needed.
func Discover(ctx context.Context, cs kubernetes.Interface, rc *rest.Config, scrape time.Duration) (*Backend, discover.Report, error) {
	f, rep, err := discover.Find(ctx, cs, rc, Want)
	if err != nil {
		return nil, rep, fmt.Errorf("%w: %w", sources.ErrNoBackend, err)
	}
	b, err := newBackend(f.Base, f.RT, f.Name("prometheus"), scrape)
	return b, rep, err
}

// Lazy is a backend whose Prometheus is found in the background, so the cockpit opens at once; until
// then queries report "looking", and if nothing is found, why.
type Lazy struct {
	l *discover.Later[*Backend]
}

// DiscoverLater starts discovery and returns the backend that will use what it finds.
func DiscoverLater(ctx context.Context, cs kubernetes.Interface, rc *rest.Config, scrape time.Duration) *Lazy {
	return &Lazy{l: discover.Start(ctx, Want.What, func(ctx context.Context) (*Backend, discover.Report, error) {
		return Discover(ctx, cs, rc, scrape)
	})}
}

// Report is what discovery looked for, tried and found.
func (l *Lazy) Report() discover.Report { return l.l.Report() }

// Name says what is used, or what is happening.
func (l *Lazy) Name() string {
	return l.l.Name((*Backend).Name, "no Prometheus (--prometheus-url)", "looking for Prometheus…")
}

// SetVars sets the template values now and for the backend found later.
func (l *Lazy) SetVars(v Vars) { l.l.Then(func(b *Backend) { b.SetVars(v) }) }

// QueryRange queries the found Prometheus.
func (l *Lazy) QueryRange(ctx context.Context, p sources.Panel, start, end time.Time, step time.Duration) ([]sources.Series, error) {
	b, err := l.l.Backend(sources.Unreachable(errors.New("looking for Prometheus in the cluster")))
	if err != nil {
		return nil, err
	}
	return b.QueryRange(ctx, p, start, end, step)
}

// Detect detects on the found Prometheus (an error while it is still being looked for).
func (l *Lazy) Detect(ctx context.Context, t signals.Target, now time.Time) ([]signals.Resolution, signals.Facts, error) {
	b, err := l.l.Backend(sources.Unreachable(errors.New("looking for Prometheus in the cluster")))
	if err != nil {
		return nil, signals.Facts{}, err
	}
	return b.Detect(ctx, t, now)
}
