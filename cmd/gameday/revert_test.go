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

	"github.com/gamedaylab/gameday/revert"
	"github.com/gamedaylab/gameday/testbed"
)

// startRun starts `gameday run` on a scenario whose method is steps, then waits; it returns once
// the wait step has begun (every change is made).
func startRun(t *testing.T, k *testbed.Kube, dir, name, ns, steps string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cfg := filepath.Join(dir, name+".yaml")
	writeFile(t, cfg, "safety:\n  heartbeat: 1s\n")
	scen := filepath.Join(dir, name+"-scenario.yaml")
	writeFile(t, scen, fmt.Sprintf(`apiVersion: gameday.dev/v1alpha1
kind: Experiment
metadata: {name: %s}
guard: {namespace: %s}
method:
%s- wait: 10m
`, name, ns, steps))
	cmd := exec.Command(gamedayBinary(t), "run", "--kubeconfig", k.Kubeconfig, "-n", ns, "--config", cfg,
		"--out", filepath.Join(dir, name+"-runs"), "--journal", filepath.Join(dir, name+".jsonl"), scen)
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir, "XDG_STATE_HOME="+filepath.Join(dir, name+"-state"))
	buf := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = buf, buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	waitOutput(t, buf, "wait 10m", 60*time.Second)
	return cmd, buf
}

// gamedayRevert runs `gameday revert` with args and returns its output and exit code.
func gamedayRevert(t *testing.T, k *testbed.Kube, dir string, args ...string) (string, int) {
	t.Helper()
	cfg := filepath.Join(dir, "revert.yaml")
	writeFile(t, cfg, "safety:\n  heartbeat: 1s\n")
	cmd := exec.Command(gamedayBinary(t), append([]string{"revert", "--kubeconfig", k.Kubeconfig, "--config", cfg,
		"--journal", filepath.Join(dir, "revert.jsonl")}, args...)...)
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+filepath.Join(dir, "revert-state"))
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

func vsRoutes(t *testing.T, k *testbed.Kube, ns, name string) ([]string, []revert.Record) {
	t.Helper()
	u := k.VirtualService(t, ns, name)
	recs, err := revert.Decode(u.GetAnnotations()[revert.Annotation])
	if err != nil {
		t.Fatal(err)
	}
	return testbed.RouteNames(u), recs
}

