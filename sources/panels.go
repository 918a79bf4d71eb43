package sources

import (
	"fmt"
	"strings"

	"github.com/gamedaylab/gameday/signals"
)

// Default panel ids. The simulation serves these by id; Prometheus runs their PromQL.
const (
	PanelRate     = "rate"
	PanelErrors   = "errors"
	PanelLatency  = "latency"
	PanelReplicas = "replicas"
	PanelCPU      = "cpu"
)

// DefaultPanels are the graphs shown when the config defines none: request rate, error ratio,
// p50/p99 latency from the histogram, ready vs desired replicas, and CPU against the HPA target.
// Templates: $namespace, $workload, $interval.
func DefaultPanels() []Panel {
	sel := `namespace="$namespace",app="$workload"`
	return []Panel{
		{ID: PanelRate, Title: "Request rate", Unit: "req/s", Queries: []PanelQuery{
			{Legend: "total", Expr: `sum(rate(demoapp_http_requests_total{` + sel + `}[$interval]))`},
			{Legend: "5xx", Expr: `sum(rate(demoapp_http_requests_total{` + sel + `,code=~"5.."}[$interval]))`},
		}},
		{ID: PanelErrors, Title: "Errors", Unit: "%", Queries: []PanelQuery{
			{Legend: "5xx %", Expr: `100 * sum(rate(demoapp_http_requests_total{` + sel + `,code=~"5.."}[$interval])) / clamp_min(sum(rate(demoapp_http_requests_total{` + sel + `}[$interval])), 1e-9)`},
		}},
		{ID: PanelLatency, Title: "Latency", Unit: "s", Queries: []PanelQuery{
			{Legend: "p99", Expr: `histogram_quantile(0.99, sum by (le) (rate(demoapp_http_request_duration_seconds_bucket{` + sel + `}[$interval])))`},
			{Legend: "p50", Expr: `histogram_quantile(0.50, sum by (le) (rate(demoapp_http_request_duration_seconds_bucket{` + sel + `}[$interval])))`},
		}},
		{ID: PanelReplicas, Title: "Replicas", Unit: "count", Queries: []PanelQuery{
			{Legend: "ready", Expr: `sum(kube_deployment_status_replicas_ready{namespace="$namespace",deployment="$workload"})`},
			{Legend: "desired", Expr: `sum(kube_horizontalpodautoscaler_status_desired_replicas{namespace="$namespace",horizontalpodautoscaler="$workload"})`},
		}},
		{ID: PanelCPU, Title: "CPU", Unit: "%", Queries: []PanelQuery{
			{Legend: "cpu % of request", Expr: `100 * sum(rate(container_cpu_usage_seconds_total{namespace="$namespace",pod=~"$workload-.*"}[$interval])) / sum(kube_pod_container_resource_requests{namespace="$namespace",pod=~"$workload-.*",resource="cpu"})`},
		}},
	}
}

// signalPart is one line of a signal panel: its legend, its signal, and a wrap of the query ("100 *
// Q": Q is the signal's query).
type signalPart struct {
	legend string
	sig    signals.Name
	wrap   string
}

// SignalPanels are the default graphs of the signals detected for a target: each panel names the
// convention its queries come from, and one no convention has says what was looked for instead.
func SignalPanels(rs []signals.Resolution) []Panel {
	by := map[signals.Name]signals.Resolution{}
	for _, r := range rs {
		by[r.Signal] = r
	}
	panel := func(id, title, unit string, parts ...signalPart) Panel {
		p := Panel{ID: id, Title: title, Unit: unit}
		var missing []string
		for _, x := range parts {
			r := by[x.sig]
			switch {
			case r.Query == "" && r.Source != "":
				p.Live = append(p.Live, LiveSeries{Legend: x.legend, Signal: x.sig})
				if p.Convention == "" {
					p.Convention = r.Convention
				}
			case r.Query != "":
				expr := r.Query
				if x.wrap != "" {
					expr = strings.ReplaceAll(x.wrap, "Q", "("+r.Query+")")
				}
				p.Queries = append(p.Queries, PanelQuery{Legend: x.legend, Expr: expr})
				if p.Convention == "" {
					p.Convention = r.Convention
				}
			default:
				missing = append(missing, fmt.Sprintf("%s: %s", x.sig, r.Why))
			}
		}
		if len(p.Queries) == 0 && len(p.Live) == 0 {
			p.Missing = strings.Join(missing, "; ")
		}
		return p
	}
	type part = signalPart
	return []Panel{
		panel(PanelRate, "Request rate", "req/s", part{"total", signals.Rate, ""}),
		panel(PanelErrors, "Errors", "%", part{"5xx %", signals.Errors, "100 * Q"}),
		panel(PanelLatency, "Latency", "s", part{"p99", signals.P99, ""}, part{"p50", signals.P50, ""}),
		panel(PanelReplicas, "Replicas", "count", part{"ready", signals.Ready, ""}, part{"desired", signals.Desired, ""}),
		panel(PanelCPU, "CPU", "%", part{"cpu % of request", signals.CPU, ""}),
	}
}
