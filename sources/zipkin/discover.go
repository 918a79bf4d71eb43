package zipkin

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	zmodel "github.com/openzipkin/zipkin-go/model"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/sources/discover"
)

// Want is what an in-cluster Zipkin query API looks like. Jaeger's collector takes Zipkin spans on
// 9411 but has no Zipkin query API, so its Services are tried and the probe says so.
var Want = discover.Want{
	What: "Zipkin", Flag: "--zipkin-url",
	Services: []string{
		"zipkin",           // openzipkin chart, Istio's sample addon
		"zipkin-query",     //
		"tracing",          // Istio's sample addons front the tracer as "tracing"
		"jaeger-collector", // Jaeger operator / chart: Zipkin intake on 9411
		"jaeger",
	},
	PortNames:   []string{"http-query", "http", "query", "http-zipkin", "zipkin"},
	PortNumbers: []int32{9411, 80},
	Namespaces:  []string{"observability", "tracing", "zipkin", "istio-system", "monitoring", "jaeger", "default", "kube-system"},
	Probe:       probe,
}

func probe(ctx context.Context, base string, rt http.RoundTripper) (string, error) {
	z, err := NewVia(base, rt, "")
	if err != nil {
		return "", err
	}
	svcs, err := z.Services(ctx)
	if err != nil {
		return "", fmt.Errorf("no Zipkin query API at /api/v2/services (%w); a Jaeger collector's Zipkin port only takes spans", err)
	}
	return fmt.Sprintf("Zipkin knows %d services", len(svcs)), nil
}

// Discover finds an in-cluster Zipkin and returns a backend that reaches it through the apiserver.
func Discover(ctx context.Context, cs kubernetes.Interface, rc *rest.Config) (*Zipkin, discover.Report, error) {
	f, rep, err := discover.Find(ctx, cs, rc, Want)
	if err != nil {
		return nil, rep, fmt.Errorf("%w: %w", sources.ErrNoBackend, err)
	}
	z, err := NewVia(f.Base, f.RT, f.Name("zipkin"))
	return z, rep, err
}

// Lazy is a trace backend whose Zipkin is found in the background.
type Lazy struct {
	l *discover.Later[*Zipkin]
}

// DiscoverLater starts discovery and returns the backend that will use what it finds.
func DiscoverLater(ctx context.Context, cs kubernetes.Interface, rc *rest.Config) *Lazy {
	return &Lazy{l: discover.Start(ctx, Want.What, func(ctx context.Context) (*Zipkin, discover.Report, error) {
		return Discover(ctx, cs, rc)
	})}
}

// Report is what discovery looked for, tried and found.
func (l *Lazy) Report() discover.Report { return l.l.Report() }

// Name says what is used, or what is happening.
func (l *Lazy) Name() string {
	return l.l.Name((*Zipkin).Name, "no Zipkin (--zipkin-url)", "looking for Zipkin…")
}

func (l *Lazy) get() (*Zipkin, error) {
	return l.l.Backend(sources.Unreachable(errors.New("looking for Zipkin in the cluster")))
}

// Recent lists recent traces from the found Zipkin.
func (l *Lazy) Recent(ctx context.Context, q sources.TraceQuery) ([]sources.TraceSummary, error) {
	z, err := l.get()
	if err != nil {
		return nil, err
	}
	return z.Recent(ctx, q)
}

// Trace fetches one trace from the found Zipkin.
func (l *Lazy) Trace(ctx context.Context, id string) ([]zmodel.SpanModel, error) {
	z, err := l.get()
	if err != nil {
		return nil, err
	}
	return z.Trace(ctx, id)
}

// SpanNames lists the span names the found Zipkin knows.
func (l *Lazy) SpanNames(ctx context.Context, service string) ([]string, error) {
	z, err := l.get()
	if err != nil {
		return nil, err
	}
	return z.SpanNames(ctx, service)
}
