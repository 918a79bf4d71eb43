package testbed

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// ChaosToolkit is the real Chaos Toolkit (chaostoolkit, -kubernetes, -prometheus from PyPI, in a
// venv build-kube.sh makes once and caches), pointed at a testbed's apiserver.
type ChaosToolkit struct {
	python     string
	kubeconfig string
}

// ChaosToolkitFor builds (once) the Chaos Toolkit's venv and returns it aimed at k.
func ChaosToolkitFor(t testing.TB, k *Kube) *ChaosToolkit {
	t.Helper()
	return &ChaosToolkit{python: filepath.Join(BuildDir(t, "chaostoolkit"), "venv", "bin", "python"), kubeconfig: k.Kubeconfig}
}

// Chaos runs `chaos ARGS...` in dir and returns its output and exit code. The venv was built
// elsewhere and moved: its scripts' interpreter lines are stale, its python is not.
func (c *ChaosToolkit) Chaos(t testing.TB, dir string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(c.python, append([]string{"-m", "chaostoolkit"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "KUBECONFIG="+c.kubeconfig)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return out.String(), exit.ExitCode()
	case err != nil:
		t.Fatalf("chaos %v: %v\n%s", args, err, out.String())
	}
	return out.String(), 0
}
