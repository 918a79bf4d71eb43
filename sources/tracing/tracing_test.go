package tracing

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/testbed"
)

func TestMain(m *testing.M) { os.Exit(testbed.Main(m)) }

// TestDiscoveryFindsZipkinOrJaeger: a real Zipkin, then a real Jaeger, behind a Service in the
// cluster is found and read through the apiserver's service proxy (traces listed and opened, span
// names), named by what answered; a Service of a preferred name that answers neither query API
// (a demo app here, as a collector's intake port would) is tried first and said so. On a control
// plane of its own: discovery searches every namespace, and on the shared one another package's
// tests have their Zipkins up at the same time (make test run 9 found one).
func TestDiscoveryFindsZipkinOrJaeger(t *testing.T) {
	k := testbed.PrivateKube(t)
	decoy := testbed.StartDemoapp(t, "decoy")
	zs := testbed.StartZipkin(t)
	js := testbed.StartJaeger(t)
	for _, c := range []struct {
		kind, decoy, svc, url, spans string
	}{
		{"zipkin", "zipkin", "tracing", zs.URL, zs.URL + "/api/v2/spans"},
		{"jaeger", "tracing", "jaeger-query", js.URL, js.Zipkin},
	} {
		t.Run(c.kind, func(t *testing.T) {
			ns := k.Namespace(t, "tracing-"+c.kind)
			k.Expose(t, ns, c.decoy, "http-query", "http://"+decoy.Addr)
			k.Expose(t, ns, c.svc, "http-query", c.url)
			app := testbed.StartDemoapp(t, "frontend", "--zipkin", c.spans, "--work-ms", "1")
			for i := 0; i < 3; i++ {
				if r, err := http.Get("http://" + app.Addr + "/api/work"); err == nil {
					r.Body.Close()
				}
			}
			l := DiscoverLater(context.Background(), k.Client, k.Config)
			var list []sources.TraceSummary
			var err error
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
				list, err = l.Recent(context.Background(), sources.TraceQuery{Service: "frontend", Lookback: time.Minute, Limit: 20})
				if (err == nil && len(list) >= 3) || (err != nil && !sources.IsUnreachable(err)) || time.Now().After(deadline) {
					break
				}
			}
			rep := strings.Join(l.Report().Lines(), "\n")
			if err != nil || len(list) < 3 {
				t.Fatalf("through the discovered %s: %d traces, %v\n%s", c.kind, len(list), err, rep)
			}
			if want := c.kind + " svc " + ns + "/" + c.svc + " (via apiserver proxy)"; l.Name() != want {
				t.Fatalf("name %q, want %q\n%s", l.Name(), want, rep)
			}
			if !strings.Contains(rep, "✗ "+ns+"/"+c.decoy+":http-query (via apiserver proxy): no Zipkin query API") || !strings.Contains(rep, "nor Jaeger's") {
				t.Fatalf("the decoy is not reported as tried:\n%s", rep)
			}
			tr, err := l.Trace(context.Background(), list[0].TraceID)
			if err != nil || len(tr) != list[0].Spans {
				t.Fatalf("trace through the proxy: %d spans, err %v; want %d", len(tr), err, list[0].Spans)
			}
			names, err := l.SpanNames(context.Background(), "frontend")
			if err != nil || len(names) == 0 {
				t.Fatalf("span names through the proxy: %v, %v", names, err)
			}
		})
	}
}
