package main

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gamedaylab/gameday/testbed"
)

// TestMonkeyHeadless: gameday monkey is a dry run unless --no-dry-run (the API validates the
// evictions, no pod goes), prints a line per kill, ends after --for, and names a bad option.
func TestMonkeyHeadless(t *testing.T) {
	k := testbed.SharedKube(t)
	ns := k.Namespace(t, "monkey-cli")
	testbed.DeployApp(t, k.Client, ns, "web", 3, "10m", false, map[string]string{"gameday.dev/monkey": "enabled"})
	pods := func() []string { return testbed.PodNames(t, k.Client, ns, "") }
	dir := t.TempDir()
	run := func(args ...string) (string, int) {
		cmd := exec.Command(gamedayBinary(t), append([]string{"monkey", "--kubeconfig", k.Kubeconfig, "-n", ns,
			"--journal", filepath.Join(dir, "journal.jsonl"), "--mtbf", "700ms", "--min-age", "0s"}, args...)...)
		cmd.Env = append(cmd.Environ(), "XDG_CONFIG_HOME="+dir, "XDG_STATE_HOME="+dir)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return string(out), code
	}
	before := pods()
	out, code := run("--for", "5s")
	if code != 0 || !strings.Contains(out, "DRY-RUN") || !strings.Contains(out, "dry-run  monkey: evict web-") || !strings.Contains(out, "stopped: ") {
		t.Fatalf("dry run (exit %d):\n%s", code, out)
	}
	if !slices.Equal(pods(), before) {
		t.Fatalf("the dry run killed pods:\n%s", out)
	}
	out, code = run("--for", "5s", "--no-dry-run")
	if code != 0 || !strings.Contains(out, "ok       monkey: evict web-") {
		t.Fatalf("for real (exit %d):\n%s", code, out)
	}
	if slices.Equal(pods(), before) {
		t.Fatalf("no pod was killed:\n%s", out)
	}
	if out, code = run("--kill", "most"); code != exitUsage || !strings.Contains(out, "monkey.kill") {
		t.Fatalf("a bad --kill (exit %d):\n%s", code, out)
	}
}
