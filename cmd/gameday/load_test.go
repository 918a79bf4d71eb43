package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/load/engine"
	"github.com/gamedaylab/gameday/testbed"
)

// TestLoadWorkersMerge: N worker processes against the real demo app; the coordinator's merge of their
// results equals the sum of the parts (counts add up, the merged histogram holds every sample).
func TestLoadWorkersMerge(t *testing.T) {
	app := testbed.StartDemoapp(t, "web", "--work-ms", "0")
	url := "http://" + app.Addr + "/api/work?cpu_ms=0"
	bin := gamedayBinary(t)
	const n = 3
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			out, err := exec.Command(bin, "load-worker", "--rate", "100", "--duration", "3s",
				"--result-file", filepath.Join(dir, fmt.Sprintf("r%d.json", i)), url).CombinedOutput()
			if err != nil {
				errs[i] = fmt.Errorf("worker %d: %v\n%s", i, err, out)
			}
		}(i)
	}
	wg.Wait()
	var parts []engine.Result
	for i := 0; i < n; i++ {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("r%d.json", i)))
		if err != nil {
			t.Fatal(err)
		}
		var r engine.Result
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, r)
	}
	merged, err := engine.Merge(parts)
	if err != nil {
		t.Fatal(err)
	}
	var sent, ok, completed int64
	var rate float64
	minP50, maxP50 := time.Hour, time.Duration(0)
	for _, p := range parts {
		sent += p.Requests
		ok += p.Success
		completed += p.Completed
		rate += p.AchievedRate
		minP50, maxP50 = min(minP50, p.Latency.P50), max(maxP50, p.Latency.P50)
	}
	if merged.Requests != sent || merged.Success != ok || merged.Completed != completed {
		t.Fatalf("merged %d/%d/%d, parts sum to %d/%d/%d", merged.Requests, merged.Success, merged.Completed, sent, ok, completed)
	}
	if sent < 890 || sent > 910 {
		t.Fatalf("3 workers × 100/s × 3 s sent %d", sent)
	}
	if merged.AchievedRate != rate {
		t.Fatalf("merged rate %.1f, parts %.1f", merged.AchievedRate, rate)
	}
	// The merged histogram holds every sample: its median lies within the parts' medians.
	if merged.Latency.P50 < minP50-time.Microsecond || merged.Latency.P50 > maxP50+time.Microsecond {
		t.Fatalf("merged p50 %s outside the parts' [%s, %s]", merged.Latency.P50, minP50, maxP50)
	}
	re, err := merged.WithHistogram()
	if err != nil || re.Histogram == "" {
		t.Fatal(err)
	}
}

// TestLoadJobSpecOnApiserver: the Indexed Job of workers is accepted by a real apiserver and makes one
// pod per index (kwok runs them as fakes: the spec is what is checked).
func TestLoadJobSpecOnApiserver(t *testing.T) {
	k := testbed.SharedKube(t)
	ns := k.Namespace(t, "loadjob")
	p := load.Profile{Kind: load.Ramp, Rate: 0, To: 600, Duration: time.Minute}
	args := workerArgs(p, 3, []engine.Target{{Method: "POST", URL: "http://web.shop.svc:8080/api/work", Body: []byte("{}")}}, 5*time.Second)
	if got := strings.Join(args, " "); !strings.Contains(got, "--profile ramp:0-200") || !strings.Contains(got, "--method POST") {
		t.Fatalf("worker args %q: each worker takes a third of the rates", got)
	}
	job, err := k.Client.BatchV1().Jobs(ns).Create(context.Background(), JobSpec(ns, "ghcr.io/gamedaylab/gameday:test", 3, args), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("the apiserver refused the worker Job: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		pods, _ := k.Client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "job-name=" + job.Name})
		idx := map[string]bool{}
		for _, p := range pods.Items {
			idx[p.Annotations["batch.kubernetes.io/job-completion-index"]] = true
		}
		if len(idx) == 3 && idx["0"] && idx["1"] && idx["2"] {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("want pods for indexes 0-2, got %v", idx)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestCockpitDrivesRealLoad: on a real cluster with load.targets configured, b starts a burst against
// the demo app, + raises it, x stops it within a second, all journaled.
func TestCockpitDrivesRealLoad(t *testing.T) {
	k := testbed.SharedKube(t)
	ns := k.Namespace(t, "loadui")
	deployWeb(t, k.Client, ns, 2, "50m", false)
	app := testbed.StartDemoapp(t, "web", "--work-ms", "0")
	cfgDir := t.TempDir()
	url := "http://" + app.Addr + "/api/work?cpu_ms=0"
	cfg := fmt.Sprintf("load:\n  burst: {rate: 100, duration: 30s}\n  rateStep: 100\n  targets:\n  - {name: web, url: %q}\n", url)
	cfgPath := filepath.Join(cfgDir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	_, tm, pr := cockpitOn(t, k, ns, "--config", cfgPath)
	pr.wait(t, 15*time.Second, "pods[2]")
	tm.Type("b")
	pr.wait(t, 5*time.Second, "LOAD burst asked 100/s")
	tm.Type("+")
	pr.wait(t, 5*time.Second, "LOAD burst asked 200/s")
	// The achieved rate reaches the new one within a few percent (a loaded machine shows 198-202).
	pr.waitMatch(t, 5*time.Second, regexp.MustCompile(`sent (19[6-9]|20[0-4])/s`))
	tm.Type("x")
	pr.wait(t, 3*time.Second, "load idle", "halt ok")
}

// TestLoadChecksCatchWrongAnswers: against the real demo app answering 200 with a wrong body 30 % of
// the time, --check-json counts those answers as failed checks (within binomial bounds: 300
// requests, mean 90, 5 sd either side), every status is still 200, and --min-success fails the run.
func TestLoadChecksCatchWrongAnswers(t *testing.T) {
	app := testbed.StartDemoapp(t, "web", "--work-ms", "0")
	bin := gamedayBinary(t)
	cmd := exec.Command(bin, "load", "--rate", "100", "--duration", "3s", "--check-json", "ok=true", "--min-success", "0.9",
		"-o", "json", "http://"+app.Addr+"/api/item?id=7&corrupt=0.3")
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+t.TempDir())
	out, err := cmd.Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitBreached {
		t.Fatalf("want exit %d (the success threshold breached): %v\n%s", exitBreached, err, out)
	}
	var r engine.Result
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	failed := r.Checks[`ok != "true"`]
	if r.Completed < 280 || r.Codes[200] != r.Completed || failed < 90-5*8 || failed > 90+5*8 || r.Failed != failed {
		t.Fatalf("completed %d, codes %v, checks %v, failed %d", r.Completed, r.Codes, r.Checks, r.Failed)
	}
}
