// Command otelapp is an HTTP app instrumented the way OpenTelemetry's Go SDK instruments one: the
// otelhttp handler records the HTTP server semantic conventions' http.server.request.duration, and
// the SDK's Prometheus exporter serves it on /metrics (http_server_request_duration_seconds). The
// signals tests read it through a real Prometheus. With --otlp it also pushes them, over OTLP/HTTP
// every second, to that URL (Prometheus' OTLP receiver). /status/CODE answers CODE; /delay/MS waits
// MS ms.
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	otlp := flag.String("otlp", "", "OTLP/HTTP metrics URL to push to every second (none: only /metrics)")
	flag.Parse()
	exp, err := prometheus.New()
	if err != nil {
		log.Fatal(err)
	}
	opts := []sdkmetric.Option{sdkmetric.WithReader(exp)}
	if *otlp != "" {
		push, err := otlpmetrichttp.New(context.Background(), otlpmetrichttp.WithEndpointURL(*otlp))
		if err != nil {
			log.Fatal(err)
		}
		opts = append(opts, sdkmetric.WithReader(sdkmetric.NewPeriodicReader(push, sdkmetric.WithInterval(time.Second))))
	}
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(opts...))
	app := http.NewServeMux()
	app.HandleFunc("/status/", func(w http.ResponseWriter, r *http.Request) {
		code, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/"))
		if err != nil || code < 100 || code > 599 {
			code = http.StatusBadRequest
		}
		w.WriteHeader(code)
	})
	app.HandleFunc("/delay/", func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/delay/"))
		time.Sleep(time.Duration(ms) * time.Millisecond)
	})
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.Handler())
	mux.Handle("/", otelhttp.NewHandler(app, "otelapp"))
	log.Fatal(http.ListenAndServe(*addr, mux))
}
