// Package signals names what gameday measures of a target Deployment — its request rate, error
// share, latency percentiles, ready and desired replicas, CPU, memory and restarts — and knows how
// each is read in the metric conventions real clusters use: Istio, Linkerd, OpenTelemetry, Micrometer,
// the client_golang family, ingress-nginx, Envoy, kube-state-metrics, the kubelet, and the demo app's
// own. It builds PromQL and says why; it does no I/O (sources/prometheus detects, the session caches).
package signals

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Name is a signal: a named measure of the target.
type Name string

// The signals.
const (
	Rate     Name = "rate"     // requests/s the target serves
	Errors   Name = "errors"   // share of them answered 5xx (0..1)
	P50      Name = "p50"      // latency percentiles, seconds
	P90      Name = "p90"      //
	P99      Name = "p99"      //
	Ready    Name = "ready"    // ready replicas
	Desired  Name = "desired"  // desired replicas (the HPA's when one manages the target)
	CPU      Name = "cpu"      // CPU used, % of the pods' request
	Memory   Name = "memory"   // working set, bytes
	Restarts Name = "restarts" // container restarts in the window
)

// All are the signals in display order.
func All() []Name { return []Name{Rate, Errors, P50, P90, P99, Ready, Desired, CPU, Memory, Restarts} }

// Unit of a signal, as panels and probes show it.
func (n Name) Unit() string {
	switch n {
	case Rate:
		return "req/s"
	case Errors:
		return "ratio"
	case P50, P90, P99:
		return "s"
	case Ready, Desired, Restarts:
		return "count"
	case CPU:
		return "%"
	case Memory:
		return "bytes"
	}
	return ""
}

// Parse reads a signal's name, saying which exist when it is not one.
func Parse(s string) (Name, error) {
	for _, n := range All() {
		if string(n) == s {
			return n, nil
		}
	}
	names := make([]string, 0, len(All()))
	for _, n := range All() {
		names = append(names, string(n))
	}
	return "", fmt.Errorf("%q is not a signal (want one of %s)", s, strings.Join(names, ", "))
}

// quantile is a percentile signal's quantile.
func quantile(n Name) string {
	switch n {
	case P50:
		return "0.5"
	case P90:
		return "0.9"
	}
	return "0.99"
}

// Target is the Deployment whose signals are read, as the cluster shows it now.
type Target struct {
	Namespace, Deployment string
	// ReplicaSets are the Deployment's live ReplicaSets: its pods are named RS-xxxxx.
	ReplicaSets []string
	// Services are the Services whose selector matches its pods (edge conventions key on them).
	Services []string
}

// podSuffix is the five characters a ReplicaSet adds to a pod's name (apimachinery's rand alphabet:
// no vowels, no 0, 1 or 3).
const podSuffix = `-[bcdfghjklmnpqrstvwxz2456789]{5}`

// PodRegex matches the names of the target's pods and no one else's: a ReplicaSet name and its
// five-character suffix (a prefix match would take deploy/web-canary's pods for web's). Without a
// known ReplicaSet, the Deployment's name and a pod-template-hash of 1 to 10 characters.
func (t Target) PodRegex() string {
	if len(t.ReplicaSets) == 0 {
		return regexp.QuoteMeta(t.Deployment) + `-[bcdfghjklmnpqrstvwxz2456789]{1,10}` + podSuffix
	}
	rs := append([]string(nil), t.ReplicaSets...)
	sort.Strings(rs)
	for i := range rs {
		rs[i] = regexp.QuoteMeta(rs[i])
	}
	if len(rs) == 1 {
		return rs[0] + podSuffix
	}
	return "(" + strings.Join(rs, "|") + ")" + podSuffix
}

// Key identifies the target's shape for the detection cache: redone when a ReplicaSet comes or goes.
func (t Target) Key() string {
	rs := append([]string(nil), t.ReplicaSets...)
	sort.Strings(rs)
	return t.Namespace + "/" + t.Deployment + " " + strings.Join(rs, ",")
}

// Resolution is how one signal is read for a target: the convention chosen and its PromQL, or why
// none could be (Query empty). Tried lists what was looked for, in order.
type Resolution struct {
	Signal     Name   `json:"name"`
	Convention string `json:"convention,omitempty"` // "Istio · destination"
	Query      string `json:"query,omitempty"`
	Unit       string `json:"unit"`
	Why        string `json:"why"`
	// Source is where the value comes from when not from Prometheus: "watch" (the Deployment as
	// the session sees it) or "metrics.k8s.io".
	Source string   `json:"source,omitempty"`
	Tried  []string `json:"tried,omitempty"`
}

// Found says whether the signal can be read.
func (r Resolution) Found() bool { return r.Query != "" || r.Source != "" }
