package signals

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Facts are what detection found near a target: the metric names its series carry (from one label
// values query, bounded to a short window), and what a convention needed asked besides.
type Facts struct {
	Names map[string]bool
	// StatusLabel is the client_golang family's status label: code, status or status_code.
	StatusLabel string
	// OTelScope is how OpenTelemetry series are tied to the Deployment: "promoted" (k8s attributes as
	// labels), "pod" (scraped from the pod) or "target_info" (joined on job and instance).
	OTelScope string
}

// Has says whether a metric name was seen near the target.
func (f Facts) Has(name string) bool { return f.Names[name] }

// red is a request convention: a counter of requests (or a histogram's _count), a histogram of
// their latency, how the target's series are selected, what a 5xx answer adds to that selection.
type red struct {
	count, bucket string
	sel           string
	join          string // appended inside the sum (an "and on (...)" join), "" for none
	err           string // the matchers of a 5xx answer
	errCount      string // the counter those matchers select from, when not count
	scale         string // " / 1000" for a histogram in milliseconds
	bucketSel     string // matchers of the latency histogram alone
}

func (r red) series(name, extra string) string {
	sel := r.sel
	if extra != "" {
		sel = strings.TrimPrefix(sel+","+extra, ",") // a convention tied by a join has no selector of its own
	}
	return fmt.Sprintf("rate(%s{%s}[$interval])%s", name, sel, r.join)
}

func (r red) query(n Name) string {
	switch n {
	case Rate:
		return "sum(" + r.series(r.count, "") + ")"
	case Errors:
		// No 5xx series at all is a share of 0 while requests flow (and still no data without them).
		ec := r.count
		if r.errCount != "" {
			ec = r.errCount
		}
		return "(sum(" + r.series(ec, r.err) + ") or vector(0)) / sum(" + r.series(r.count, "") + ")"
	case P50, P90, P99:
		if r.bucket == "" {
			return ""
		}
		return "histogram_quantile(" + quantile(n) + ", sum by (le) (" + r.series(r.bucket, r.bucketSel) + "))" + r.scale
	}
	return ""
}

// Convention is one way series are named and labelled, in the order detection prefers them: the
// mesh's view of the target (both sides of every request), then the app's own, then an edge's.
type Convention struct {
	ID, Title string
	// Names are the metric names whose presence near the target means the convention is there.
	Names []string
	// NamesOf, when set, are the names for a target (names that carry its namespace) instead.
	NamesOf func(t Target) []string
	// Match are series selectors whose names show the convention near the target (one detection
	// query asks for the names of all of them at once).
	Match func(t Target) []string
	// red builds its request signals for t from the facts (nil: it has none).
	red func(t Target, f Facts) (red, string)
}

func q(s string) string { return Quote(s) }

// PodSelector selects the target's pods' own series, labelled by the scrape (kubernetes service
// discovery): namespace="NS",pod=~"REGEX".
func (t Target) PodSelector() string {
	return "namespace=" + q(t.Namespace) + ",pod=~" + q(t.PodRegex())
}

// Quote is a PromQL string literal (Go's escaping: a regex's backslashes are doubled).
func Quote(s string) string { return strconv.Quote(s) }

// podScope ties a convention's series to the target's pods: by kube-state-metrics' owner records
// when that exporter is there (exact, whatever the names; kept over the window so a killed pod's
// last traffic stays), else by the pods' names. extra are the convention's own matchers.
func podScope(r red, t Target, f Facts, extra string) (red, string) {
	if f.Has("kube_pod_owner") {
		r.sel = "namespace=" + q(t.Namespace) + extra
		r.join = " and on (namespace, pod) " + ksmPods(t)
		return r, "namespace and pod labels, joined with kube-state-metrics' owners (kept across pod kills)"
	}
	r.sel = t.PodSelector() + extra
	return r, "namespace and pod labels, the pods' names from their ReplicaSets"
}

// Conventions are the request conventions detection knows, preferred first.
func Conventions() []Convention { return requestConventions() }

// Request conventions, preferred first.
func requestConventions() []Convention {
	return []Convention{
		{ID: "istio", Title: "Istio · destination", Names: []string{"istio_requests_total"},
			Match: func(t Target) []string {
				return []string{"istio_requests_total{destination_workload_namespace=" + q(t.Namespace) + ",destination_workload=" + q(t.Deployment) + "}"}
			},
			red: func(t Target, _ Facts) (red, string) {
				// Only the destination reporter: the two reporters see the same requests.
				return red{count: "istio_requests_total", bucket: "istio_request_duration_milliseconds_bucket", scale: " / 1000",
					sel: `reporter="destination",destination_workload_namespace=` + q(t.Namespace) + ",destination_workload=" + q(t.Deployment),
					err: `response_code=~"5.."`}, "destination_workload label, reporter destination"
			}},
		{ID: "linkerd", Title: "Linkerd · inbound", Names: []string{"response_total"},
			Match: func(t Target) []string {
				return []string{"response_total{namespace=" + q(t.Namespace) + ",deployment=" + q(t.Deployment) + "}"}
			},
			red: func(t Target, _ Facts) (red, string) {
				return red{count: "response_total", bucket: "response_latency_ms_bucket", scale: " / 1000",
					sel: `direction="inbound",namespace=` + q(t.Namespace) + ",deployment=" + q(t.Deployment),
					err: `status_code=~"5.."`}, "deployment label, inbound"
			}},
		{ID: "otel", Title: "OpenTelemetry HTTP", Names: []string{"http_server_request_duration_seconds_count"},
			Match: func(t Target) []string {
				return []string{"{k8s_namespace_name=" + q(t.Namespace) + ",k8s_deployment_name=" + q(t.Deployment) + "}",
					"target_info{k8s_namespace_name=" + q(t.Namespace) + ",k8s_deployment_name=" + q(t.Deployment) + "}"}
			},
			red: func(t Target, f Facts) (red, string) {
				r := red{count: "http_server_request_duration_seconds_count", bucket: "http_server_request_duration_seconds_bucket",
					err: `http_response_status_code=~"5.."`}
				return otelScope(r, t, f)
			}},
		{ID: "otel-old", Title: "OpenTelemetry HTTP (old names, ms)", Names: []string{"http_server_duration_milliseconds_count"},
			red: func(t Target, f Facts) (red, string) {
				r := red{count: "http_server_duration_milliseconds_count", bucket: "http_server_duration_milliseconds_bucket",
					err: `http_status_code=~"5.."`, scale: " / 1000"}
				return otelScope(r, t, f)
			}},
		{ID: "micrometer", Title: "Micrometer", Names: []string{"http_server_requests_seconds_count"},
			red: func(t Target, f Facts) (red, string) {
				// status, not outcome: Armeria's Micrometer timers (Zipkin's server) have no outcome.
				r, why := podScope(red{count: "http_server_requests_seconds_count", err: `status=~"5.."`}, t, f, `,uri!~"/actuator.*|/prometheus|/metrics|/health"`)
				if f.Has("http_server_requests_seconds_bucket") {
					r.bucket = "http_server_requests_seconds_bucket"
				} else {
					why += "; no histogram (percentiles-histogram off): no percentiles"
				}
				return r, why
			}},
		{ID: "client_golang", Title: "client_golang http_requests_total", Names: []string{"http_requests_total", "http_request_duration_seconds_count"},
			red: func(t Target, f Facts) (red, string) {
				s := f.StatusLabel
				if s == "" {
					s = "code"
				}
				r, why := podScope(red{count: "http_requests_total", bucket: "http_request_duration_seconds_bucket", err: s + `=~"5..|5xx"`},
					t, f, `,handler!~"/metrics|/healthz|/readyz",path!~"/metrics|/healthz|/readyz"`)
				if !f.Has("http_requests_total") {
					r.count = "http_request_duration_seconds_count" // a histogram without a counter beside it
				}
				if !f.Has("http_request_duration_seconds_bucket") {
					r.bucket = ""
				}
				return r, why + "; status label " + s
			}},
		{ID: "apiserver", Title: "Kubernetes API server", Names: []string{"apiserver_request_total"},
			red: func(t Target, f Facts) (red, string) {
				// Software built on k8s.io/apiserver (metrics-server, aggregated APIs, the apiserver
				// behind its pods). Latency from the SLI histogram (no webhook or fairness queueing
				// wait) without the long-running verbs, which would dominate it.
				r, why := podScope(red{count: "apiserver_request_total", bucket: "apiserver_request_sli_duration_seconds_bucket", err: `code=~"5.."`,
					bucketSel: `verb!~"WATCH|CONNECT",subresource!~"proxy|attach|log|exec|portforward"`}, t, f, "")
				if !f.Has("apiserver_request_sli_duration_seconds_bucket") {
					r.bucket = "apiserver_request_duration_seconds_bucket"
					why += "; no SLI histogram: latency includes webhooks and queueing"
				}
				return r, why
			}},
		{ID: "demoapp", Title: "gameday demo app", Names: []string{"demoapp_http_requests_total"},
			Match: func(t Target) []string {
				return []string{"demoapp_http_requests_total{namespace=" + q(t.Namespace) + ",app=" + q(t.Deployment) + "}"}
			},
			red: func(t Target, _ Facts) (red, string) {
				return red{count: "demoapp_http_requests_total", bucket: "demoapp_http_request_duration_seconds_bucket",
					sel: "namespace=" + q(t.Namespace) + ",app=" + q(t.Deployment), err: `code=~"5.."`}, "namespace and app labels"
			}},
		{ID: "ingress-nginx", Title: "ingress-nginx · edge", Names: []string{"nginx_ingress_controller_requests"},
			Match: func(t Target) []string {
				if len(t.Services) == 0 {
					return nil
				}
				return []string{"nginx_ingress_controller_requests{namespace=" + q(t.Namespace) + ",service=~" + q(alt(t.Services)) + "}"}
			},
			red: func(t Target, _ Facts) (red, string) {
				return red{count: "nginx_ingress_controller_requests", bucket: "nginx_ingress_controller_request_duration_seconds_bucket",
					sel: "namespace=" + q(t.Namespace) + ",service=~" + q(alt(t.Services)), err: `status=~"5.."`}, "the Services selecting its pods (north-south traffic only)"
			}},
		{ID: "envoy", Title: "Envoy · upstream cluster", Names: []string{"envoy_cluster_upstream_rq_total"},
			Match: func(t Target) []string {
				if len(t.Services) == 0 {
					return nil
				}
				return []string{"envoy_cluster_upstream_rq_total{cluster_name=~" + q(envoyClusters(t)) + "}"}
			},
			red: func(t Target, _ Facts) (red, string) {
				// Istio's stats tags: the class of an answer is a tag of upstream_rq, whose series
				// also count by code, so the total is its own counter.
				r := red{count: "envoy_cluster_upstream_rq_total", bucket: "envoy_cluster_upstream_rq_time_bucket", scale: " / 1000",
					sel: "cluster_name=~" + q(envoyClusters(t)), errCount: "envoy_cluster_upstream_rq", err: `response_code_class="5xx"`}
				return r, "the upstream clusters of the Services selecting its pods (outbound|PORT||SVC.NS.svc.cluster.local, Istio's stats tags)"
			}},
		{ID: "envoy-native", Title: "Envoy · upstream cluster (native tags)",
			NamesOf: func(t Target) []string {
				return []string{"envoy_cluster_upstream_rq_xx", envoyDotted(t) + "upstream_rq_xx"}
			},
			Match: func(t Target) []string {
				if len(t.Services) == 0 {
					return nil
				}
				return []string{"envoy_cluster_upstream_rq_xx{envoy_cluster_name=~" + q(contourClusters(t)) + "}",
					envoyDotted(t) + "upstream_rq_xx{envoy_cluster_name=~" + q(istioClusterHeads(t)) + "}"}
			},
			red: func(t Target, f Facts) (red, string) {
				// Envoy's own tag names: the class of an answer is "5", its counters the _xx family.
				// Its default cluster_name tag ends at the first dot, so a cluster named for a host
				// (Istio's outbound|PORT||SVC.NS.svc.cluster.local) keeps the rest in the metric's name.
				if f.Has(envoyDotted(t) + "upstream_rq_xx") {
					pre := envoyDotted(t)
					return red{count: pre + "upstream_rq_total", bucket: pre + "upstream_rq_time_bucket", scale: " / 1000",
							sel: "envoy_cluster_name=~" + q(istioClusterHeads(t)), errCount: pre + "upstream_rq_xx", err: `envoy_response_code_class="5"`},
						"the upstream clusters of the Services selecting its pods (outbound|PORT||SVC, the namespace in the metric's name: Envoy's default stats tags on Istio's cluster names)"
				}
				return red{count: "envoy_cluster_upstream_rq_total", bucket: "envoy_cluster_upstream_rq_time_bucket", scale: " / 1000",
						sel: "envoy_cluster_name=~" + q(contourClusters(t)), errCount: "envoy_cluster_upstream_rq_xx", err: `envoy_response_code_class="5"`},
					"the upstream clusters of the Services selecting its pods, named NS/SVC/PORT/HASH (Contour), Envoy's default stats tags"
			}},
	}
}

// contourClusters matches a Service's upstream clusters as Contour names them: NS/SVC/PORT/HASH.
func contourClusters(t Target) string {
	return regexp.QuoteMeta(t.Namespace) + "/(" + alt(t.Services) + ")/[0-9]+/[0-9a-f]+"
}

// istioClusterHeads matches what Envoy's default cluster_name tag keeps of Istio's cluster name for
// a Service: outbound|PORT||SVC, up to the first dot.
func istioClusterHeads(t Target) string {
	return `outbound\|[0-9]+\|[^|]*\|(` + alt(t.Services) + `)`
}

// envoyDotted is the metric name prefix Envoy's default tags leave for Istio's cluster names of
// the target's namespace: the host's rest (NS.svc.cluster.local.), sanitised for Prometheus.
func envoyDotted(t Target) string {
	return "envoy_cluster_" + promName(t.Namespace) + "_svc_cluster_local__"
}

// promName is s as Envoy writes it into a Prometheus metric name: every character outside
// [a-zA-Z0-9_] an underscore.
func promName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, s)
}

