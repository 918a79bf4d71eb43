package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedaylab/gameday/testbed"
)

// TestEndToEndChaosToolkitRunbookInTmux: a Chaos Toolkit experiment in the cockpit's runbook on the
// testbed, at 80x24 and 200x60, as a facilitator runs it: r shows its probes and activities, N
// starts it, its abort through the mesh (real istiod and Envoy) and its scale land, and x in the
// middle of the method's pause HALTs: the fault is reverted, the rollbacks scale web back to three,
// and the runbook says the run was interrupted.
func TestEndToEndChaosToolkitRunbookInTmux(t *testing.T) {
	t.Parallel() // mostly waits on real servers and its own binary: it runs beside the others that do
	k := testbed.SharedKube(t)
	m := testbed.SharedMesh(t, k)
	bin := gamedayBinary(t)
	file, err := filepath.Abs("../../experiment/chaostoolkit/testdata/runbook-halt.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range [][2]int{{80, 24}, {200, 60}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			ns := k.Namespace(t, "e2e-ctk")
			deployWeb(t, k.Client, ns, 3, "50m", false)
			waitReady(t, k.Client, ns, 3, 60*time.Second)
			app := testbed.StartDemoapp(t, "web", "--work-ms", "0")
			gw := m.Expose(t, ns, "web", app.Addr, "/api/item")
			dir := t.TempDir()
			runs := filepath.Join(dir, "runs")
			s := newTmux(t, size[0], size[1], fmt.Sprintf("env XDG_CONFIG_HOME=%s XDG_STATE_HOME=%s RUNBOOK_NS=%s RUNBOOK_GATEWAY=http://%s %s --kubeconfig %s --journal %s --out %s --scenario %s; sleep 30",
				dir, dir, ns, gw.Addr, bin, k.Kubeconfig, filepath.Join(dir, "journal.jsonl"), runs, file))
			s.waitFor(20*time.Second, "ns "+ns)
			s.keys("r")
			s.waitFor(5*time.Second, "Runbook · HALT in the middle of the method", "press N to start the method", "1 action abort-all",
				"three-running")
			s.keys("N")
			s.waitFor(30*time.Second, "✓ 1 action abort-all", "✓ 2 action scale-to-one", "FAULTS 1")
			// istiod pushes the fault to Envoy a moment after the API has it
			waitStatus(t, gw.Addr, http.StatusServiceUnavailable, "during the method (the abort)", s.capture)
			s.keys("x")
			s.waitFor(20*time.Second, "outcome: interrupted", "scale-back: succeeded", "faults 0")
			waitStatus(t, gw.Addr, http.StatusOK, "after HALT", s.capture)
			t.Logf("after HALT:\n%s", s.capture())
			if vs := k.VirtualService(t, ns, "web"); strings.Contains(fmt.Sprint(vs.Object["spec"]), "fault") {
				t.Fatalf("the VirtualService keeps a fault after HALT: %v", vs.Object["spec"])
			}
			d, err := k.Client.AppsV1().Deployments(ns).Get(context.Background(), "web", metav1.GetOptions{})
			if err != nil || *d.Spec.Replicas != 3 {
				t.Fatalf("after the rollbacks web wants %v replicas (%v), want 3", d.Spec.Replicas, err)
			}
			s.keys("q")
			s.waitFor(10*time.Second, "gameday: journal:")
			if got, _ := filepath.Glob(filepath.Join(runs, "journal.json")); len(got) != 1 {
				t.Fatalf("the cockpit's run wrote no journal.json in %s", runs)
			}
		})
	}
}

func waitStatus(t *testing.T, addr string, want int, when string, screen func() string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for status(addr) != want {
		if time.Now().After(deadline) {
			t.Fatalf("through the gateway %s: %d, want %d:\n%s", when, status(addr), want, screen())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// status is what a GET of /api/item through addr answers (0 when nothing answers).
func status(addr string) int {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + "/api/item")
	if err != nil {
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}
