#!/usr/bin/env bash
# Starts a real VPA recommender (built by build-kube.sh from the vertical-pod-autoscaler module) against
# a running testbed apiserver, outside any cluster: the CRDs of exactly that version are applied first.
# It reads pod usage from metrics-server (kwok's emulated CPU) and writes each VPA's recommendation.
#
#   testbed/vpa-up.sh VPA_DIR KUBECONFIG     # writes VPA_DIR/env (VPA_METRICS)
#   testbed/obs-down.sh VPA_DIR recommender  # stops it by pid
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/versions.sh"
RUN=${1:?usage: vpa-up.sh VPA_DIR KUBECONFIG}
KCFG=${2:?usage: vpa-up.sh VPA_DIR KUBECONFIG}
RUN=$(realpath -m -- "$RUN")
"$here/build-kube.sh" vpa kubernetes
V=$TESTBED_CACHE/vpa-$VPA_VERSION
KCTL="$TESTBED_CACHE/kubernetes-$K8S_VERSION/bin/kubectl --kubeconfig=$KCFG"
mkdir -p "$RUN"

$KCTL apply --server-side --force-conflicts -f "$V/crds.yaml" >"$RUN/crds.log" 2>&1 || { cat "$RUN/crds.log" >&2; exit 1; }
$KCTL wait --for condition=established --timeout=60s crd/verticalpodautoscalers.autoscaling.k8s.io \
  crd/verticalpodautoscalercheckpoints.autoscaling.k8s.io >/dev/null

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# A short interval so a test sees a recommendation in seconds (the default fetches every minute);
# --memory-saver tracks only pods a VPA selects.
nohup "$V/bin/recommender" --kubeconfig "$KCFG" --recommender-interval 5s --address "127.0.0.1:$PORT" \
  --memory-saver --checkpoints-gc-interval 1h --v 2 >"$RUN/recommender.log" 2>&1 &
echo $! >"$RUN/recommender.pid"
wait_ready recommender "http://127.0.0.1:$PORT/metrics" "$RUN/recommender.pid" "$RUN/recommender.log" 60
cat >>"$RUN/env" <<ENV
VPA_METRICS=http://127.0.0.1:$PORT/metrics
ENV
