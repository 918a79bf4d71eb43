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

// wholeScenario is the pair: kill under 200 req/s through the mesh, with p99 (the app's
// histogram in Prometheus), what the users saw (the load's own answers, through the gateway) and
// the replicas' recovery as the hypothesis.
func wholeScenario(name, ns, gw, kill string) string {
	return fmt.Sprintf(`apiVersion: gameday.dev/v1alpha1
kind: Experiment
metadata: {name: %[1]s}
guard: {namespace: %[2]s, maxRate: 250}
target: deploy/web
load:
  targets:
  - {name: web, url: "http://%[3]s/api/work?cpu_ms=0", checks: {status: [200]}}
hypothesis:
  errorBudget: 0.01
  probes:
  - name: replicas-ready
    kubernetes: {kind: Deployment, name: web, expr: "object.status.?readyReplicas.orValue(0) == object.spec.replicas"}
    phases: [before]
  - name: p99
    prometheus:
      query: histogram_quantile(0.99, sum by (le) (rate(demoapp_http_request_duration_seconds_bucket{namespace="$namespace",app="$workload"}[$interval])))
    expect: "< 0.3"
    phases: [during]
    for: 3s
    onNoData: inconclusive
  - name: users-success
    load: {measure: success}
    expect: ">= 0.99"
    phases: [after]
method:
- action: load
  args: 200 60s
  background: true
- wait: 8s
- action: kill
  args: %[4]s
- probe: replicas-ready
  within: 60s
- wait: 5s
`, name, ns, gw, kill)
}

// TestWholeScenariosOnTheTestbed runs the two scenarios of the issue with the real binary, the
// testbed's apiserver and controllers, a real istiod and Envoy gateway in front of deploy/web (the
// endpoints controller and istiod decide which pods get traffic; each kwok pod relays to the one real
// demo app while it lives), the real load engine and Prometheus scraping the app:
//   - killing 30 % of the pods under 200 req/s holds: the gateway sends around the lost pod, p99 and
//     the users' success stay within bounds, the replicas are back within 60 s (exit 0);
//   - killing all of them at once with grace 0 deviates: the gateway has no endpoint left until the
//     replacements are ready, the users see 503s beyond the error budget, and the run and its report
//     say so (exit 3), although the replicas come back.
func TestWholeScenariosOnTheTestbed(t *testing.T) {
	bin := gamedayBinary(t)
	k := testbed.SharedKube(t)
	mesh := testbed.SharedMesh(t, k)
	p := testbed.StartPrometheus(t, time.Second, "")
	for _, c := range []struct {
		name, kill string
		code       int
		outcome    string
	}{
		{"kill-30-holds", "30%", 0, experiment.Held},
		{"kill-all-deviates", "all! grace 0", exitDeviated, experiment.Deviated},
	} {
		t.Run(c.name, func(t *testing.T) {
			ns := k.Namespace(t, "whole")
			deployWeb(t, k.Client, ns, 3, "50m", false)
			// Replacements take 3 s to be ready, as an app with a readiness probe does: what makes
			// losing every replica at once an outage rather than a blip.
			testbed.ReadyAfter(t, k.Client, ns, "web", 3*time.Second, 3)
			app := testbed.StartDemoapp(t, "web", "--work-ms", "1")
			p.AddTarget(c.name, app.Addr, map[string]string{"namespace": ns, "app": "web", "pod": "web-0"})
			k.ServePods(t, ns, "web", 8080, app.Addr)
			gw := mesh.ExposeService(t, ns, "web", "/api/work?cpu_ms=0")
			dir := t.TempDir()
			cfg := filepath.Join(dir, "config.yaml")
			writeFile(t, cfg, fmt.Sprintf("load:\n  maxRate: 500\nmetrics:\n  prometheus:\n    url: %s\n    scrapeInterval: 1s\n", p.URL))
			scen := filepath.Join(dir, c.name+".yaml")
			writeFile(t, scen, wholeScenario(c.name, ns, gw.Addr, c.kill))
			out := filepath.Join(dir, "runs")
			cmd := exec.Command(bin, "run", "--kubeconfig", k.Kubeconfig, "-n", ns, "--config", cfg, "--out", out,
				"--journal", filepath.Join(dir, "journal.jsonl"), scen)
			cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir, "XDG_STATE_HOME="+dir)
			b, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			js, _ := filepath.Glob(filepath.Join(out, c.name+"-*.json"))
			if len(js) != 1 {
				t.Fatalf("journals %v:\n%s", js, b)
			}
			j, err := experiment.ReadJournal(js[0])
			if err != nil {
				t.Fatal(err)
			}
			if code != c.code || j.Outcome != c.outcome || j.Load == nil || j.Load.Sent < 1000 || len(j.Recoveries) != 1 {
				t.Fatalf("exit %d (want %d), outcome %s (want %s), load %+v, recoveries %+v:\n%s", code, c.code, j.Outcome, c.outcome, j.Load, j.Recoveries, b)
			}
			rc := j.Recoveries[0]
			if rc.Recovered <= 0 || rc.Recovered > 60*time.Second {
				t.Fatalf("replicas not back within 60 s: %+v:\n%s", rc, b)
			}
			md, _ := filepath.Glob(filepath.Join(out, c.name+"-*.md"))
			report, _ := os.ReadFile(md[0])
			if !strings.Contains(string(report), c.outcome) {
				t.Fatalf("the report does not say %s:\n%s", c.outcome, report)
			}
			if c.outcome == experiment.Deviated && (!strings.Contains(string(b), "probe users-success: FAILED") || j.Budget == nil || j.Budget.Burned <= 1) {
				t.Fatalf("the deviation is not the users' 503s beyond the budget (budget %+v):\n%s", j.Budget, b)
			}
			t.Logf("%s: %d sent, %d failed (%.2f%%), replicas back after %s", c.name, j.Load.Sent, j.Load.Errors,
				100*float64(j.Load.Errors)/float64(max(j.Load.Completed, 1)), rc.Recovered)
		})
	}
}
