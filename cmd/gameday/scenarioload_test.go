package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/experiment"
	"github.com/gamedaylab/gameday/testbed"
)

// checksScenario is an experiment whose load targets (the scenario's own, not the config's) carry
// checks, and whose hypothesis is that none fails.
func checksScenario(name, ns, target, steps string) string {
	guard := ""
	if ns != "" {
		guard = "guard: {namespace: " + ns + "}\n"
	}
	return fmt.Sprintf(`apiVersion: gameday.dev/v1alpha1
kind: Experiment
metadata: {name: %s}
%starget: deploy/web
load:
  targets:
%s
hypothesis:
  probes:
  - name: checks
    load: {measure: checkFailures}
    expect: "== 0"
    phases: [after]
method:
%s`, name, guard, target, steps)
}

// TestScenarioLoadTargetsAndChecks: a scenario names its own load targets with checks on every
// response, replacing the config's; a failed check is counted and is a verdict.
//   - On the demo, a latency check the simulated app cannot meet (1ms) fails, one it meets (10s)
//     does not.
//   - On the testbed, the real load engine sends to the real demo app's /api/item with 30 % of its
//     answers corrupted (a 200 whose JSON says ok:false): the jsonPath check fails about that share,
//     and the run deviates saying how many; the config names no load target at all.
func TestScenarioLoadTargetsAndChecks(t *testing.T) {
	bin := gamedayBinary(t)
	dir := t.TempDir()
	run := func(args ...string) (int, string, *experiment.RunRecord) {
		t.Helper()
		return runScenario(t, bin, dir, filepath.Join(dir, "runs-"+fmt.Sprint(time.Now().UnixNano())), args...)
	}
	t.Run("demo", func(t *testing.T) {
		for _, c := range []struct {
			latency string
			code    int
		}{{"1ms", exitDeviated}, {"10s", 0}} {
			f := filepath.Join(dir, "demo-"+c.latency+".yaml")
			writeFile(t, f, checksScenario("demo-checks", "demo", "  - {name: items, url: http://web.demo/api/items, checks: {maxLatency: "+c.latency+"}}",
				"- action: load\n  args: 50 10s\n"))
			code, out, j := run("--demo", "--demo-speed", "10", f)
			if code != c.code || j.Load == nil || (c.code == 0) != (j.Load.Checks == 0) {
				t.Fatalf("maxLatency %s: exit %d, want %d; load %+v:\n%s", c.latency, code, c.code, j.Load, out)
			}
			if c.code != 0 && !strings.Contains(out, fmt.Sprintf("failed checks = %d", j.Load.Checks)) {
				t.Fatalf("the deviation does not say how many checks failed:\n%s", out)
			}
		}
	})
	t.Run("testbed", func(t *testing.T) {
		k := testbed.SharedKube(t)
		ns := k.Namespace(t, "scenload")
		deployWeb(t, k.Client, ns, 2, "50m", false)
		app := testbed.StartDemoapp(t, "web", "--work-ms", "0")
		f := filepath.Join(dir, "testbed.yaml")
		writeFile(t, f, checksScenario("item-checks", ns,
			"  - name: item\n    url: http://"+app.Addr+"/api/item?id=7&corrupt=0.3\n    checks: {status: [200], jsonPath: ok, equals: \"true\"}",
			"- action: load\n  args: 50 4s\n"))
		code, out, j := run("--kubeconfig", k.Kubeconfig, "-n", ns, f)
		if code != exitDeviated || j.Load == nil || j.Load.Sent < 150 {
			t.Fatalf("exit %d, want %d; load %+v:\n%s", code, exitDeviated, j.Load, out)
		}
		share := float64(j.Load.Checks) / float64(j.Load.Completed)
		if share < 0.2 || share > 0.4 || j.Load.Errors != j.Load.Checks || !strings.Contains(out, fmt.Sprintf("failed checks = %d", j.Load.Checks)) {
			t.Fatalf("%d of %d answers failed their check (%.2f, want about 0.3), %d errors:\n%s", j.Load.Checks, j.Load.Completed, share, j.Load.Errors, out)
		}
		t.Logf("%d of %d answers failed the jsonPath check (%.1f%%)", j.Load.Checks, j.Load.Completed, 100*share)
	})
}

// runScenario runs `gameday run --out out ARGS` (XDG dirs in dir) and reads the one journal it wrote.
func runScenario(t *testing.T, bin, dir, out string, args ...string) (code int, output string, j *experiment.RunRecord) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"run", "--out", out}, args...)...)
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir, "XDG_STATE_HOME="+dir)
	b, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	js, _ := filepath.Glob(filepath.Join(out, "*.json"))
	if len(js) != 1 {
		t.Fatalf("journals %v:\n%s", js, b)
	}
	if j, err = experiment.ReadRunRecord(js[0]); err != nil {
		t.Fatal(err)
	}
	return code, string(b), j
}
