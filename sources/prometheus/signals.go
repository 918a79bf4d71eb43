package prometheus

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/prometheus/common/model"

	"github.com/gamedaylab/gameday/signals"
)

// DetectWindow is how far back detection looks for a target's series: the head block, never a scan
// of all history (label queries without a window read every block Prometheus keeps).
const DetectWindow = 15 * time.Minute

// DetectQueries is the most queries one detection makes: the metric names near the target (one
// call for every convention's selectors), the client_golang family's status label, how
// OpenTelemetry series are tied to the Deployment (or, when only target_info names it, which
// OpenTelemetry series share target_info's job and instance: the tie is then known).
const DetectQueries = 3

// Detect finds which metric conventions have series for the target and resolves every signal to a
// query (signals.Resolve), in at most DetectQueries calls over the last DetectWindow.
func (b *Backend) Detect(ctx context.Context, t signals.Target, now time.Time) ([]signals.Resolution, signals.Facts, error) {
	start := now.Add(-DetectWindow)
	f := signals.Facts{Names: map[string]bool{}}
	names, _, _, err := b.api.LabelValues(ctx, "__name__", signals.Matches(t), start, now)
	if err != nil {
		return nil, f, fmt.Errorf("detect %s/%s: %w", t.Namespace, t.Deployment, classify(err))
	}
	for _, n := range names {
		f.Names[string(n)] = true
	}
	if f.Has("http_requests_total") {
		labels, _, _, err := b.api.LabelNames(ctx, []string{"http_requests_total{" + t.PodSelector() + "}"}, start, now)
		if err == nil {
			for _, l := range []string{"code", "status", "status_code"} {
				if slices.Contains(labels, model.LabelName(l)) {
					f.StatusLabel = l
					break
				}
			}
		}
	}
	if f.Has("target_info") && otelCount(f) == "" {
		b.otelThroughTargetInfo(ctx, t, now, &f)
	}
	if name := otelCount(f); name != "" && f.OTelScope == "" {
		f.OTelScope = b.otelScope(ctx, t, name, now)
	}
	return signals.Resolve(t, f), f, nil
}

func otelCount(f signals.Facts) string {
	for _, n := range []string{"http_server_request_duration_seconds_count", "http_server_duration_milliseconds_count"} {
		if f.Has(n) {
			return n
		}
	}
	return ""
}

// otelThroughTargetInfo finds, in one instant query, the OpenTelemetry request series tied to the
// target only by target_info's k8s attributes (same job and instance: an SDK's Prometheus exporter
// scraped without the pod's labels), which the names query cannot see.
func (b *Backend) otelThroughTargetInfo(ctx context.Context, t signals.Target, now time.Time, f *signals.Facts) {
	k8s := "k8s_namespace_name=" + signals.Quote(t.Namespace) + ",k8s_deployment_name=" + signals.Quote(t.Deployment)
	expr := `count by (__name__) ({__name__=~"http_server_request_duration_seconds_count|http_server_duration_milliseconds_count"} and on (job, instance) target_info{` + k8s + `})`
	v, _, _, err := b.api.Query(ctx, expr, now)
	if err != nil {
		return
	}
	vec, _ := v.(model.Vector)
	for _, s := range vec {
		f.Names[string(s.Metric[model.MetricNameLabel])] = true
		f.OTelScope = "target_info"
	}
}

// otelScope asks, in one instant query, which way OpenTelemetry series are tied to the Deployment:
// k8s attributes promoted to labels, the pod's own scrape, or target_info's attributes.
func (b *Backend) otelScope(ctx context.Context, t signals.Target, name string, now time.Time) string {
	k8s := "k8s_namespace_name=" + signals.Quote(t.Namespace) + ",k8s_deployment_name=" + signals.Quote(t.Deployment)
	expr := fmt.Sprintf(`label_replace(count(%[1]s{%[2]s}), "scope", "promoted", "", "") or label_replace(count(%[1]s{%[3]s}), "scope", "pod", "", "") or label_replace(count(target_info{%[2]s}), "scope", "target_info", "", "")`,
		name, k8s, t.PodSelector())
	v, _, _, err := b.api.Query(ctx, expr, now)
	if err != nil {
		return ""
	}
	vec, _ := v.(model.Vector)
	for _, scope := range []string{"promoted", "pod", "target_info"} {
		for _, s := range vec {
			if string(s.Metric["scope"]) == scope {
				return scope
			}
		}
	}
	return ""
}