// TestRevertAfterKillNine: a run killed with -9 while a cordon and two Istio faults are in place
// leaves them, each with its revert record; `gameday revert` from another process lists them once
// the session's heartbeat is stale (and never those of a second session still running), --expired
// picks only the fault past its duration, and the revert leaves node and VirtualServices as they
// were; the live session's fault is reverted by its own end.
func TestRevertAfterKillNine(t *testing.T) {
	k := testbed.SharedKube(t)
	testbed.SharedMesh(t, k) // the Istio CRDs
	ns := k.Namespace(t, "revert")
	nodes, err := k.Client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil || len(nodes.Items) == 0 {
		t.Fatalf("nodes: %v", err)
	}
	node := nodes.Items[0].Name
	for _, name := range []string{"web", "short", "other"} {
		k.KubectlApply(t, fmt.Sprintf(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: %[1]s, namespace: %[2]s}
spec:
  hosts: [%[1]s.%[2]s.svc.cluster.local]
  http:
  - name: main
    route: [{destination: {host: %[1]s.%[2]s.svc.cluster.local}}]
`, name, ns))
	}
	dir := t.TempDir()
	doomed, _ := startRun(t, k, dir, "doomed", ns, fmt.Sprintf(`- action: cordon
  args: %s
- action: fault
  args: vs/web abort 500 30%% for 10m
- action: fault
  args: vs/short delay 1s 50%% for 2s
`, node))
	if err := doomed.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, _ = doomed.Process.Wait()
	live, liveOut := startRun(t, k, dir, "alive", ns, "- action: fault\n  args: vs/other abort 502 10% for 10m\n")

	n, _ := k.Client.CoreV1().Nodes().Get(context.Background(), node, metav1.GetOptions{})
	if !n.Spec.Unschedulable || n.Annotations[revert.Annotation] == "" {
		t.Fatalf("after kill -9 the node should still be cordoned with its record: %v %v", n.Spec.Unschedulable, n.Annotations)
	}
	for _, vs := range []string{"web", "short"} {
		if names, recs := vsRoutes(t, k, ns, vs); len(names) != 2 || len(recs) != 1 {
			t.Fatalf("after kill -9, vs/%s: routes %v, records %v", vs, names, recs)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "doomed-state", "gameday", "reverts", "*.json")); len(files) != 1 {
		t.Fatalf("the killed session's local state file: %v", files)
	}

	time.Sleep(5 * time.Second) // three missed heartbeats of 1 s; the short fault 3 s past its end

	out, code := gamedayRevert(t, k, dir, "--expired", "--list")
	if code != 0 || !strings.Contains(out, "1 change(s) past their duration") || !strings.Contains(out, "/short") {
		t.Fatalf("revert --expired --list (exit %d):\n%s", code, out)
	}
	out, code = gamedayRevert(t, k, dir, "--list")
	if code != 0 || !strings.Contains(out, "3 change(s) left by sessions that no longer run") ||
		!strings.Contains(out, "1 change(s) held by sessions that still look alive") {
		t.Fatalf("revert --list (exit %d):\n%s", code, out)
	}
	if _, dead, _ := strings.Cut(out, "left by sessions that no longer run"); strings.Contains(dead, "/other") {
		t.Fatalf("revert --list took the live session's fault for a leftover:\n%s", out)
	}
	if out, code = gamedayRevert(t, k, dir); code != exitUsage || !strings.Contains(out, "--yes") {
		t.Fatalf("revert without a terminal or --yes (exit %d):\n%s", code, out)
	}
	// --dry-run has the apiserver validate each revert and changes nothing (it reverted for real).
	out, code = gamedayRevert(t, k, dir, "--yes", "--dry-run")
	if code != 0 || !strings.Contains(out, "dry run: the apiserver validated the revert of 3 change(s), nothing changed") {
		t.Fatalf("revert --dry-run --yes (exit %d):\n%s", code, out)
	}
	if n, _ = k.Client.CoreV1().Nodes().Get(context.Background(), node, metav1.GetOptions{}); !n.Spec.Unschedulable || n.Annotations[revert.Annotation] == "" {
		t.Fatalf("a dry-run revert uncordoned the node: %v %v", n.Spec.Unschedulable, n.Annotations)
	}
	for _, vs := range []string{"web", "short"} {
		if names, recs := vsRoutes(t, k, ns, vs); len(names) != 2 || len(recs) != 1 {
			t.Fatalf("a dry-run revert changed vs/%s: routes %v, records %v", vs, names, recs)
		}
	}
	out, code = gamedayRevert(t, k, dir, "--yes")
	if code != 0 || !strings.Contains(out, "reverted 3 change(s)") {
		t.Fatalf("revert --yes (exit %d):\n%s", code, out)
	}
	n, _ = k.Client.CoreV1().Nodes().Get(context.Background(), node, metav1.GetOptions{})
	if n.Spec.Unschedulable || n.Annotations[revert.Annotation] != "" {
		t.Fatalf("after revert the node: unschedulable %v, annotations %v", n.Spec.Unschedulable, n.Annotations)
	}
	for _, vs := range []string{"web", "short"} {
		if names, recs := vsRoutes(t, k, ns, vs); strings.Join(names, ",") != "main" || len(recs) != 0 {
			t.Fatalf("after revert, vs/%s: routes %v, records %v", vs, names, recs)
		}
	}
	if names, recs := vsRoutes(t, k, ns, "other"); len(names) != 2 || len(recs) != 1 {
		t.Fatalf("the live session's fault was touched: routes %v, records %v", names, recs)
	}
	if out, _ := gamedayRevert(t, k, dir, "--list"); !strings.Contains(out, "nothing left") {
		t.Fatalf("revert --list after the revert:\n%s", out)
	}
	_ = live.Process.Signal(syscall.SIGTERM)
	_, _ = live.Process.Wait()
	if names, recs := vsRoutes(t, k, ns, "other"); strings.Join(names, ",") != "main" || len(recs) != 0 {
		t.Fatalf("the live session's own end did not revert its fault: routes %v, records %v\n%s", names, recs, liveOut.String())
	}
}
