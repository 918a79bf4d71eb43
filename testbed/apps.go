package testbed

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// process is an app's process: Close kills it.
type process struct{ cmd *exec.Cmd }

func (p process) Close() error {
	_ = p.cmd.Process.Kill()
	_, err := p.cmd.Process.Wait()
	return err
}

// Podinfo runs podinfo (built once by build-kube.sh: an app nobody here wrote, instrumented with
// client_golang's http_requests_total{status} and http_request_duration_seconds) on addr, and
// returns once it answers. Its metrics are on the same port, at /metrics.
func Podinfo(t testing.TB, addr string) (io.Closer, error) {
	bin := filepath.Join(BuildDir(t, "podinfo"), "bin", "podinfo")
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	c := exec.Command(bin, "--host", host, "--port", port, "--level", "error", "--data-path", t.TempDir(), "--config-path", t.TempDir())
	c.Stdout, c.Stderr = io.Discard, os.Stderr
	return startApp(c, "podinfo", 15*time.Second, "http://"+addr+"/healthz")
}

// ZipkinServer runs the real Zipkin server (in-memory storage) on addr as an app: its own metrics,
// Micrometer's http_server_requests_seconds through Armeria, are at /prometheus. Returns once it
// answers.
func ZipkinServer(t testing.TB, addr string) (io.Closer, error) {
	realServer(t, "Zipkin")
	if out, err := exec.Command(filepath.Join(Dir(), "obs-install.sh")).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("testbed/obs-install.sh: %v\n%s", err, out)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	jar := filepath.Join(cacheDir(), "zipkin-"+versions(t)["ZIPKIN_VERSION"], "zipkin.jar")
	c := exec.Command("java", "-Xms64m", "-Xmx384m", "-XX:+UseSerialGC", "-jar", jar,
		// Armeria's port list: it ignores server.address and would take the port on every address.
		"--armeria.ports[0].ip="+host, "--armeria.ports[0].port="+port, "--armeria.ports[0].protocols=http", "--logging.level.root=WARN")
	c.Env = append(os.Environ(), "STORAGE_TYPE=mem")
	c.Stdout, c.Stderr = io.Discard, os.Stderr
	// A JVM's start takes long on a busy machine (other servers of the same test starting too).
	return startApp(c, "zipkin", 3*time.Minute, "http://"+addr+"/health")
}

// ScrapedService creates a Service of port 8080 selecting app=name, annotated for Prometheus'
// kubernetes service discovery (prometheus.io/scrape, prometheus.io/path), as charts do.
func (k *Kube) ScrapedService(t testing.TB, ns, name, path string) {
	t.Helper()
	k.scrapedService(t, ns, name, path, "http", nil)
}

// ScrapedHTTPSService is ScrapedService of a server that answers only https (prometheus.io/scheme).
func (k *Kube) ScrapedHTTPSService(t testing.TB, ns, name, path string) {
	t.Helper()
	k.scrapedService(t, ns, name, path, "https", nil)
}

// ScrapedServiceOn is ScrapedService of an app whose metrics are served on another port of the pod
// (prometheus.io/port), as an exporter's own server is.
func (k *Kube) ScrapedServiceOn(t testing.TB, ns, name, path string, port int) {
	t.Helper()
	k.scrapedService(t, ns, name, path, "http", map[string]string{"prometheus.io/port": fmt.Sprint(port)})
}

func (k *Kube) scrapedService(t testing.TB, ns, name, path, scheme string, extra map[string]string) {
	t.Helper()
	a := map[string]string{"prometheus.io/scrape": "true", "prometheus.io/path": path, "prometheus.io/scheme": scheme}
	maps.Copy(a, extra)
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Annotations: a},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": name},
			Ports: []corev1.ServicePort{{Name: "http", Port: 8080, TargetPort: intstr.FromInt32(8080)}}}}
	if _, err := k.Client.CoreV1().Services(ns).Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k.Client.CoreV1().Services(ns).Delete(context.Background(), name, metav1.DeleteOptions{}) })
}

