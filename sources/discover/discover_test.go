package discover

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func svc(ns, name string, ports ...corev1.ServicePort) corev1.Service {
	return corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: corev1.ServiceSpec{Ports: ports}}
}

// TestCandidatesByNameThenNamespace: names in the order of preference, a suffix pattern (ECK), the
// preferred namespaces first, the preferred port by name, then number; https by port name.
func TestCandidatesByNameThenNamespace(t *testing.T) {
	w := Want{Services: []string{"elasticsearch-master", "*-es-http", "elasticsearch"}, PortNames: []string{"http", "https"},
		PortNumbers: []int32{9200}, Namespaces: []string{"logging", "default"}}
	got := candidates([]corev1.Service{
		svc("default", "elasticsearch", corev1.ServicePort{Name: "transport", Port: 9300}, corev1.ServicePort{Port: 9200}),
		svc("other", "elasticsearch-master", corev1.ServicePort{Name: "http", Port: 9200}),
		svc("logging", "elasticsearch-master", corev1.ServicePort{Name: "http", Port: 9200}),
		svc("elastic", "quickstart-es-http", corev1.ServicePort{Name: "https", Port: 9200}),
		svc("x", "-es-http", corev1.ServicePort{Name: "http", Port: 1}), // the suffix alone is no name
		svc("logging", "kibana", corev1.ServicePort{Name: "http", Port: 5601}),
	}, w)
	want := []Candidate{
		{"logging", "elasticsearch-master", "http", "http"},
		{"other", "elasticsearch-master", "http", "http"},
		{"elastic", "quickstart-es-http", "https", "https"},
		{"default", "elasticsearch", "9200", "http"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("candidate %d: got %v, want %v (all: %v)", i, got[i], want[i], got)
		}
	}
	if p := want[2].ProxyPath(); p != "/api/v1/namespaces/elastic/services/https:quickstart-es-http:https/proxy" {
		t.Fatalf("proxy path %s", p)
	}
}
