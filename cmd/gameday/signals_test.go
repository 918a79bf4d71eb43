package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/testbed"
)

// TestSignalsCommand (issue 28): gameday signals, the real binary, on the testbed with podinfo
// scraped by a real Prometheus 3 and a real kube-state-metrics: the JSON names each signal's
// convention, query and value now (rate from podinfo's own client_golang metrics, ready replicas
// from kube-state-metrics), and the text table says the same.
func TestSignalsCommand(t *testing.T) {
	k := testbed.SharedKube(t)
	ns := k.Namespace(t, "signals")
	testbed.DeployApp(t, k.Client, ns, "podinfo", 1, "100m", false, nil)
	k.ScrapedService(t, ns, "podinfo", "/metrics")
	k.RunPods(t, ns, "podinfo", 8080, func(addr string) (io.Closer, error) { return testbed.Podinfo(t, addr) })
	ip := k.PodIPs(t, ns, "podinfo", 1)[0]
	p := testbed.StartClusterPrometheus(t, k, time.Second)
	stop := make(chan struct{})
	defer close(stop)
	go func() { // a steady 20 requests/s
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				if r, err := http.Get("http://" + ip + ":8080/"); err == nil {
					r.Body.Close()
				}
			}
		}
	}()
	bin := gamedayBinary(t)
	run := func(args ...string) string {
		cmd := exec.Command(bin, append([]string{"signals", "--kubeconfig", k.Kubeconfig, "-n", ns, "--target", "deploy/podinfo", "--prometheus-url", p.URL}, args...)...)
		cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+t.TempDir(), "XDG_STATE_HOME="+t.TempDir())
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("gameday signals %v: %v\n%s%s", args, err, out, stderr.String())
		}
		return string(out)
	}
	var got struct {
		Target  string `json:"target"`
		Signals []struct {
			Name, Convention, Query string
			Value                   *float64
		} `json:"signals"`
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(2 * time.Second) {
		out := run("-o", "json")
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		byName := map[string]int{}
		for i, s := range got.Signals {
			byName[s.Name] = i
		}
		rate, ready := got.Signals[byName["rate"]], got.Signals[byName["ready"]]
		if rate.Value != nil && *rate.Value > 5 && ready.Value != nil && *ready.Value == 1 &&
			rate.Convention == "client_golang http_requests_total" && ready.Convention == "kube-state-metrics" && got.Target == "deploy/podinfo" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("signals never read podinfo's rate and ready replicas:\n%s", out)
		}
	}
	text := run()
	for _, want := range []string{"deploy/podinfo in " + ns, "SIGNAL", "rate", "client_golang http_requests_total", "kube-state-metrics"} {
		if !strings.Contains(text, want) {
			t.Fatalf("the table lacks %q:\n%s", want, text)
		}
	}
	t.Logf("gameday signals:\n%s", text)
}