// PodIPs are the IPs of the Ready pods of deploy/app, once there are n.
func (k *Kube) PodIPs(t testing.TB, ns, app string, n int) []string {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		pods, err := k.Client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app=" + app})
		var ips []string
		if err == nil {
			for _, p := range pods.Items {
				for _, c := range p.Status.Conditions {
					if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue && p.Status.PodIP != "" && p.DeletionTimestamp == nil {
						ips = append(ips, p.Status.PodIP)
					}
				}
			}
		}
		if len(ips) == n {
			return ips
		}
		if time.Now().After(deadline) {
			t.Fatalf("deploy/%s in %s: %d ready pods with an IP (%s), want %d", app, ns, len(ips), strings.Join(ips, " "), n)
		}
	}
}

// OTelApp runs testbed/otelapp (OpenTelemetry's Go SDK: otelhttp and its Prometheus exporter) on
// addr and returns once it answers; its metrics are on the same port, at /metrics.
func OTelApp(t testing.TB, addr string) (io.Closer, error) {
	return OTelAppWith(t, addr, OTelOptions{})
}

// OTelOptions are what an otelapp is told beyond its address.
type OTelOptions struct {
	// Attributes are OpenTelemetry resource attributes (OTEL_RESOURCE_ATTRIBUTES, as the k8s
	// attributes processor or the operator sets them): its exporter writes them on target_info.
	Attributes string
	// OTLP, when set, is an OTLP/HTTP metrics URL it also pushes to every second.
	OTLP string
}

// OTelAppWith is OTelApp told o.
func OTelAppWith(t testing.TB, addr string, o OTelOptions) (io.Closer, error) {
	bin := filepath.Join(BuildDir(t, "otelapp"), "bin", "otelapp")
	c := exec.Command(bin, "--addr", addr, "--otlp", o.OTLP)
	if o.Attributes != "" {
		c.Env = append(os.Environ(), "OTEL_RESOURCE_ATTRIBUTES="+o.Attributes)
	}
	c.Stdout, c.Stderr = io.Discard, os.Stderr
	return startApp(c, "otelapp", 15*time.Second, "http://"+addr+"/status/200")
}

// HTTPBinOTel runs httpbin (Flask) under OpenTelemetry's Python auto-instrumentation on addr, its
// Prometheus exporter on metrics (the exporter's own server), and returns once both answer. The
// instrumentation's default is the old HTTP semantic conventions (http_server_duration_milliseconds,
// http_status_code).
func HTTPBinOTel(t testing.TB, addr, metrics string) (io.Closer, error) {
	py := filepath.Join(BuildDir(t, "httpbin-otel"), "venv", "bin", "python")
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	mhost, mport, err := net.SplitHostPort(metrics)
	if err != nil {
		return nil, err
	}
	// The venv was built elsewhere and moved: its scripts' interpreter lines are stale, its python
	// is not, so opentelemetry-instrument is run as a module function.
	app := fmt.Sprintf("from httpbin import app; app.run(host=%q, port=%s, threaded=True)", host, port)
	c := exec.Command(py, "-c", "from opentelemetry.instrumentation.auto_instrumentation import run; run()", py, "-c", app)
	c.Env = append(os.Environ(), "OTEL_METRICS_EXPORTER=prometheus", "OTEL_TRACES_EXPORTER=none", "OTEL_LOGS_EXPORTER=none",
		"OTEL_SERVICE_NAME=httpbin", "OTEL_EXPORTER_PROMETHEUS_HOST="+mhost, "OTEL_EXPORTER_PROMETHEUS_PORT="+mport)
	c.Stdout, c.Stderr = io.Discard, io.Discard
	return startApp(c, "httpbin under OpenTelemetry", 30*time.Second, "http://"+addr+"/status/200", "http://"+metrics+"/metrics")
}

// startApp starts an app's process and returns it once every url answers 200, within d; an app
// that does not is killed and named in the error.
func startApp(c *exec.Cmd, what string, d time.Duration, urls ...string) (io.Closer, error) {
	if err := c.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	answers := func(u string) bool {
		r, err := http.Get(u)
		if err != nil {
			return false
		}
		r.Body.Close()
		return r.StatusCode == http.StatusOK
	}
	for deadline := time.Now().Add(d); ; time.Sleep(100 * time.Millisecond) {
		up := 0
		for _, u := range urls {
			if answers(u) {
				up++
			}
		}
		if up == len(urls) {
			return process{c}, nil
		}
		if time.Now().After(deadline) {
			_ = process{c}.Close()
			return nil, fmt.Errorf("%s did not answer %v within %s", what, urls, d)
		}
	}
}
