// Package tracing finds the cluster's trace backend, Zipkin or Jaeger, for the Traces pane: one
// search over the Services either installs create, each candidate asked for Zipkin's query API and
// then Jaeger's.
package tracing

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
	"github.com/gamedaylab/gameday/sources/jaeger"
	"github.com/gamedaylab/gameday/sources/zipkin"
)

// Want is what an in-cluster trace query API looks like. A Jaeger collector takes Zipkin spans on
// 9411 but answers neither query API there, so the probe says so and the search goes on.
var Want = discover.Want{
	What: "Zipkin or Jaeger", Flag: "--zipkin-url or --jaeger-url",
	Services: []string{
		"zipkin",       // openzipkin chart, Istio's sample addon
		"zipkin-query", //
		"tracing",      // Istio's sample addons front the tracer as "tracing"
		"jaeger-query", // Jaeger operator / chart: the query service
		"jaeger",       // all-in-one
		"jaeger-collector",
	},
	PortNames:   []string{"http-query", "query-http", "query", "http", "http-zipkin", "zipkin"},
	PortNumbers: []int32{16686, 9411, 80},
	Namespaces:  []string{"observability", "tracing", "zipkin", "jaeger", "istio-system", "monitoring", "default", "kube-system"},
	Probe: func(ctx context.Context, base string, rt http.RoundTripper) (string, error) {
		_, detail, err := connect(ctx, base, rt, nil)
		return detail, err
	},
}

// connect asks base for Zipkin's query API, then Jaeger's, and returns the backend that answered.
func connect(ctx context.Context, base string, rt http.RoundTripper, name func(kind string) string) (sources.TraceBackend, string, error) {
	if name == nil {
		name = func(string) string { return "" }
	}
	z, err := zipkin.NewVia(base, rt, name("zipkin"))
	if err != nil {
		return nil, "", err
	}
	svcs, zerr := z.Services(ctx)
	if zerr == nil {
		return z, fmt.Sprintf("Zipkin knows %d services", len(svcs)), nil
	}
	j, err := jaeger.NewVia(base, rt, name("jaeger"))
	if err != nil {
		return nil, "", err
	}
	svcs, jerr := j.Services(ctx)
	if jerr == nil {
		return j, fmt.Sprintf("Jaeger knows %d services", len(svcs)), nil
	}
	return nil, "", fmt.Errorf("no Zipkin query API at /api/v2/services (%v) nor Jaeger's at /api/services (%v); a collector's port only takes spans", zerr, jerr)
}

// Discover finds an in-cluster Zipkin or Jaeger and returns a backend that reaches it through the
// apiserver.
func Discover(ctx context.Context, cs kubernetes.Interface, rc *rest.Config) (sources.TraceBackend, discover.Report, error) {
	f, rep, err := discover.Find(ctx, cs, rc, Want)
	if err != nil {
		return nil, rep, fmt.Errorf("%w: %w", sources.ErrNoBackend, err)
	}
	b, _, err := connect(ctx, f.Base, f.RT, f.Name)
	return b, rep, err
}

// Lazy is a trace backend found in the background.
type Lazy struct {
	l *discover.Later[sources.TraceBackend]
}

// DiscoverLater starts discovery and returns the backend that will use what it finds.
func DiscoverLater(ctx context.Context, cs kubernetes.Interface, rc *rest.Config) *Lazy {
	return &Lazy{l: discover.Start(ctx, Want.What, func(ctx context.Context) (sources.TraceBackend, discover.Report, error) {
		return Discover(ctx, cs, rc)
	})}
}

// Report is what discovery looked for, tried and found.
func (l *Lazy) Report() discover.Report { return l.l.Report() }

// Name says what is used, or what is happening.
func (l *Lazy) Name() string {
	return l.l.Name(sources.TraceBackend.Name, "no Zipkin or Jaeger (--zipkin-url, --jaeger-url)", "looking for Zipkin or Jaeger…")
}

func (l *Lazy) get() (sources.TraceBackend, error) {
	return l.l.Backend(sources.Unreachable(errors.New("looking for Zipkin or Jaeger in the cluster")))
}

// Recent lists recent traces from the found backend.
func (l *Lazy) Recent(ctx context.Context, q sources.TraceQuery) ([]sources.TraceSummary, error) {
	b, err := l.get()
	if err != nil {
		return nil, err
	}
	return b.Recent(ctx, q)
}

// Trace fetches one trace from the found backend.
func (l *Lazy) Trace(ctx context.Context, id string) ([]zmodel.SpanModel, error) {
	b, err := l.get()
	if err != nil {
		return nil, err
	}
	return b.Trace(ctx, id)
}

// SpanNames lists the span names the found backend knows.
func (l *Lazy) SpanNames(ctx context.Context, service string) ([]string, error) {
	b, err := l.get()
	if err != nil {
		return nil, err
	}
	n, ok := b.(sources.SpanNamer)
	if !ok {
		return nil, fmt.Errorf("%s lists no span names", b.Name())
	}
	return n.SpanNames(ctx, service)
}
