package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/engines"
	"github.com/gamedaylab/gameday/revert"
	"github.com/gamedaylab/gameday/testbed"
)

// TestReaperUndoesWhatKillNineLeft (issue 29, the dead-man switch): a `gameday run` holding a cordon
// and an Istio fault, and a `gameday load --workers` holding its Job, are killed with -9 while a
// Chaos Mesh experiment runs in their namespace. Right after, `gameday revert --list` does not say
// "nothing left": it lists the changes with when their sessions count as dead. `gameday revert
// --watch`, already running as another process, then reverts all of it (node uncordoned, routes
// back, Job gone, the experiment paused) within 3 heartbeats + 10 s of the kill, and journals it.
func TestReaperUndoesWhatKillNineLeft(t *testing.T) {
	k := testbed.SharedKube(t)
	testbed.SharedMesh(t, k) // the Istio CRDs
	testbed.ChaosMeshCRDs(t, k)
	ns := k.Namespace(t, "reaper")
	nodes, err := k.Client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil || len(nodes.Items) < 3 {
		t.Fatalf("nodes: %v", err)
	}
	node := nodes.Items[2].Name
	k.KubectlApply(t, fmt.Sprintf(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: %[1]s}
spec:
  hosts: [web.%[1]s.svc.cluster.local]
  http:
  - name: main
    route: [{destination: {host: web.%[1]s.svc.cluster.local}}]
---
apiVersion: chaos-mesh.org/v1alpha1
kind: PodChaos
metadata: {name: theirs, namespace: %[1]s}
spec: {action: pod-kill, mode: one, selector: {namespaces: [%[1]s]}}
`, ns))
	dir := t.TempDir()
	bin := gamedayBinary(t)

	// The reaper, from the start: in a cluster it is deploy/reaper; here another process with the
	// rights deploy/reaper gives its ServiceAccount, and no more (impersonated).
	rbac, err := os.ReadFile("../../deploy/reaper/rbac.yaml")
	if err != nil {
		t.Fatal(err)
	}
	k.KubectlApply(t, "apiVersion: v1\nkind: Namespace\nmetadata: {name: gameday}\n---\n"+string(rbac))
	reaperCfg := filepath.Join(dir, "reaper.yaml")
	writeFile(t, reaperCfg, "safety:\n  heartbeat: 1s\n")
	reaper := exec.Command(bin, "revert", "--watch", "--every", "1s", "--kubeconfig", k.Kubeconfig, "--config", reaperCfg,
		"--journal", filepath.Join(dir, "reaper.jsonl"))
	reaper.Env = append(os.Environ(), "XDG_STATE_HOME="+filepath.Join(dir, "reaper-state"))
	reaperOut := &syncBuffer{}
	reaper.Stdout, reaper.Stderr = reaperOut, reaperOut
	if err := reaper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reaper.Process.Signal(syscall.SIGTERM); _, _ = reaper.Process.Wait() })
	waitOutput(t, reaperOut, "reaper on", 30*time.Second)

	run, _ := startRun(t, k, dir, "doomed", ns, fmt.Sprintf("- action: cordon\n  args: %s\n- action: fault\n  args: vs/web abort 500 30%% for 10m\n", node))
	loadCfg := filepath.Join(dir, "load.yaml")
	writeFile(t, loadCfg, "safety:\n  heartbeat: 1s\nload:\n  targets:\n  - {name: web, url: \"http://web."+ns+".svc:8080/\"}\n")
	lj := exec.Command(bin, "load", "--workers", "1", "--duration", "10m", "--rate", "10", "--kubeconfig", k.Kubeconfig, "-n", ns,
		"--config", loadCfg, "http://web."+ns+".svc:8080/")
	lj.Env = append(os.Environ(), "XDG_STATE_HOME="+filepath.Join(dir, "load-state"))
	ljOut := &syncBuffer{}
	lj.Stdout, lj.Stderr = ljOut, ljOut
	if err := lj.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lj.Process.Kill(); _, _ = lj.Process.Wait() })
	var job string
	for deadline := time.Now().Add(30 * time.Second); job == ""; time.Sleep(200 * time.Millisecond) {
		jobs, _ := k.Client.BatchV1().Jobs(ns).List(context.Background(), metav1.ListOptions{LabelSelector: actions.LoadJobSelector})
		if len(jobs.Items) == 1 && jobs.Items[0].Annotations[revert.Annotation] != "" {
			job = jobs.Items[0].Name
		}
		if time.Now().After(deadline) {
			t.Fatalf("no load Job with its revert record:\n%s", ljOut.String())
		}
	}

	for _, p := range []*exec.Cmd{run, lj} {
		if err := p.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_, _ = p.Process.Wait()
	}
	killed := time.Now()

	// Just after the crash the sessions still look alive: listed, with when they count as dead.
	if out, code := gamedayRevert(t, k, dir, "--list"); code != 0 || strings.Contains(out, "nothing left by sessions that no longer run") && !strings.Contains(out, "held by sessions that still look alive") ||
		!strings.Contains(out, "still looks alive: dead at") {
		t.Fatalf("revert --list right after the kill (exit %d) must list what is held and until when:\n%s", code, out)
	}

	dyn, err := dynamic.NewForConfig(k.Config)
	if err != nil {
		t.Fatal(err)
	}
	podchaos := schema.GroupVersionResource{Group: "chaos-mesh.org", Version: "v1alpha1", Resource: "podchaos"}
	bound := 3*time.Second + 10*time.Second
	for {
		n, _ := k.Client.CoreV1().Nodes().Get(context.Background(), node, metav1.GetOptions{})
		names, recs := vsRoutes(t, k, ns, "web")
		_, jerr := k.Client.BatchV1().Jobs(ns).Get(context.Background(), job, metav1.GetOptions{})
		pc, _ := dyn.Resource(podchaos).Namespace(ns).Get(context.Background(), "theirs", metav1.GetOptions{})
		paused := pc != nil && pc.GetAnnotations()[engines.PauseAnnotation] == "true"
		done := !n.Spec.Unschedulable && strings.Join(names, ",") == "main" && len(recs) == 0 && jerr != nil && paused
		if done {
			t.Logf("the reaper undid the cordon, the fault and the load Job and paused the experiment %s after kill -9:\n%s",
				time.Since(killed).Round(100*time.Millisecond), reaperOut.String())
			break
		}
		if time.Since(killed) > bound {
			t.Fatalf("after %s: node unschedulable %v, routes %v (records %d), job err %v, experiment paused %v:\n%s",
				bound, n.Spec.Unschedulable, names, len(recs), jerr, paused, reaperOut.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "reaper.jsonl"))
	if !strings.Contains(string(b), `"action":"cleanup"`) || !strings.Contains(string(b), job) {
		t.Fatalf("the reaper's journal lacks its cleanup:\n%s", b)
	}
}
