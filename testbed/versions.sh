# Versions of every server the testbed runs. The cache directory of each build is keyed by these, so
# bumping one rebuilds exactly that component and nothing else.
K8S_VERSION=v1.35.4
K8S_STAGING_VERSION=v0.35.4
ETCD_VERSION=v3.6.5
KWOK_VERSION=v0.8.0
METRICS_SERVER_VERSION=v0.8.0
K9S_VERSION=v0.50.16

GAMEDAY_CACHE=${GAMEDAY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gameday}
TESTBED_CACHE=$GAMEDAY_CACHE/testbed
ZIPKIN_VERSION=3.6.1
OPENSEARCH_VERSION=2.19.6
JUNITPARSER_VERSION=5.0.3
