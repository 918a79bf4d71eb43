package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedaylab/gameday/experiment"
	"github.com/gamedaylab/gameday/testbed"
)

// TestRunOnTheTestbed: gameday run, the real binary, against the testbed's apiserver with a real
// Prometheus scraping the demo app that the real load engine hits, a cordon and load active:
//   - a sustained p99 breach of an abort probe HALTs within 2 s of counting: load stopped, the node
//     uncordoned, exit 5;
//   - SIGTERM in the middle stops the method and reverts everything: no node left cordoned, no request
//     sent after the exit, exit 130.
func TestRunOnTheTestbed(t *testing.T) {
	t.Parallel() // mostly waits on real servers and its own binary: it runs beside the others that do
	k := testbed.SharedKube(t)
	ns := k.Namespace(t, "run")
	deployWeb(t, k.Client, ns, 3, "50m", false)
	nodes, err := k.Client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil || len(nodes.Items) == 0 {
		t.Fatalf("nodes: %v", err)
	}
	node := nodes.Items[len(nodes.Items)-1].Name
	p := testbed.StartPrometheus(t, time.Second, "")
	app := testbed.StartDemoapp(t, "web", "--work-ms", "0")
	p.AddTarget("web", app.Addr, map[string]string{"namespace": ns, "app": "web", "pod": "web-0"})
	bin := gamedayBinary(t)
	dir := t.TempDir()

	for _, c := range []struct {
		name, query string
		abort       bool
	}{
		{"abort", "latency_ms=400&cpu_ms=0", true},
		{"sigterm", "cpu_ms=0", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := filepath.Join(dir, c.name+".yaml")
			writeFile(t, cfg, fmt.Sprintf("load:\n  maxRate: 500\n  targets:\n  - name: web\n    url: http://%s/api/work?%s\n"+
				"metrics:\n  prometheus:\n    url: %s\n    scrapeInterval: 1s\n", app.Addr, c.query, p.URL))
			scen := filepath.Join(dir, c.name+"-scenario.yaml")
			writeFile(t, scen, fmt.Sprintf(`apiVersion: gameday.dev/v1alpha1
kind: Experiment
metadata: {name: %s}
guard: {namespace: %s, maxRate: 100}
target: deploy/web
hypothesis:
  probes:
  - name: p99
    prometheus:
      query: histogram_quantile(0.99, sum by (le) (rate(demoapp_http_request_duration_seconds_bucket{namespace="$namespace",app="$workload"}[$interval])))
    expect: "< 0.3"
    phases: [during]
    for: 2s
    abort: %v
    onNoData: inconclusive
method:
- action: load
  args: 40 5m
  background: true
- action: cordon
  args: %s
- wait: 5m
`, c.name, ns, c.abort, node))
			out := filepath.Join(dir, c.name+"-runs")
			cmd := exec.Command(bin, "run", "--kubeconfig", k.Kubeconfig, "-n", ns, "--config", cfg, "--out", out,
				"--journal", filepath.Join(dir, c.name+".jsonl"), scen)
			cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir, "XDG_STATE_HOME="+dir)
			var buf syncBuffer
			cmd.Stdout, cmd.Stderr = &buf, &buf
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			if !c.abort {
				waitOutput(t, &buf, "step 3: wait 5m", 60*time.Second)
				before := requests(t, app.Addr)
				time.Sleep(2 * time.Second)
				if requests(t, app.Addr) <= before {
					t.Fatalf("no load reached the app while the run waited:\n%s", buf.String())
				}
				_ = cmd.Process.Signal(syscall.SIGTERM)
			}
			var err error
			select {
			case err = <-done:
			case <-time.After(90 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatalf("the run did not end:\n%s", buf.String())
			}
			want := map[bool]int{true: exitAborted, false: exitInterrupted}[c.abort]
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != want {
				t.Fatalf("exit %v, want %d:\n%s", err, want, buf.String())
			}
			// Nothing left behind: the node schedulable, no request after the exit.
			n, err := k.Client.CoreV1().Nodes().Get(context.Background(), node, metav1.GetOptions{})
			if err != nil || n.Spec.Unschedulable {
				t.Fatalf("node %s left cordoned (%v):\n%s", node, err, buf.String())
			}
			after := requests(t, app.Addr)
			time.Sleep(1500 * time.Millisecond)
			if got := requests(t, app.Addr); got != after {
				t.Fatalf("%.0f requests reached the app after the run ended:\n%s", got-after, buf.String())
			}
			journals, _ := filepath.Glob(filepath.Join(out, c.name+"-*.json"))
			if len(journals) != 1 {
				t.Fatalf("journals %v", journals)
			}
			j, err := experiment.ReadRunRecord(journals[0])
			if err != nil {
				t.Fatal(err)
			}
			if c.abort {
				var halt *experiment.StepRecord
				for i := range j.Reverts {
					if j.Reverts[i].Args == "abort by p99" {
						halt = &j.Reverts[i]
					}
				}
				if j.Outcome != experiment.Aborted || halt == nil || halt.End.Sub(halt.Start) > 2*time.Second ||
					!strings.Contains(halt.Detail, "stopped load") || !strings.Contains(halt.Detail, node) {
					t.Fatalf("outcome %s, abort HALT %+v:\n%s", j.Outcome, halt, buf.String())
				}
				t.Logf("breach counted -> load stopped and %s uncordoned in %s", node, halt.End.Sub(halt.Start))
			} else if j.Outcome != experiment.Interrupted || j.RevertsSkipped {
				t.Fatalf("outcome %s, reverts skipped %v:\n%s", j.Outcome, j.RevertsSkipped, buf.String())
			}
		})
	}
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func waitOutput(t *testing.T, b *syncBuffer, want string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !strings.Contains(b.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q within %s:\n%s", want, d, b.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var requestsTotal = regexp.MustCompile(`(?m)^demoapp_http_requests_total\{[^}]*route="/api/work"[^}]*\} ([0-9.e+]+)$`)

// requests is the demo app's own count of /api/work requests (its /metrics).
func requests(t *testing.T, addr string) float64 {
	t.Helper()
	r, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	var n float64
	for _, m := range requestsTotal.FindAllStringSubmatch(string(b), -1) {
		v, _ := strconv.ParseFloat(m[1], 64)
		n += v
	}
	return n
}
