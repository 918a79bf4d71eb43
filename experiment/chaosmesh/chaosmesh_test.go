package chaosmesh

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const podKill = `apiVersion: chaos-mesh.org/v1alpha1
kind: PodChaos
metadata:
  name: kill-web
  namespace: shop
spec:
  action: pod-kill
  mode: fixed-percent
  value: "50"
  gracePeriod: 5
  selector:
    namespaces: [shop]
    labelSelectors: {app: web}
    expressionSelectors:
      - {key: tier, operator: In, values: [front]}
`

func TestAPodKillReadsWhole(t *testing.T) {
	if !Detect([]byte(podKill)) || Detect([]byte("apiVersion: gameday.dev/v1alpha1\nkind: Experiment\n")) {
		t.Fatal("Detect")
	}
	f, err := Parse("kill.yaml", []byte(podKill))
	if err != nil {
		t.Fatal(err)
	}
	r := f.Resources[0]
	if r.Kind != "PodChaos" || r.Name != "kill-web" || r.Namespace != "shop" || r.Mode != "fixed-percent" || r.Value != "50" || r.GracePeriod != 5 {
		t.Fatalf("read %+v", r)
	}
	ls, err := labelSelector(r.Selector)
	if err != nil || ls != "app=web,tier in (front)" {
		t.Fatalf("label selector %q, %v", ls, err)
	}
}

// TestWhatGamedayDoesNotRunIsRefusedByName: every problem of a file, each with its line, the
// resource and why (in Chaos Mesh's words for its own rules).
func TestWhatGamedayDoesNotRunIsRefusedByName(t *testing.T) {
	doc := func(kind, spec string) string {
		return fmt.Sprintf("apiVersion: chaos-mesh.org/v1alpha1\nkind: %s\nmetadata: {name: x}\nspec:\n%s", kind, spec)
	}
	for _, c := range []struct{ text, want string }{
		{doc("PodChaos", "  action: pod-failure\n  mode: one\n  duration: 30s\n"), "spec.action pod-failure: gameday does not run it: it swaps the pod's containers for a pause image"},
		{doc("PodChaos", "  action: container-kill\n  mode: one\n  containerNames: [web]\n"), "container runtime"},
		{doc("PodChaos", "  action: pod-kill\n  mode: fixed\n  value: \"0\"\n"), "cannot select any object as value below or equal 0"},
		{doc("PodChaos", "  action: pod-kill\n  mode: fixed-percent\n  value: \"150\"\n"), "percentage value of 150 is invalid, Must be (0,100]"},
		{doc("PodChaos", "  action: pod-kill\n  mode: sometimes\n"), `spec.mode "sometimes": one of one, all, fixed, fixed-percent, random-max-percent`},
		{doc("PodChaos", "  action: pod-kill\n"), "spec.mode: required"},
		{doc("PodChaos", "  action: pod-kill\n  mode: one\n  selector: {labelSelector: {app: web}}\n"), "spec.selector.labelSelector: unknown"},
		{doc("StressChaos", "  mode: one\n"), "x.yaml:1: StressChaos x: gameday does not run StressChaos: it runs stress-ng"},
		{doc("Schedule", "  schedule: '@every 1m'\n"), "gameday's monkey (M) kills pods continuously"},
		{"apiVersion: chaos-mesh.org/v1beta1\nkind: PodChaos\nmetadata: {name: x}\n", `apiVersion "chaos-mesh.org/v1beta1"`},
		{doc("PodChaos", "  action: pod-kill\n  mode: one\n") + "---\n" + doc("HTTPChaos", "  mode: one\n"), "x.yaml:8: HTTPChaos x"},
	} {
		_, err := Parse("x.yaml", []byte(c.text))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q:\ngot %v\nwant %q", c.text, err, c.want)
		}
	}
}

// TestModesPickAsChaosMesh: how many pods each mode picks of ten (pkg/selector/generic/mode.go).
func TestModesPickAsChaosMesh(t *testing.T) {
	pods := make([]corev1.Pod, 10)
	for i := range pods {
		pods[i] = corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("p%d", i)}}
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		mode, value string
		lo, hi      int
	}{
		{"one", "", 1, 1}, {"all", "", 10, 10}, {"fixed", "3", 3, 3}, {"fixed", "30", 10, 10},
		{"fixed-percent", "25", 3, 3}, {"fixed-percent", "1", 1, 1}, {"random-max-percent", "50", 0, 5},
	} {
		for range 20 {
			got, err := ByMode(pods, c.mode, c.value, rnd)
			if err != nil || len(got) < c.lo || len(got) > c.hi {
				t.Fatalf("%s %s: %d pods, %v; want %d-%d", c.mode, c.value, len(got), err, c.lo, c.hi)
			}
			seen := map[string]bool{}
			for _, p := range got {
				if seen[p.Name] {
					t.Fatalf("%s %s picked %s twice", c.mode, c.value, p.Name)
				}
				seen[p.Name] = true
			}
		}
	}
	if _, err := ByMode(nil, "one", "", rnd); err == nil {
		t.Fatal("no pods: want Chaos Mesh's error")
	}
}

// TestOtherPeoplesChaosMeshFiles: Chaos Mesh files written by others (testdata/others, SOURCES.md):
// the pod-kills are read whole, the rest refused naming why.
func TestOtherPeoplesChaosMeshFiles(t *testing.T) {
	for file, want := range map[string]string{
		"podchaos-pod-kill-fixed-percent.yaml":                 "",
		"podchaos-pod-kill-pods-list-all.yaml":                 "",
		"podchaos-pod-kill-random-max-percent.yaml":            "",
		"podchaos-pod-kill-expression-selectors-multidoc.yaml": "StressChaos cpu-stress: gameday does not run StressChaos",
		"podchaos-pod-kill-field-selectors-list-multidoc.yaml": "spec.selector.fieldSelectors: a mapping (key: value), not a list",
		"podchaos-pod-failure-one-and-fixed-multidoc.yaml":     "spec.action pod-failure: gameday does not run it",
		"podchaos-container-kill.yaml":                         "spec.action container-kill: gameday does not run it",
		"httpchaos-abort.yaml":                                 "gameday does not run HTTPChaos",
		"networkchaos-delay.yaml":                              "gameday does not run NetworkChaos",
		"stresschaos-burn-cpu.yaml":                            "gameday does not run StressChaos",
		"schedule-pod-kill-fixed.yaml":                         "gameday does not run Schedule",
		"workflow-serial.yaml":                                 "gameday does not run Workflow",
	} {
		_, err := Read("testdata/others/" + file)
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", file, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: got %v, want %q", file, err, want)
		}
	}
}
