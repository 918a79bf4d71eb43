package signals

import (
	"regexp"
	"strings"
	"testing"
)

// TestPodRegexIsTheDeploymentsAndNoOneElses: the pod names of a Deployment, from its ReplicaSets,
// and not its canary's, a StatefulSet's or a Job's of a similar name (facts: §0).
func TestPodRegexIsTheDeploymentsAndNoOneElses(t *testing.T) {
	for _, tg := range []Target{{Namespace: "shop", Deployment: "web", ReplicaSets: []string{"web-7d4b9c8f6d", "web-5f6c7d8b9"}}, {Namespace: "shop", Deployment: "web"}} {
		re := regexp.MustCompile("^(?:" + tg.PodRegex() + ")$") // PromQL anchors its regexes
		for _, name := range []string{"web-7d4b9c8f6d-x2v9q", "web-5f6c7d8b9-bcdfg"} {
			if !re.MatchString(name) {
				t.Errorf("%s does not match %s", tg.PodRegex(), name)
			}
		}
		for _, name := range []string{"web-canary-7d4b9c8f6d-x2v9q", "web-db-0", "web-migrate-x7k2p", "web-7d4b9c8f6d-xa9q1", "webx-7d4b9c8f6d-x2v9q"} {
			if re.MatchString(name) {
				t.Errorf("%s matches %s", tg.PodRegex(), name)
			}
		}
	}
}

func facts(names ...string) Facts {
	f := Facts{Names: map[string]bool{}}
	for _, n := range names {
		f.Names[n] = true
	}
	return f
}

func byName(rs []Resolution) map[Name]Resolution {
	out := map[Name]Resolution{}
	for _, r := range rs {
		out[r.Signal] = r
	}
	return out
}

// TestResolvePrefersTheMeshThenTheAppThenTheEdge: with several conventions present, the mesh's is
// chosen (it sees both sides of a request); Istio's query takes only the destination reporter and
// turns milliseconds into seconds.
func TestResolvePrefersTheMeshThenTheAppThenTheEdge(t *testing.T) {
	tg := Target{Namespace: "shop", Deployment: "web", ReplicaSets: []string{"web-7d4b9c8f6d"}, Services: []string{"web"}}
	rs := byName(Resolve(tg, facts("istio_requests_total", "http_requests_total", "envoy_cluster_upstream_rq_total")))
	if c := rs[Rate].Convention; c != "Istio · destination" {
		t.Fatalf("rate from %q", c)
	}
	if q := rs[P99].Query; !strings.Contains(q, `reporter="destination"`) || !strings.HasSuffix(q, "/ 1000") || !strings.Contains(q, "histogram_quantile(0.99") {
		t.Fatalf("p99: %s", q)
	}
	if q := rs[Errors].Query; !strings.Contains(q, `response_code=~"5.."`) {
		t.Fatalf("errors: %s", q)
	}
	rs = byName(Resolve(tg, facts("http_requests_total", "http_request_duration_seconds_bucket", "envoy_cluster_upstream_rq_total")))
	if c := rs[Rate].Convention; c != "client_golang http_requests_total" {
		t.Fatalf("without a mesh: %q", c)
	}
	rs = byName(Resolve(tg, facts("envoy_cluster_upstream_rq_total")))
	if q := rs[Rate].Query; rs[Rate].Convention != "Envoy · upstream cluster" || !strings.Contains(q, `outbound\\|[0-9]+\\|[^|]*\\|(web)\\.shop\\.svc\\.cluster\\.local`) {
		t.Fatalf("edge only: %+v", rs[Rate])
	}
	if q := rs[Errors].Query; !strings.Contains(q, `envoy_cluster_upstream_rq{cluster_name=~`) || !strings.Contains(q, `response_code_class="5xx"`) || !strings.Contains(q, "/ sum(rate(envoy_cluster_upstream_rq_total{") {
		t.Fatalf("edge errors (Istio's stats tags): %s", q)
	}
	// Micrometer's server errors by status: Armeria's timers (Zipkin's server) have no outcome label.
	rs = byName(Resolve(tg, facts("http_server_requests_seconds_count")))
	if q := rs[Errors].Query; rs[Rate].Convention != "Micrometer" || !strings.Contains(q, `status=~"5.."`) || strings.Contains(q, "outcome") {
		t.Fatalf("micrometer errors: %s", q)
	}
}

// TestResolveNamesWhatIsMissing: no known convention near the target: every request signal says
// what was looked for and how to configure a panel; replicas and CPU come from the session's own
// view of the cluster.
func TestResolveNamesWhatIsMissing(t *testing.T) {
	rs := byName(Resolve(Target{Namespace: "shop", Deployment: "web"}, facts()))
	if r := rs[Rate]; r.Found() || !strings.Contains(r.Why, "metrics.panels") || len(r.Tried) < 5 {
		t.Fatalf("rate: %+v", r)
	}
	if r := rs[Ready]; r.Source != "watch" || r.Query != "" {
		t.Fatalf("ready: %+v", r)
	}
	if r := rs[CPU]; r.Source != "metrics.k8s.io" {
		t.Fatalf("cpu: %+v", r)
	}
}

