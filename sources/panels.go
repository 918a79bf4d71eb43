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

// ResolveSignals fills the queries of configured panels that name a signal with the signal's
// detected query (rs nil: not detected yet). A share of 5xx on a "%" panel is drawn as a percentage;
// a signal the session draws from the cluster becomes a live series; one nothing has is left out and
// the panel, when nothing is left, says why.
func ResolveSignals(panels []Panel, rs []signals.Resolution) []Panel {
	by := map[signals.Name]signals.Resolution{}
	for _, r := range rs {
		by[r.Signal] = r
	}
	out := make([]Panel, len(panels))
	for i, p := range panels {
		np := p
		np.Queries, np.Live, np.Missing = nil, nil, ""
		var missing []string
		for _, q := range p.Queries {
			if q.Signal == "" {
				np.Queries = append(np.Queries, q)
				continue
			}
			r, ok := by[q.Signal]
			switch {
			case rs == nil:
				missing = append(missing, fmt.Sprintf("%s: not detected yet", q.Signal))
			case ok && r.Query != "":
				q.Expr = r.Query
				if q.Signal.Unit() == "ratio" && p.Unit == "%" {
					q.Expr = "100 * (" + r.Query + ")"
				}
				np.Queries = append(np.Queries, q)
				if np.Convention == "" {
					np.Convention = r.Convention
				}
			case ok && r.Source != "":
				np.Live = append(np.Live, LiveSeries{Legend: q.Legend, Signal: q.Signal})
				if np.Convention == "" {
					np.Convention = r.Convention
				}
			default:
				missing = append(missing, fmt.Sprintf("%s: %s", q.Signal, r.Why))
			}
		}
		if len(np.Queries) == 0 && len(np.Live) == 0 {
			np.Missing = strings.Join(missing, "; ")
		}
		out[i] = np
	}
	return out
}

// HasSignals says whether any panel names a signal.
func HasSignals(panels []Panel) bool {
	for _, p := range panels {
		for _, q := range p.Queries {
			if q.Signal != "" {
				return true
			}
		}
	}
	return false
}
