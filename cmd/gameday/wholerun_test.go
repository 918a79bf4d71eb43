package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
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
  - name: users-5xx   # the gateway's own count of 5xx answers per second (Envoy's stats in Prometheus)
    prometheus: {query: 'sum(rate({__name__=~"envoy_http_.*downstream_rq_xx",envoy_http_conn_manager_prefix!="admin",envoy_response_code_class="5",namespace="$namespace"}[$interval])) or vector(0)'}
    expect: "< 1"
    phases: [during]
    for: 2s
method:
- action: load
  args: 200 60s
  background: true
- wait: 8s
- action: kill
  args: %[4]s
- probe: replicas-ready
  within: 60s
- wait: 15s
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
	t.Parallel() // mostly waits on real servers and its own binary: it runs beside the others that do
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
			p.AddTarget(c.name+"-gw", strings.TrimPrefix(gw.Admin, "http://"), map[string]string{"namespace": ns, "__metrics_path__": "/stats/prometheus"})
			dir := t.TempDir()
			cfg := filepath.Join(dir, "config.yaml")
			writeFile(t, cfg, fmt.Sprintf("load:\n  maxRate: 500\nmetrics:\n  prometheus:\n    url: %s\n    scrapeInterval: 1s\n", p.URL))
			scen := filepath.Join(dir, c.name+".yaml")
			writeFile(t, scen, wholeScenario(c.name, ns, gw.Addr, c.kill))
			out := filepath.Join(dir, "runs")
			code, b, j := runScenario(t, bin, dir, out, "--kubeconfig", k.Kubeconfig, "-n", ns, "--config", cfg,
				"--journal", filepath.Join(dir, "journal.jsonl"), scen)
			if code != c.code || j.Outcome != c.outcome || j.Load == nil || j.Load.Sent < 1000 || len(j.Recoveries) != 1 {
				t.Fatalf("exit %d (want %d), outcome %s (want %s), load %+v, recoveries %+v:\n%s", code, c.code, j.Outcome, c.outcome, j.Load, j.Recoveries, b)
			}
			rc := j.Recoveries[0]
			if rc.Recovered <= 0 || rc.Recovered > 60*time.Second {
				t.Fatalf("replicas not back within 60 s: %+v:\n%s", rc, b)
			}
			md, _ := filepath.Glob(filepath.Join(out, c.name+"-*.md"))
			report, _ := os.ReadFile(md[0])
			if !strings.Contains(string(report), c.outcome) || !strings.Contains(string(report), "| Kubernetes | v1.35") {
				t.Fatalf("the report does not say %s:\n%s", c.outcome, report)
			}
			if c.outcome == experiment.Deviated && (!strings.Contains(string(b), "probe users-success: FAILED") || j.Budget == nil || j.Budget.Burned <= 1) {
				t.Fatalf("the deviation is not the users' 503s beyond the budget (budget %+v):\n%s", j.Budget, b)
			}
			if c.outcome == experiment.Deviated {
				independently(t, j, gw, p.URL, string(b))
			}
			t.Logf("%s: %d sent, %d failed (%.2f%%), replicas back after %s", c.name, j.Load.Sent, j.Load.Errors,
				100*float64(j.Load.Errors)/float64(max(j.Load.Completed, 1)), rc.Recovered)
		})
	}
}

// independently checks the run's error budget and time to restore against measurements of their
// own: the failed requests against the gateway's access log (Envoy's count of its 5xx answers), and
// the users-5xx breach and its end against Prometheus' samples of the same expression, evaluated
// afterwards every second over the run.
func independently(t *testing.T, j *experiment.RunRecord, gw *testbed.Gateway, prom, out string) {
	t.Helper()
	fivexx := 0
	for _, a := range gw.AccessLog(t) {
		if strings.HasPrefix(a.Code, "5") {
			fivexx++
		}
	}
	if j.Budget == nil || int(j.Budget.Failed) != fivexx {
		t.Errorf("the run counts %+v failed requests, the gateway answered %d with a 5xx", j.Budget, fivexx)
	}
	var rs *experiment.Restore
	for i := range j.Restores {
		if j.Restores[i].Probe == "users-5xx" {
			rs = &j.Restores[i]
			break
		}
	}
	if rs == nil || rs.Open {
		t.Fatalf("no closed restore of users-5xx: %+v:\n%s", j.Restores, out)
	}
	var q struct {
		Data struct {
			Result []struct {
				Values [][2]any `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	var p *experiment.ProbeDef
	for i := range j.Probes {
		if j.Probes[i].Name == "users-5xx" {
			p = &j.Probes[i]
		}
	}
	if p == nil {
		t.Fatalf("the journal has no probe users-5xx")
	}
	u := fmt.Sprintf("%s/api/v1/query_range?query=%s&start=%d&end=%d&step=1", prom, url.QueryEscape(strings.ReplaceAll(p.What, "$interval", "10s")),
		rs.Breach.Add(-15*time.Second).Unix(), rs.Green.Add(15*time.Second).Unix())
	// $interval as the probe's backend filled it: four scrapes, at least two of its 5 s steps.
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&q); err != nil || len(q.Data.Result) != 1 {
		t.Fatalf("query_range: %v %+v", err, q)
	}
	var breach, green time.Time
	for _, v := range q.Data.Result[0].Values {
		at := time.Unix(int64(v[0].(float64)), 0)
		f, _ := strconv.ParseFloat(v[1].(string), 64)
		switch {
		case breach.IsZero() && f >= 1:
			breach = at
		case !breach.IsZero() && green.IsZero() && f < 1:
			green = at
		}
	}
	t.Logf("users-5xx: the run saw the breach at %s and green at %s (restored in %s); Prometheus' samples: %s and %s",
		rs.Breach.Format("15:04:05.0"), rs.Green.Format("15:04:05.0"), rs.Took, breach.Format("15:04:05"), green.Format("15:04:05"))
	// A check at T sees the expression at T; the samples are evaluated on whole seconds.
	if d := rs.Breach.Sub(breach); d < -time.Second || d > time.Second {
		t.Errorf("breach: the run %s, Prometheus %s", rs.Breach, breach)
	}
	if d := rs.Green.Sub(green); d < -time.Second || d > time.Second {
		t.Errorf("green again: the run %s, Prometheus %s", rs.Green, green)
	}
}