// otelScope ties OpenTelemetry series to the Deployment as detection found them tied.
func otelScope(r red, t Target, f Facts) (red, string) {
	switch f.OTelScope {
	case "promoted":
		r.sel = "k8s_namespace_name=" + q(t.Namespace) + ",k8s_deployment_name=" + q(t.Deployment)
		return r, "k8s.namespace.name and k8s.deployment.name promoted to labels"
	case "target_info":
		r.sel = ""
		r.join = " and on (job, instance) target_info{k8s_namespace_name=" + q(t.Namespace) + ",k8s_deployment_name=" + q(t.Deployment) + "}"
		return r, "joined on job and instance with target_info's k8s attributes"
	}
	return podScope(r, t, f, "")
}

func alt(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = regexp.QuoteMeta(n)
	}
	return strings.Join(q, "|")
}

// envoyClusters matches the cluster names Istio gives a Service's upstream: outbound|PORT||HOST.
func envoyClusters(t Target) string {
	return `outbound\|[0-9]+\|[^|]*\|(` + alt(t.Services) + `)\.` + regexp.QuoteMeta(t.Namespace) + `\.svc\.cluster\.local`
}

// Matches are every convention's series selectors for the target: detection asks for the metric
// names of all of them, over a short window, in one call.
func Matches(t Target) []string {
	out := []string{"{" + t.PodSelector() + "}",
		"kube_deployment_status_replicas_ready{namespace=" + q(t.Namespace) + ",deployment=" + q(t.Deployment) + "}"}
	for _, c := range requestConventions() {
		if c.Match != nil {
			out = append(out, c.Match(t)...)
		}
	}
	return out
}

