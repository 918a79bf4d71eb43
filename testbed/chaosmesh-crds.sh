#!/usr/bin/env bash
# Applies Chaos Mesh's CRDs (from its Go module, cached by version) to a testbed apiserver. No
# controller runs: the tests read and steer the experiment objects at the API level.
#   testbed/chaosmesh-crds.sh KUBECONFIG
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.sh"
KCFG=${1:?usage: chaosmesh-crds.sh KUBECONFIG}
C=$TESTBED_CACHE/chaos-mesh-$CHAOS_MESH_VERSION
mkdir -p "$TESTBED_CACHE"
exec 9>"$C.lock"
flock 9
if [ ! -f "$C/.done" ]; then
  go mod download -json "github.com/chaos-mesh/chaos-mesh@$CHAOS_MESH_VERSION" >/dev/null
  mkdir -p "$C"
  cp "$(go env GOMODCACHE)/github.com/chaos-mesh/chaos-mesh@$CHAOS_MESH_VERSION/manifests/crd.yaml" "$C/crd.yaml"
  chmod u+w "$C/crd.yaml"
  touch "$C/.done"
fi
KCTL="$TESTBED_CACHE/kubernetes-$K8S_VERSION/bin/kubectl --kubeconfig=$KCFG"
$KCTL apply --server-side --force-conflicts -f "$C/crd.yaml" >/dev/null
$KCTL wait --for condition=established --timeout=60s crd/podchaos.chaos-mesh.org crd/networkchaos.chaos-mesh.org >/dev/null
