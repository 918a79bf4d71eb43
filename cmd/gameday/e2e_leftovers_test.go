package main

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedaylab/gameday/revert"
	"github.com/gamedaylab/gameday/testbed"
)

// TestEndToEndLeftoversAtStart: after a run is killed with -9 while a node is cordoned, the next
// cockpit start in that context shows what was left and whose, and reverts it after one "y"; at 80x24
// and 200x60.
func TestEndToEndLeftoversAtStart(t *testing.T) {
	k := testbed.SharedKube(t)
	nodes, err := k.Client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil || len(nodes.Items) < 2 {
		t.Fatalf("nodes: %v", err)
	}
	bin := gamedayBinary(t)
	for i, size := range [][2]int{{80, 24}, {200, 60}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			ns := k.Namespace(t, "leftover")
			node := nodes.Items[len(nodes.Items)-1-i].Name
			dir := t.TempDir()
			crashed, _ := startRun(t, k, dir, "crashed", ns, fmt.Sprintf("- action: cordon\n  args: %s\n", node))
			_ = crashed.Process.Signal(syscall.SIGKILL)
			_, _ = crashed.Process.Wait()
			time.Sleep(4 * time.Second) // the crashed session's Lease goes stale (3 heartbeats of 1 s)
			cfg := filepath.Join(dir, "cockpit.yaml")
			writeFile(t, cfg, "safety:\n  heartbeat: 1s\n")
			s := newTmux(t, size[0], size[1], fmt.Sprintf("env XDG_CONFIG_HOME=%s XDG_STATE_HOME=%s %s --kubeconfig %s -n %s --config %s; sleep 30",
				dir, filepath.Join(dir, "cockpit-state"), bin, k.Kubeconfig, ns, cfg))
			screen := s.waitFor(20*time.Second, "Revert 1 change(s) left by sessions", node, "no longer run", "Revert     Cancel")
			t.Logf("the start asks:\n%s", screen)
			s.keys("y")
			s.waitFor(10*time.Second, "cleanup ok")
			n, err := k.Client.CoreV1().Nodes().Get(context.Background(), node, metav1.GetOptions{})
			if err != nil || n.Spec.Unschedulable || n.Annotations[revert.Annotation] != "" {
				t.Fatalf("after the confirmation node %s: unschedulable %v, annotations %v (%v)", node, n.Spec.Unschedulable, n.Annotations, err)
			}
			s.keys("q")
		})
	}
}
