package testbed

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Prometheus is a real Prometheus started by prom-up.sh for one test.
type Prometheus struct {
	URL string
	Run string
	cmd string
	t   testing.TB
}

// StartPrometheus starts Prometheus scraping targets added with AddTarget every scrape interval.
// With tsdb set, it serves that TSDB (a promtool fixture) instead. Stopped when the test ends.
func StartPrometheus(t testing.TB, scrape time.Duration, tsdb string) *Prometheus {
	t.Helper()
	return StartPrometheusOn(t, "127.0.0.1", scrape, tsdb)
}

// StartPrometheusOn is StartPrometheus listening on ip (a loopback alias, see LoopbackAlias).
func StartPrometheusOn(t testing.TB, ip string, scrape time.Duration, tsdb string) *Prometheus {
	realServer(t, "Prometheus")
	t.Helper()
	args := []string{scrape.String()}
	if tsdb != "" {
		args = append(args, tsdb)
	}
	return startProm(t, []string{"PROM_LISTEN_IP=" + ip}, args...)
}

// StartOTLPPrometheus starts Prometheus 3 (built by build-kube.sh) receiving OTLP metrics on
// URL+"/api/v1/otlp/v1/metrics", with the named resource attributes promoted to labels. Stopped
// when the test ends.
func StartOTLPPrometheus(t testing.TB, promote ...string) *Prometheus {
	realServer(t, "Prometheus")
	t.Helper()
	q := make([]string, len(promote))
	for i, a := range promote {
		q[i] = strconv.Quote(a)
	}
	return startProm(t, []string{"PROM_BIN=" + filepath.Join(BuildDir(t, "prometheus"), "bin", "prometheus"),
		"PROM_OTLP_PROMOTE=[" + strings.Join(q, ", ") + "]"}, "1s")
}

