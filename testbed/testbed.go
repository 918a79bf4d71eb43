// Package testbed gives tests the real servers the scripts in this directory start: a Kubernetes
// control plane (kube-up.sh), and later Prometheus and the trace and log backends. `make test` starts
// one shared control plane and passes it in GAMEDAY_TESTBED_RUN; a test run without it starts its own
// and stops it when the package's tests end (TestMain must call testbed.Main). A server that cannot
// start fails the test with its log tail: nothing is skipped.
package testbed

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Dir is this directory (where the scripts are), found from the source file so tests work from any
// package.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// Kube is a running control plane.
type Kube struct {
	Run        string // the run directory (logs, pids, kubeconfig)
	Kubeconfig string
	Config     *rest.Config
	Client     kubernetes.Interface
	Kubectl    string
	owned      bool
}

var (
	mu      sync.Mutex
	shared  *Kube
	started []*Kube
)

// Main runs the package's tests and stops the control planes they started.
func Main(m *testing.M) int {
	code := m.Run()
	stopSharedOpenSearch()
	stopSharedMesh()
	stopSharedRecommender()
	mu.Lock()
	defer mu.Unlock()
	for _, k := range started {
		k.down()
	}
	return code
}

// SharedKube returns the control plane of this test run: the one `make test` started, or one started
// now for this package.
func SharedKube(t testing.TB) *Kube {
	realServer(t, "a Kubernetes control plane")
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if shared != nil {
		return shared
	}
	if run := os.Getenv("GAMEDAY_TESTBED_RUN"); run != "" {
		k, err := load(run)
		if err != nil {
			t.Fatalf("GAMEDAY_TESTBED_RUN=%s: %v (start it with make testbed-up)", run, err)
		}
		shared = k
		return k
	}
	dir, err := os.MkdirTemp("", "gameday-testbed-")
	if err != nil {
		t.Fatal(err)
	}
	k, err := up(dir)
	if err != nil {
		t.Fatal(err)
	}
	started = append(started, k)
	shared = k
	return k
}

// PrivateKube starts a control plane only this test uses (for tests that stop components).
func PrivateKube(t testing.TB) *Kube {
	realServer(t, "a Kubernetes control plane")
	t.Helper()
	dir := t.TempDir()
	k, err := up(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.down)
	return k
}

func up(dir string) (*Kube, error) {
	cmd := exec.Command(filepath.Join(Dir(), "kube-up.sh"), dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("testbed/kube-up.sh %s failed: %v\n%s", dir, err, out)
	}
	k, err := load(dir)
	if err != nil {
		return nil, err
	}
	k.owned = true
	return k, nil
}

func (k *Kube) down() {
	if k.owned {
		_ = exec.Command(filepath.Join(Dir(), "kube-down.sh"), k.Run).Run()
	}
}

func load(run string) (*Kube, error) {
	env, err := readEnv(filepath.Join(run, "env"))
	if err != nil {
		return nil, fmt.Errorf("testbed not running in %s: %w", run, err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", env["KUBECONFIG"])
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 200, 400
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &Kube{Run: run, Kubeconfig: env["KUBECONFIG"], Config: cfg, Client: cs, Kubectl: env["TESTBED_KUBECTL"]}, nil
}

func readEnv(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			out[k] = v
		}
	}
	return out, sc.Err()
}

// Namespace creates a namespace unique to the test and deletes it when the test ends.
func (k *Kube) Namespace(t testing.TB, prefix string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"}}
	got, err := k.Client.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	t.Cleanup(func() {
		_ = k.Client.CoreV1().Namespaces().Delete(context.Background(), got.Name, metav1.DeleteOptions{})
	})
	return got.Name
}

// KubectlApply applies a manifest with the testbed's kubectl.
func (k *Kube) KubectlApply(t testing.TB, manifest string, args ...string) string {
	t.Helper()
	cmd := exec.Command(k.Kubectl, append([]string{"--kubeconfig", k.Kubeconfig, "apply", "-f", "-"}, args...)...)
	cmd.Stdin = strings.NewReader(manifest)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl apply: %v\n%s", err, out)
	}
	return string(out)
}

func (k *Kube) pid(name string) (int, error) {
	return readPID(filepath.Join(k.Run, "pids", name+".pid"))
}

// readPID reads a pid file written by a testbed script.
func readPID(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// killPID stops the process of a pid file abruptly (an outage) and waits until it has exited.
func killPID(t testing.TB, path string) {
	t.Helper()
	pid, err := readPID(path)
	if err != nil {
		t.Fatal(err)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	for syscall.Kill(pid, 0) == nil {
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop stops one component (e.g. "apiserver") and waits until it has exited.
func (k *Kube) Stop(t testing.TB, name string) {
	t.Helper()
	pid, err := k.pid(name)
	if err != nil {
		t.Fatalf("stop %s: %v", name, err)
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	// An apiserver drains open watches for ~20 s on SIGTERM; tests want the outage, not the drain.
	deadline := time.Now().Add(3 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Start starts a stopped component again with the command line kube-up.sh recorded.
func (k *Kube) Start(t testing.TB, name string) {
	t.Helper()
	cmdline, err := os.ReadFile(filepath.Join(k.Run, "cmd", name))
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	logf, err := os.OpenFile(filepath.Join(k.Run, "logs", name+".log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command("bash", "-c", "exec "+strings.TrimSpace(string(cmdline)))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = cmd.Wait() }()
	if err := os.WriteFile(filepath.Join(k.Run, "pids", name+".pid"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// LogTail is the end of a component's log, for failure messages.
func (k *Kube) LogTail(name string, lines int) string {
	b, _ := os.ReadFile(filepath.Join(k.Run, "logs", name+".log"))
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// upShared runs a start script with a fresh run directory (outside t.TempDir: a shared server
// outlives the test that started it) and reads the env it wrote.
func upShared(t testing.TB, name, script string, args ...string) (string, map[string]string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "gameday-"+name+"-")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(Dir(), script), append([]string{dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("testbed/%s failed: %v\n%s", script, err, out)
	}
	env, err := readEnv(filepath.Join(dir, "env"))
	if err != nil {
		t.Fatal(err)
	}
	return dir, env
}

// realServer skips a test that needs a real server (a control plane, a Java server, Prometheus)
// under `go test -short`: `make unit` is the fast loop and starts none; `make test` (and CI) runs
// every one of them.
func realServer(t testing.TB, what string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("needs %s: make unit (go test -short) skips it, make test runs it", what)
	}
}
