package testbed

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// MeshExposition serves, on addr, the metrics a mesh proxy beside one pod would: Istio's standard
// metrics (both reporters, as a sidecar and its callers' sidecars report) or Linkerd's proxy
// metrics, written to their documented format (istio.io/latest/docs/reference/config/metrics,
// linkerd2 viz) because neither proxy can run here. The counters grow at rate requests/s, a share
// errShare of them answered 503, each taking latency: what the tests then read back through
// Prometheus. It is a replay of the format, not a proxy, and the tests say so.
func MeshExposition(mesh, ns, deploy string, rate, errShare float64, latency time.Duration) func(addr string) (io.Closer, error) {
	return func(addr string) (io.Closer, error) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, err
		}
		start := time.Now()
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			n := rate * time.Since(start).Seconds()
			ok, bad := n*(1-errShare), n*errShare
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
			var b strings.Builder
			switch mesh {
			case "istio":
				ms := float64(latency) / float64(time.Millisecond)
				buckets := []float64{0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000}
				for _, rep := range []string{"destination", "source"} {
					for code, v := range map[string]float64{"200": ok, "503": bad} {
						lbl := fmt.Sprintf(`reporter=%q,source_workload="caller",source_workload_namespace=%q,destination_workload=%q,destination_workload_namespace=%q,destination_service_name=%q,response_code=%q,response_flags="-"`,
							rep, ns, deploy, ns, deploy, code)
						fmt.Fprintf(&b, "istio_requests_total{%s} %g\n", lbl, v)
						for _, le := range buckets {
							c := 0.0
							if ms <= le {
								c = v
							}
							fmt.Fprintf(&b, "istio_request_duration_milliseconds_bucket{%s,le=\"%g\"} %g\n", lbl, le, c)
						}
						fmt.Fprintf(&b, "istio_request_duration_milliseconds_bucket{%s,le=\"+Inf\"} %g\n", lbl, v)
						fmt.Fprintf(&b, "istio_request_duration_milliseconds_count{%s} %g\n", lbl, v)
						fmt.Fprintf(&b, "istio_request_duration_milliseconds_sum{%s} %g\n", lbl, v*ms)
					}
				}
			case "linkerd":
				ms := float64(latency) / float64(time.Millisecond)
				buckets := []float64{1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500, 1000}
				for code, v := range map[string]float64{"200": ok, "503": bad} {
					class := "success"
					if code != "200" {
						class = "failure"
					}
					lbl := fmt.Sprintf(`direction="inbound",deployment=%q,status_code=%q,classification=%q,tls="true"`, deploy, code, class)
					fmt.Fprintf(&b, "response_total{%s} %g\n", lbl, v)
					for _, le := range buckets {
						c := 0.0
						if ms <= le {
							c = v
						}
						fmt.Fprintf(&b, "response_latency_ms_bucket{%s,le=\"%g\"} %g\n", lbl, le, c)
					}
					fmt.Fprintf(&b, "response_latency_ms_bucket{%s,le=\"+Inf\"} %g\n", lbl, v)
				}
			}
			_, _ = io.WriteString(w, b.String())
		})}
		go func() { _ = srv.Serve(ln) }()
		return srv, nil
	}
}