// startProm runs prom-up.sh in a new run directory with env and args, and stops it when the test ends.
func startProm(t testing.TB, env []string, args ...string) *Prometheus {
	t.Helper()
	run := t.TempDir()
	cmd := exec.Command(filepath.Join(Dir(), "prom-up.sh"), append([]string{run}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("testbed/prom-up.sh failed: %v\n%s", err, out)
	}
	penv, err := readEnv(filepath.Join(run, "env"))
	if err != nil {
		t.Fatal(err)
	}
	p := &Prometheus{URL: penv["PROM_URL"], Run: run, cmd: penv["PROM_CMD"], t: t}
	t.Cleanup(func() { _ = exec.Command(filepath.Join(Dir(), "prom-down.sh"), run).Run() })
	return p
}

// AddTarget adds a scrape target with labels (file service discovery: picked up within a second).
func (p *Prometheus) AddTarget(name, addr string, labels map[string]string) {
	p.t.Helper()
	b, _ := json.Marshal([]map[string]any{{"targets": []string{addr}, "labels": labels}})
	tmp := filepath.Join(p.Run, "targets", "."+name+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		p.t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(p.Run, "targets", name+".json")); err != nil {
		p.t.Fatal(err)
	}
}

// Kill stops Prometheus abruptly (an outage).
func (p *Prometheus) Kill() {
	p.t.Helper()
	killPID(p.t, filepath.Join(p.Run, "prometheus.pid"))
}

// Restart starts it again on the same address and storage.
func (p *Prometheus) Restart() {
	p.t.Helper()
	logf, _ := os.OpenFile(filepath.Join(p.Run, "prometheus.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	defer logf.Close()
	cmd := exec.Command("bash", "-c", "exec "+p.cmd)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	go func() { _ = cmd.Wait() }()
	_ = os.WriteFile(filepath.Join(p.Run, "prometheus.pid"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if r, err := http.Get(p.URL + "/-/ready"); err == nil && r.StatusCode == 200 {
			r.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(p.Run, "prometheus.log"))
			p.t.Fatalf("prometheus did not come back:\n%s", tail(string(b), 20))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

var (
	demoOnce sync.Once
	demoBin  string
	demoErr  error
)

// DemoappBinary builds cmd/demoapp once per test process.
func DemoappBinary(t testing.TB) string {
	t.Helper()
	demoOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gameday-demoapp")
		if err != nil {
			demoErr = err
			return
		}
		demoBin = filepath.Join(dir, "demoapp")
		cmd := exec.Command("go", "build", "-o", demoBin, "./cmd/demoapp")
		cmd.Dir = filepath.Dir(Dir())
		if out, err := cmd.CombinedOutput(); err != nil {
			demoErr = fmt.Errorf("go build ./cmd/demoapp: %v\n%s", err, out)
		}
	})
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	return demoBin
}

// Demoapp is a running demoapp process on loopback.
type Demoapp struct {
	Addr string
	Cmd  *exec.Cmd
	Log  string
	name string
	args []string
	logf *os.File
}

// StartDemoapp runs the demo app on a free loopback port with extra flags; it is stopped (SIGTERM)
// when the test ends. Its JSON logs go to Log.
func StartDemoapp(t testing.TB, name string, extra ...string) *Demoapp {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	logPath := filepath.Join(t.TempDir(), name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logf.Close() })
	d := &Demoapp{Addr: addr, Log: logPath, name: name, args: append([]string{"--addr", addr, "--name", name, "--warmup", "0s"}, extra...), logf: logf}
	d.start(t)
	t.Cleanup(func() {
		_ = d.Cmd.Process.Signal(syscall.SIGTERM)
		_ = d.Cmd.Wait()
	})
	return d
}

func (d *Demoapp) start(t testing.TB) {
	t.Helper()
	cmd := exec.Command(DemoappBinary(t), d.args...)
	cmd.Stdout, cmd.Stderr = d.logf, d.logf
	cmd.Env = append(os.Environ(), "POD_NAME="+d.name+"-0")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d.Cmd = cmd
	deadline := time.Now().Add(10 * time.Second)
	for {
		if r, err := http.Get("http://" + d.Addr + "/readyz"); err == nil && r.StatusCode == 200 {
			r.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(d.Log)
			t.Fatalf("demoapp %s not ready:\n%s", d.name, tail(string(b), 20))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Crash kills the app (SIGKILL: a pod killed without grace, its memory gone) and starts it again
// on the same address, as the replacement pod behind the same Service would be.
func (d *Demoapp) Crash(t testing.TB) {
	t.Helper()
	_ = d.Cmd.Process.Kill()
	_ = d.Cmd.Wait()
	d.start(t)
}

// LoopbackAlias is an address on the loopback device outside 127.0.0.0/8. The apiserver refuses
// loopback endpoints, so a Service that must lead (through the apiserver's proxy) to a server on this
// machine points at this address instead; traffic still never leaves the loopback device.
const LoopbackAlias = "10.254.254.1"

// EnsureLoopbackAlias adds LoopbackAlias to lo if it is not there (needs CAP_NET_ADMIN).
func EnsureLoopbackAlias(t testing.TB) {
	t.Helper()
	out, _ := exec.Command("ip", "-o", "addr", "show", "dev", "lo").CombinedOutput()
	if strings.Contains(string(out), LoopbackAlias+"/") {
		return
	}
	if out, err := exec.Command("ip", "addr", "add", LoopbackAlias+"/32", "dev", "lo").CombinedOutput(); err != nil {
		t.Fatalf("adding %s to lo failed (%v: %s): the apiserver proxies only to non-127/8 pod addresses, so this test needs CAP_NET_ADMIN (run as root) to put one on the loopback device", LoopbackAlias, err, out)
	}
}

// StartClusterPrometheus starts Prometheus scraping the testbed's cluster as kube-prometheus does:
// pods behind Services annotated prometheus.io/scrape (the kubernetes service discovery gives their
// series namespace and pod; prometheus.io/scheme https is verified against the testbed's CA,
// prometheus.io/port names an exporter's own port), a real kube-state-metrics watching the
// apiserver (its own labels kept) and kwok's emulated kubelet resource endpoint of every node.
// Stopped when the test ends.
func StartClusterPrometheus(t testing.TB, k *Kube, scrape time.Duration) *Prometheus {
	realServer(t, "Prometheus")
	t.Helper()
	env, err := readEnv(filepath.Join(k.Run, "env"))
	if err != nil {
		t.Fatal(err)
	}
	p := startProm(t, []string{"PROM_KUBECONFIG=" + k.Kubeconfig, "PROM_CA=" + filepath.Join(k.Run, "pki", "ca.crt"), "PROM_KWOK_PORT=" + env["TESTBED_KWOK_PORT"],
		"PROM_BIN=" + filepath.Join(BuildDir(t, "prometheus"), "bin", "prometheus")}, scrape.String())
	run := p.Run
	ksm := StartKubeStateMetrics(t, k)
	b, _ := json.Marshal([]map[string]any{{"targets": []string{ksm}}})
	if err := os.WriteFile(filepath.Join(run, "ksm", "ksm.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// StartKubeStateMetrics runs the real kube-state-metrics (built once by build-kube.sh) against the
// testbed's apiserver and returns its metrics address. Stopped when the test ends.
func StartKubeStateMetrics(t testing.TB, k *Kube) string {
	t.Helper()
	bin := filepath.Join(BuildDir(t, "kube-state-metrics"), "bin", "kube-state-metrics")
	port, tport := FreePort(t), FreePort(t)
	c := exec.Command(bin, "--kubeconfig", k.Kubeconfig, "--host", "127.0.0.1", "--port", strconv.Itoa(port),
		"--telemetry-host", "127.0.0.1", "--telemetry-port", strconv.Itoa(tport),
		"--resources", "deployments,replicasets,pods,horizontalpodautoscalers")
	logf, err := os.Create(filepath.Join(t.TempDir(), "ksm.log"))
	if err != nil {
		t.Fatal(err)
	}
	c.Stdout, c.Stderr = logf, logf
	if err := c.Start(); err != nil {
		t.Fatalf("kube-state-metrics: %v", err)
	}
	t.Cleanup(func() { _ = c.Process.Kill(); _, _ = c.Process.Wait(); _ = logf.Close() })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if r, err := http.Get("http://" + addr + "/healthz"); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return addr
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("kube-state-metrics did not come up on %s:\n%s", addr, b)
		}
	}
}

// BuildDir is where build-kube.sh keeps a component (NAME-VERSION, versions.sh's version), built on
// first use.
func BuildDir(t testing.TB, name string) string {
	t.Helper()
	key := map[string]string{"kube-state-metrics": "KSM_VERSION", "podinfo": "PODINFO_VERSION", "prometheus": "PROMETHEUS_VERSION", "otelapp": "OTELAPP_VERSION", "httpbin-otel": "HTTPBIN_OTEL_VERSION", "chaostoolkit": "CHAOSTOOLKIT_VERSION"}[name]
	dir := filepath.Join(cacheDir(), name+"-"+versions(t)[key])
	if _, err := os.Stat(filepath.Join(dir, ".done")); err != nil {
		out, err := exec.Command(filepath.Join(Dir(), "build-kube.sh"), name).CombinedOutput()
		if err != nil {
			t.Fatalf("testbed/build-kube.sh %s: %v\n%s", name, err, out)
		}
	}
	return dir
}

// FreePort is a free TCP port on 127.0.0.1 (closed again: the caller's server takes it).
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
