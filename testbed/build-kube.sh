#!/usr/bin/env bash
# Builds (once per version) the Kubernetes control plane the testbed runs: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubectl, kwok, metrics-server, istiod, the VPA recommender,
# kube-state-metrics, podinfo (an app nobody here wrote) and Prometheus 3, from the Go module proxy.
# Results are cached under $TESTBED_CACHE/<component>-<version>/ with a .done stamp; a cached component
# is never rebuilt. A cold build takes 30-45 minutes on 2 cores (kube-apiserver is most of it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.sh"

log() { printf '[testbed-build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# build_component NAME DIR FUNC: runs FUNC with $out set to a fresh temp dir, then moves it into place.
build_component() {
  local name=$1 dir=$2 fn=$3
  # One lock per component: two builds of different components may run side by side.
  exec 9>"$dir.lock"
  flock 9
  if [ -f "$dir/.done" ]; then
    log "$name: cached at $dir"
    return 0
  fi
  log "$name: building into $dir (first time only)"
  local start=$SECONDS
  rm -rf "$dir.tmp"
  mkdir -p "$dir.tmp/bin" "$dir.tmp/src"
  out="$dir.tmp" "$fn"
  date -u +%FT%TZ >"$dir.tmp/.done"
  rm -rf "$dir"
  mv "$dir.tmp" "$dir"
  log "$name: built in $((SECONDS - start))s"
  exec 9>&-
}

k8s_ldflags() {
  local v=${K8S_VERSION#v} major minor
  major=${v%%.*}; minor=${v#*.}; minor=${minor%%.*}
  local f="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    f+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    f+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  echo "$f"
}

build_kubernetes() {
  # k8s.io/kubernetes replaces its staging modules with ./staging paths at v0.0.0, so it cannot be
  # `go install`ed; a wrapper module pins each staging module to the matching published version.
  local src=$out/src
  go mod download -json "k8s.io/kubernetes@$K8S_VERSION" >/dev/null
  local kmod
  kmod=$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$K8S_VERSION.mod
  {
    echo "module gameday.local/testbed-kubernetes"
    echo
    echo "go 1.26"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "replace ("
    grep -E '^\s+k8s\.io/[a-z0-9-]+ => \./staging/' "$kmod" | awk -v v="$K8S_STAGING_VERSION" '{print "\t" $1 " => " $1 " " v}'
    echo ")"
    echo
    echo "tool ("
    for c in kube-apiserver kube-controller-manager kube-scheduler kubectl; do echo "	k8s.io/kubernetes/cmd/$c"; done
    echo ")"
  } >"$src/go.mod"
  (cd "$src" && go mod tidy >/dev/null 2>&1 || (cd "$src" && go mod tidy))
  (cd "$src" && go build -trimpath -ldflags "$(k8s_ldflags)" -o "$out/bin/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
}

build_etcd() {
  # Debian's etcd 3.4 lacks RequestWatchProgress (client-go watch-list streams stall), so build 3.6.
  local src=$out/src
  mkdir -p "$src/cmd/etcd"
  cat >"$src/go.mod" <<MOD
module gameday.local/testbed-etcd

go 1.26

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
MOD
  cat >"$src/cmd/etcd/main.go" <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  (cd "$src" && go mod tidy && go build -trimpath -ldflags "-s -w" -o "$out/bin/etcd" ./cmd/etcd)
}

build_kwok() {
  GOBIN=$out/bin go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  # kwok has no built-in stages: keep the ones it ships (node init, lease heartbeat, pod lifecycle) and
  # the resource-usage metric definitions, so the start script needs nothing from the module cache.
  local mod
  mod=$(go env GOMODCACHE)/sigs.k8s.io/kwok@$KWOK_VERSION/kustomize
  mkdir -p "$out/stages"
  cp "$mod/stage/node/fast/node-initialize.yaml" \
     "$mod/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml" \
     "$mod/stage/pod/fast/pod-ready.yaml" "$mod/stage/pod/fast/pod-complete.yaml" \
     "$mod/stage/pod/fast/pod-delete.yaml" \
     "$mod/metrics/resource/metrics-resource.yaml" "$mod/metrics/usage/usage-from-annotation.yaml" \
     "$out/stages/"
  chmod u+w "$out/stages/"*
}

build_metrics_server() {
  GOBIN=$out/bin go install -trimpath -ldflags "-s -w" "sigs.k8s.io/metrics-server/cmd/metrics-server@$METRICS_SERVER_VERSION"
}

build_istiod() {
  # istio.io/istio has no replace directives; its own build tags (the repo's STANDARD_TAGS) are needed.
  # The module is copied out of the read-only module cache and removed after the build; the CRDs of
  # exactly this istiod are kept beside it.
  go mod download -json "istio.io/istio@$ISTIO_VERSION" >/dev/null
  local mod
  mod=$(go env GOMODCACHE)/istio.io/istio@$ISTIO_VERSION
  cp -r "$mod/." "$out/src/"
  chmod -R u+w "$out/src"
  (cd "$out/src" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -tags=vtprotobuf,disable_pgv -trimpath -ldflags "-s -w" \
    -o "$out/bin/pilot-discovery" ./pilot/cmd/pilot-discovery)
  cp "$out/src/manifests/charts/base/files/crd-all.gen.yaml" "$out/crds.yaml"
  rm -rf "$out/src"
}

build_vpa() {
  # The recommender only (gameday shows recommendations; it never runs the updater or the admission
  # controller), and the CRDs of exactly that version.
  # Its go.mod has exclude directives, so `go install pkg@version` refuses it: it is built as the
  # main module, from a copy of the read-only module cache (removed after).
  go mod download -json "k8s.io/autoscaler/vertical-pod-autoscaler@$VPA_VERSION" >/dev/null
  cp -r "$(go env GOMODCACHE)/k8s.io/autoscaler/vertical-pod-autoscaler@$VPA_VERSION/." "$out/src/"
  chmod -R u+w "$out/src"
  (cd "$out/src" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/bin/recommender" ./pkg/recommender)
  cp "$out/src/deploy/vpa-v1-crd-gen.yaml" "$out/crds.yaml"
  rm -rf "$out/src"
}

build_ksm() {
  GOBIN=$out/bin go install -trimpath -ldflags "-s -w" "k8s.io/kube-state-metrics/v2@$KSM_VERSION"
}

build_prometheus() {
  GOBIN=$out/bin go install -trimpath -ldflags "-s -w" "github.com/prometheus/prometheus/cmd/prometheus@$PROMETHEUS_VERSION"
}

build_otelapp() {
  (cd "$here/otelapp" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/bin/otelapp" .)
}

# A venv of exactly pinned packages: httpbin and OpenTelemetry's Python instrumentation.
build_httpbin_otel() {
  python3 -m venv "$out/venv"
  "$out/venv/bin/pip" install --quiet --disable-pip-version-check "opentelemetry-distro==$HTTPBIN_OTEL_VERSION" \
    "opentelemetry-instrumentation-flask==$HTTPBIN_OTEL_VERSION" "opentelemetry-exporter-prometheus==$HTTPBIN_OTEL_VERSION" \
    "httpbin==0.10.4" "flask==3.1.3"
}

build_chaostoolkit() {
  python3 -m venv "$out/venv"
  "$out/venv/bin/pip" install --quiet --disable-pip-version-check "chaostoolkit==${CHAOSTOOLKIT_VERSION%-*}" \
    "chaostoolkit-lib==1.44.0" "chaostoolkit-kubernetes==0.39.0" "chaostoolkit-prometheus==0.6.0" "logzero==1.7.0" \
    "jsonpath2==0.4.5" "chaostoolkit-istio==0.4.1" "kubernetes==35.0.0"
}

build_podinfo() {
  GOBIN=$out/bin go install -trimpath -ldflags "-s -w" "github.com/stefanprodan/podinfo/cmd/podinfo@$PODINFO_VERSION"
}

# Jaeger v2 (an OpenTelemetry Collector distribution): its go.mod has replace directives, so it is
# built as a tool of a throwaway module, as its docs say.
build_jaeger() {
  local mod
  mod=$(mktemp -d)
  (cd "$mod" && go mod init gameday.test/jaeger >/dev/null 2>&1 &&
    go get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@$JAEGER_VERSION" &&
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/bin/jaeger" github.com/jaegertracing/jaeger/cmd/jaeger)
  rm -rf "$mod"
}

mkdir -p "$TESTBED_CACHE"
want=${*:-etcd kubernetes kwok metrics-server istiod vpa kube-state-metrics podinfo prometheus otelapp jaeger httpbin-otel chaostoolkit}
for c in $want; do
  case $c in
    etcd) build_component etcd "$TESTBED_CACHE/etcd-$ETCD_VERSION" build_etcd ;;
    kubernetes) build_component kubernetes "$TESTBED_CACHE/kubernetes-$K8S_VERSION" build_kubernetes ;;
    kwok) build_component kwok "$TESTBED_CACHE/kwok-$KWOK_VERSION" build_kwok ;;
    metrics-server) build_component metrics-server "$TESTBED_CACHE/metrics-server-$METRICS_SERVER_VERSION" build_metrics_server ;;
    istiod) build_component istiod "$TESTBED_CACHE/istiod-$ISTIO_VERSION" build_istiod ;;
    vpa) build_component vpa "$TESTBED_CACHE/vpa-$VPA_VERSION" build_vpa ;;
    kube-state-metrics) build_component kube-state-metrics "$TESTBED_CACHE/kube-state-metrics-$KSM_VERSION" build_ksm ;;
    podinfo) build_component podinfo "$TESTBED_CACHE/podinfo-$PODINFO_VERSION" build_podinfo ;;
    prometheus) build_component prometheus "$TESTBED_CACHE/prometheus-$PROMETHEUS_VERSION" build_prometheus ;;
    otelapp) build_component otelapp "$TESTBED_CACHE/otelapp-$OTELAPP_VERSION" build_otelapp ;;
    jaeger) build_component jaeger "$TESTBED_CACHE/jaeger-$JAEGER_VERSION" build_jaeger ;;
    chaostoolkit) build_component chaostoolkit "$TESTBED_CACHE/chaostoolkit-$CHAOSTOOLKIT_VERSION" build_chaostoolkit ;;
    httpbin-otel) build_component httpbin-otel "$TESTBED_CACHE/httpbin-otel-$HTTPBIN_OTEL_VERSION" build_httpbin_otel ;;
    *) echo "build-kube.sh: unknown component '$c' (want: etcd kubernetes kwok metrics-server istiod vpa kube-state-metrics podinfo prometheus otelapp jaeger httpbin-otel chaostoolkit)" >&2; exit 2 ;;
  esac
done
