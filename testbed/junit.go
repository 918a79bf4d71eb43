package testbed

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// JUnitParser reads a JUnit XML file with junitparser (PyPI, installed by obs-install.sh), the reader
// CI result publishers use, and returns what script prints; script sees the file as `xml` (a
// junitparser.JUnitXml).
func JUnitParser(t testing.TB, file, script string) string {
	t.Helper()
	realServer(t, "junitparser (PyPI)")
	dir := filepath.Join(cacheDir(), "junitparser-"+versions(t)["JUNITPARSER_VERSION"])
	prog := "import sys\nfrom junitparser import JUnitXml\nxml = JUnitXml.fromfile(sys.argv[1])\n" + script
	cmd := exec.Command("python3", "-c", prog, file)
	cmd.Env = append(cmd.Environ(), "PYTHONPATH="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("junitparser on %s: %v\n%s", file, err, out)
	}
	return string(out)
}

// cacheDir is where the testbed scripts cache what they install (versions.sh: TESTBED_CACHE).
func cacheDir() string {
	base := os.Getenv("GAMEDAY_CACHE")
	if base == "" {
		c := os.Getenv("XDG_CACHE_HOME")
		if c == "" {
			home, _ := os.UserHomeDir()
			c = filepath.Join(home, ".cache")
		}
		base = filepath.Join(c, "gameday")
	}
	return filepath.Join(base, "testbed")
}

// versions reads the plain NAME=VALUE lines of versions.sh.
func versions(t testing.TB) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(), "versions.sh"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok && !strings.ContainsAny(k, " #$") && !strings.Contains(v, "$") {
			out[k] = v
		}
	}
	return out
}
