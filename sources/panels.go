package sources

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