// ksmSel is kube-state-metrics' selection of the Deployment.
func ksmSel(t Target) string { return "namespace=" + q(t.Namespace) + ",deployment=" + q(t.Deployment) }

// ksmPods joins series on the target's pods by kube-state-metrics' owner records, kept over the
// window so a killed pod's last traffic stays in the graph (its kube_pod_owner ends with it).
func ksmPods(t Target) string {
	return "max_over_time((max by (namespace, pod) (kube_pod_owner{namespace=" + q(t.Namespace) + `,owner_kind="ReplicaSet"} * on (namespace, owner_name) group_left() ` +
		`label_replace(max by (namespace, replicaset) (kube_replicaset_owner{namespace=` + q(t.Namespace) + `,owner_kind="Deployment",owner_name=` + q(t.Deployment) + `}), "owner_name", "$1", "replicaset", "(.*)")))[$interval:])`
}

// Resolve chooses, for each signal, the first convention whose series are there, and builds its
// query; what was tried and why it was chosen travel with it. A signal no convention has is
// resolved to the session's own view where there is one (replicas from the watch; CPU and memory
// from metrics.k8s.io), else left empty with the reason.
func Resolve(t Target, f Facts) []Resolution {
	var out []Resolution
	var chosen *Convention
	var r red
	var why string
	var tried []string
	for _, c := range requestConventions() {
		names := c.Names
		if c.NamesOf != nil {
			names = c.NamesOf(t)
		}
		present := false
		for _, n := range names {
			present = present || f.Has(n)
		}
		if !present {
			tried = append(tried, c.Title+": "+strings.Join(names, " or ")+" not near the target")
			continue
		}
		c := c
		chosen = &c
		r, why = c.red(t, f)
		tried = append(tried, c.Title+": found")
		break
	}
	for _, n := range []Name{Rate, Errors, P50, P90, P99} {
		res := Resolution{Signal: n, Unit: n.Unit(), Tried: tried}
		switch {
		case chosen == nil:
			res.Why = "no request metrics of a known convention near the target in the last 15 minutes; give the panel's PromQL in the config (metrics.panels) or a probe's query"
		default:
			res.Convention, res.Query, res.Why = chosen.Title, r.query(n), why
			if res.Query == "" {
				res.Why = chosen.Title + " has no latency histogram here: " + why
			}
		}
		out = append(out, res)
	}
	ksm := f.Has("kube_deployment_status_replicas_ready")
	kstried := []string{"kube-state-metrics: kube_deployment_status_replicas_ready " + map[bool]string{true: "found", false: "not found"}[ksm]}
	for _, n := range []Name{Ready, Desired} {
		res := Resolution{Signal: n, Unit: n.Unit(), Tried: kstried}
		switch {
		case ksm && n == Ready:
			res.Convention, res.Why = "kube-state-metrics", "kube_deployment_status_replicas_ready"
			res.Query = "sum(kube_deployment_status_replicas_ready{" + ksmSel(t) + "})"
		case ksm:
			res.Convention, res.Why = "kube-state-metrics", "the HPA's desired replicas when one targets it, else the Deployment's spec"
			res.Query = "max(kube_horizontalpodautoscaler_status_desired_replicas{namespace=" + q(t.Namespace) + "} * on (namespace, horizontalpodautoscaler) group_left() " +
				"kube_horizontalpodautoscaler_info{namespace=" + q(t.Namespace) + `,scaletargetref_kind="Deployment",scaletargetref_name=` + q(t.Deployment) + "})" +
				" or sum(kube_deployment_spec_replicas{" + ksmSel(t) + "})"
		default:
			res.Convention, res.Source = "watch", "watch"
			res.Why = "no kube-state-metrics in Prometheus: from the Deployment as the session watches it (live, no history)"
		}
		out = append(out, res)
	}
	cpuTried := []string{"kubelet/cAdvisor: container_cpu_usage_seconds_total " + map[bool]string{true: "found", false: "not found"}[f.Has("container_cpu_usage_seconds_total")]}
	cpu := Resolution{Signal: CPU, Unit: CPU.Unit(), Tried: cpuTried}
	mem := Resolution{Signal: Memory, Unit: Memory.Unit(), Tried: cpuTried}
	switch {
	case f.Has("container_cpu_usage_seconds_total") && f.Has("kube_pod_container_resource_requests"):
		used := `rate(container_cpu_usage_seconds_total{` + t.PodSelector() + `,container!="",container!="POD"}[$interval])`
		req := `kube_pod_container_resource_requests{` + t.PodSelector() + `,resource="cpu"}`
		cpu.Convention, cpu.Why = "kubelet + kube-state-metrics", "container CPU over the pods' CPU requests"
		cpu.Query = "100 * sum(" + used + " and on (namespace, pod, container) " + req + ") / sum(" + req + ")"
	case f.Has("container_cpu_usage_seconds_total"):
		cpu.Convention, cpu.Source = "metrics.k8s.io", "metrics.k8s.io"
		cpu.Why = "no CPU requests in Prometheus (kube-state-metrics): from metrics.k8s.io against the Deployment's requests, live"
	default:
		cpu.Convention, cpu.Source = "metrics.k8s.io", "metrics.k8s.io"
		cpu.Why = "no container CPU in Prometheus: from metrics.k8s.io (what the HPA reads), live"
	}
	if f.Has("container_memory_working_set_bytes") {
		mem.Convention, mem.Why = "kubelet", "container working set"
		mem.Query = `sum(container_memory_working_set_bytes{` + t.PodSelector() + `,container!="",container!="POD"})`
	} else {
		mem.Convention, mem.Source = "metrics.k8s.io", "metrics.k8s.io"
		mem.Why = "no container memory in Prometheus: from metrics.k8s.io, live"
	}
	restarts := Resolution{Signal: Restarts, Unit: Restarts.Unit(), Tried: kstried}
	if f.Has("kube_pod_container_status_restarts_total") || ksm {
		restarts.Convention, restarts.Why = "kube-state-metrics", "restarts of the Deployment's pods (kube_pod_owner join, kept across kills)"
		restarts.Query = `sum(increase(kube_pod_container_status_restarts_total{namespace=` + q(t.Namespace) + `}[$interval]) and on (namespace, pod) ` + ksmPods(t) + ")"
	} else {
		restarts.Convention, restarts.Source = "watch", "watch"
		restarts.Why = "no kube-state-metrics: the pods' restart counts as the session watches them"
	}
	return append(out, cpu, mem, restarts)
}