// TestStatusLabelAndKSMJoin: the client_golang family's status label is the detected one, and with
// kube-state-metrics the pods are taken by its owner records, kept over the window.
func TestStatusLabelAndKSMJoin(t *testing.T) {
	f := facts("http_requests_total", "http_request_duration_seconds_bucket", "kube_pod_owner", "kube_deployment_status_replicas_ready")
	f.StatusLabel = "status"
	rs := byName(Resolve(Target{Namespace: "shop", Deployment: "podinfo"}, f))
	if q := rs[Errors].Query; !strings.Contains(q, `status=~"5..|5xx"`) || !strings.Contains(q, "max_over_time((max by (namespace, pod) (kube_pod_owner") {
		t.Fatalf("errors: %s", q)
	}
	if rs[Ready].Convention != "kube-state-metrics" || !strings.Contains(rs[Desired].Query, "kube_horizontalpodautoscaler_info") {
		t.Fatalf("replicas: %+v %+v", rs[Ready], rs[Desired])
	}
}

func TestParse(t *testing.T) {
	if n, err := Parse("p99"); err != nil || n != P99 {
		t.Fatal(n, err)
	}
	if _, err := Parse("p95"); err == nil || !strings.Contains(err.Error(), "rate, errors, p50") {
		t.Fatal(err)
	}
}

// TestAPIServerConvention: software built on k8s.io/apiserver is read by apiserver_request_total,
// its errors by code, its latency from the SLI histogram without the long-running verbs.
func TestAPIServerConvention(t *testing.T) {
	tg := Target{Namespace: "kube-system", Deployment: "metrics-server", ReplicaSets: []string{"metrics-server-7d4b9c8f6d"}}
	rs := byName(Resolve(tg, facts("apiserver_request_total", "apiserver_request_sli_duration_seconds_bucket", "apiserver_request_duration_seconds_bucket")))
	if rs[Rate].Convention != "Kubernetes API server" || !strings.Contains(rs[Rate].Query, "rate(apiserver_request_total{namespace=\"kube-system\",pod=~") {
		t.Fatalf("rate: %+v", rs[Rate])
	}
	if q := rs[Errors].Query; !strings.Contains(q, `code=~"5.."`) {
		t.Fatalf("errors: %s", q)
	}
	if q := rs[P99].Query; !strings.Contains(q, "apiserver_request_sli_duration_seconds_bucket{") || !strings.Contains(q, `verb!~"WATCH|CONNECT"`) || strings.Contains(rs[Rate].Query, "WATCH") {
		t.Fatalf("p99: %s", q)
	}
	rs = byName(Resolve(tg, facts("apiserver_request_total", "apiserver_request_duration_seconds_bucket")))
	if q := rs[P99].Query; !strings.Contains(q, "apiserver_request_duration_seconds_bucket{") || !strings.Contains(rs[P99].Why, "no SLI histogram") {
		t.Fatalf("without the SLI histogram: %+v", rs[P99])
	}
}

// TestEnvoyNativeTags: a stock Envoy's own stats tags (envoy_cluster_name, the _xx family with class
// "5") are read as such: for Contour's cluster names (NS/SVC/PORT/HASH) under the plain metric
// names, and for Istio's (outbound|PORT||SVC.NS.svc.cluster.local), whose namespace the default
// tag leaves in the metric's name.
func TestEnvoyNativeTags(t *testing.T) {
	tg := Target{Namespace: "edge-native", Deployment: "web", Services: []string{"web"}}
	rs := byName(Resolve(tg, facts("envoy_cluster_upstream_rq_xx")))
	if rs[Rate].Convention != "Envoy · upstream cluster (native tags)" || !strings.Contains(rs[Rate].Query, "envoy_cluster_upstream_rq_total{envoy_cluster_name=~") {
		t.Fatalf("rate: %+v", rs[Rate])
	}
	if q := rs[Errors].Query; !strings.Contains(q, `envoy_cluster_upstream_rq_xx{envoy_cluster_name=~`) || !strings.Contains(q, `envoy_response_code_class="5"`) {
		t.Fatalf("errors: %s", q)
	}
	re := regexp.MustCompile("^(?:" + contourClusters(tg) + ")$")
	if !re.MatchString("edge-native/web/80/da39a3ee5e") || re.MatchString("edge-native/web-canary/80/da39a3ee5e") || re.MatchString("other/web/80/da39a3ee5e") {
		t.Errorf("contour clusters %s", re)
	}
	rs = byName(Resolve(tg, facts("envoy_cluster_edge_native_svc_cluster_local__upstream_rq_xx")))
	if q := rs[Rate].Query; !strings.Contains(q, "rate(envoy_cluster_edge_native_svc_cluster_local__upstream_rq_total{envoy_cluster_name=~") {
		t.Fatalf("istio-named clusters, default tags: %s", q)
	}
	re = regexp.MustCompile("^(?:" + istioClusterHeads(tg) + ")$")
	if !re.MatchString("outbound|8080||web") || re.MatchString("outbound|8080||webx") || re.MatchString("inbound|8080||web") {
		t.Errorf("istio cluster heads %s", re)
	}
}

// TestOTelThroughTargetInfoErrors: series tied to the target only through target_info have no
// selector of their own; the error share's 5xx matcher must then stand alone (it began with a comma,
// which Prometheus refuses).
func TestOTelThroughTargetInfoErrors(t *testing.T) {
	f := facts("http_server_request_duration_seconds_count")
	f.OTelScope = "target_info"
	q := byName(Resolve(Target{Namespace: "shop", Deployment: "web"}, f))[Errors].Query
	if strings.Contains(q, "{,") || !strings.Contains(q, `http_server_request_duration_seconds_count{http_response_status_code=~"5.."}`) {
		t.Fatalf("errors: %s", q)
	}
}
