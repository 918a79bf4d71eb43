package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/experiment"
	"github.com/gamedaylab/gameday/testbed"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// gamedayBinary builds the real binary once per test run.
func gamedayBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gameday-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "gameday")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// tmuxSession is one detached tmux session on a private socket, so tests never touch the user's tmux.
type tmuxSession struct {
	t      *testing.T
	socket string
	name   string
	seen   time.Time // when waitFor last found what it waited for
}

// reaction is how soon after seeing something a person answers it: the cockpit ignores the keys
// that reach a dialog sooner than its grace (tui.DefaultDialogGrace), as typed before it opened.
const reaction = 250 * time.Millisecond

var tmuxSessions atomic.Int64

func newTmux(t *testing.T, w, h int, command string) *tmuxSession {
	t.Helper()
	if testing.Short() {
		t.Skip("tmux end-to-end test: make test runs it; make unit (-short) is the fast loop")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is not installed: `make test` installs it (apt-get install tmux); the end-to-end test needs it")
	}
	// A socket per session: kill-server returns before the old server is gone, and a next test on the
	// same socket then failed with "server exited unexpectedly".
	s := &tmuxSession{t: t, socket: fmt.Sprintf("gameday-e2e-%d-%d", os.Getpid(), tmuxSessions.Add(1)), name: "e2e"}
	s.run("new-session", "-d", "-s", s.name, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), command)
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", s.socket, "kill-server").Run() })
	return s
}

func (s *tmuxSession) run(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// keys sends keys as a person types them (tmux key names: Enter, Escape, Tab).
func (s *tmuxSession) keys(keys ...string) {
	s.t.Helper()
	if d := reaction - time.Since(s.seen); d > 0 {
		time.Sleep(d)
	}
	s.run(append([]string{"send-keys", "-t", s.name}, keys...)...)
}

func (s *tmuxSession) capture() string {
	s.t.Helper()
	out, err := exec.Command("tmux", "-L", s.socket, "capture-pane", "-p", "-t", s.name).CombinedOutput()
	if err != nil {
		return "(session gone: " + strings.TrimSpace(string(out)) + ")"
	}
	return string(out)
}

// waitFor polls the pane until it shows every one of want.
func (s *tmuxSession) waitFor(d time.Duration, want ...string) string {
	s.t.Helper()
	deadline := time.Now().Add(d)
	for {
		screen := s.capture()
		ok := true
		for _, w := range want {
			if !strings.Contains(screen, w) {
				ok = false
			}
		}
		if ok {
			s.seen = time.Now()
			return screen
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("after %s the screen lacks %q:\n%s", d, want, screen)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *tmuxSession) waitGone(d time.Duration, text string) {
	s.t.Helper()
	deadline := time.Now().Add(d)
	for strings.Contains(s.capture(), text) {
		if time.Now().After(deadline) {
			s.t.Fatalf("after %s the screen still shows %q:\n%s", d, text, s.capture())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestEndToEndDemoInTmux drives the real binary in a real terminal, as a person would.
func TestEndToEndDemoInTmux(t *testing.T) {
	bin := gamedayBinary(t)
	dir := t.TempDir()
	journal := filepath.Join(dir, "journal.jsonl")
	cmd := fmt.Sprintf("env XDG_CONFIG_HOME=%s XDG_STATE_HOME=%s %s --demo --demo-speed 4 --journal %s; sleep 30", dir, dir, bin, journal)
	s := newTmux(t, 120, 40, cmd)

	s.waitFor(10*time.Second, "Workload deploy/web", "Running", "Metrics", "Traces", "Logs", "Events")

	s.keys("C-k") // the pod under the cursor (the first row)
	s.waitFor(5*time.Second, "Kill the selected pod web-", "Ready replicas: 3 → 2")
	s.keys("y")
	s.waitFor(5*time.Second, "Terminating", "+ web-")

	s.keys("b")
	s.waitFor(5*time.Second, "LOAD burst")
	s.keys("+")
	s.waitFor(5*time.Second, "LOAD burst asked 250/s")
	s.keys("x")
	s.waitFor(5*time.Second, "load idle", "halt ok")

	s.keys("?")
	s.waitFor(5*time.Second, "Help · every key")
	s.keys("Escape")
	s.waitGone(5*time.Second, "Help · every key")

	s.keys(":")
	s.keys("target deploy/gateway", "Enter")
	s.waitFor(5*time.Second, "Workload deploy/gateway")

	s.keys("q")
	s.waitGone(5*time.Second, "Workload deploy/")

	actions := journalActions(t, journal)
	for _, want := range []string{"kill", "load-start", "load-rate", "halt"} {
		if !contains(actions, want) {
			t.Errorf("journal lacks %q: %v", want, actions)
		}
	}
}

func journalActions(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e struct {
			Action string `json:"action"`
			Result string `json:"result"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("journal line %q: %v", sc.Text(), err)
		}
		out = append(out, e.Action)
	}
	return out
}

func contains(a []string, v string) bool {
	for _, x := range a {
		if x == v {
			return true
		}
	}
	return false
}

// TestEndToEndSmallTerminal: below 80x24 the cockpit asks for room, and comes back when resized.
func TestEndToEndSmallTerminal(t *testing.T) {
	bin := gamedayBinary(t)
	dir := t.TempDir()
	s := newTmux(t, 70, 20, fmt.Sprintf("env XDG_CONFIG_HOME=%s XDG_STATE_HOME=%s %s --demo; sleep 30", dir, dir, bin))
	s.waitFor(10*time.Second, "at least 80x24", "70x20")
	s.run("resize-window", "-t", s.name, "-x", "80", "-y", "24")
	s.waitFor(5*time.Second, "Workload deploy/web", "Logs")
}

// TestCLIErrors: bad input gives one clear line and a non-zero exit, never a stack trace.
func TestCLIErrors(t *testing.T) {
	bin := gamedayBinary(t)
	dir := t.TempDir()
	badCfg := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badCfg, []byte("theme: dark\nsafety:\n  minReady: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badVal := filepath.Join(dir, "badval.yaml")
	if err := os.WriteFile(badVal, []byte("load:\n  burst:\n    rate: -5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"--bogus"}, 2, []string{"unknown flag: --bogus", "gameday --help"}},
		{[]string{"--theme", "sepia"}, 2, []string{"--theme", "high-contrast"}},
		{[]string{"--demo", "--target", "pod/x"}, 2, []string{"deploy/NAME"}},
		// A bad config file is a usage error: nothing ran (issue 29: it exited 1).
		{[]string{"--config", badCfg}, 2, []string{badCfg, "line 3", `unknown field "minReady"`, "minReadyReplicas"}},
		{[]string{"--config", badVal}, 2, []string{badVal, "load.burst.rate"}},
		{[]string{"--config", filepath.Join(dir, "missing.yaml")}, 2, []string{"missing.yaml", "no such file"}},
		{[]string{"--zipkin-url", "http://a:9411", "--jaeger-url", "http://b:16686"}, 2, []string{"--zipkin-url and --jaeger-url", "give one"}},
		{[]string{"--jaeger-url", "jaeger:16686"}, 2, []string{"traces.url", "http://"}},
		{[]string{"--demo"}, 1, []string{"not a terminal"}}, // stdout is a pipe here
	}
	for _, c := range cases {
		cmd := exec.Command(bin, c.args...)
		cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir, "XDG_STATE_HOME="+dir)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		text := string(out)
		if code != c.code {
			t.Errorf("%v: exit %d, want %d\n%s", c.args, code, c.code, text)
		}
		for _, w := range c.want {
			if !strings.Contains(text, w) {
				t.Errorf("%v: output lacks %q:\n%s", c.args, w, text)
			}
		}
		if strings.Contains(text, "goroutine ") || strings.Count(text, "\n") > 3 {
			t.Errorf("%v: want a short error, got:\n%s", c.args, text)
		}
	}
}

// TestHelpHasExamples: --help explains, shows examples and where the config lives.
func TestHelpHasExamples(t *testing.T) {
	out, err := exec.Command(gamedayBinary(t), "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, w := range []string{"gameday --demo", "--dry-run", "--arm", "--kubeconfig", "--context", "-n, --namespace", "Config file:", "Examples:"} {
		if !strings.Contains(string(out), w) {
			t.Errorf("--help lacks %q", w)
		}
	}
}

// TestEndToEndKubeInTmux: the real binary against the real testbed, as a facilitator uses it: press the
// kill key, confirm, see the replacement row.
func TestEndToEndKubeInTmux(t *testing.T) {
	k := testbed.SharedKube(t)
	ns := k.Namespace(t, "e2e")
	deployWeb(t, k.Client, ns, 3, "50m", false)
	bin := gamedayBinary(t)
	dir := t.TempDir()
	cmd := fmt.Sprintf("env XDG_CONFIG_HOME=%s XDG_STATE_HOME=%s %s --kubeconfig %s -n %s --target deploy/web; sleep 30",
		dir, dir, bin, k.Kubeconfig, ns)
	s := newTmux(t, 120, 40, cmd)
	s.waitFor(15*time.Second, "ctx testbed", "ns "+ns, "Workload deploy/web · pods[3]", "Running", "● cluster")
	s.keys("C-k")
	s.waitFor(5*time.Second, "Kill the selected pod web-")
	s.keys("y")
	s.waitFor(10*time.Second, "kill ok", "+ web-")
	s.waitFor(15*time.Second, "recovery ok")
	s.keys("q")
	s.waitGone(5*time.Second, "Workload deploy/")
}

// TestEndToEndRunbookInTmux: gameday --scenario on the demo, at 80x24 and 200x60, as a facilitator
// runs it: r shows the runbook waiting, N starts the method, the steps tick off, the probe holds, the
// outcome shows, and q leaves with the run's HALT done.
func TestEndToEndRunbookInTmux(t *testing.T) {
	bin := gamedayBinary(t)
	for _, size := range [][2]int{{80, 24}, {200, 60}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			dir := t.TempDir()
			runs := filepath.Join(dir, "runs")
			cmd := fmt.Sprintf("env XDG_CONFIG_HOME=%s XDG_STATE_HOME=%s %s --demo --demo-speed 10 --journal %s --out %s --scenario ../../examples/kill-and-recover.yaml; sleep 30",
				dir, dir, bin, filepath.Join(dir, "journal.jsonl"), runs)
			s := newTmux(t, size[0], size[1], cmd)
			s.waitFor(10*time.Second, "STEADY ✓")
			s.keys("r")
			s.waitFor(5*time.Second, "Runbook · kill-and-recover", "press N to start the method", "1 kill 30%")
			if size[0] >= 120 { // docked beside the panes: the graphs stay in view
				s.waitFor(5*time.Second, "Metrics · ", "Workload deploy/web")
			}
			s.keys("N")
			s.waitFor(30*time.Second, "outcome: held", "✓ 1 kill 30%", "✓ 2 probe replicas-ready")
			if size[0] >= 120 { // the header's status says where the report is (cut on a narrow header)
				s.waitFor(5*time.Second, "scenario held · report "+runs)
			} else {
				s.waitFor(5*time.Second, "record  "+runs)
			}
			s.keys("r")
			s.waitGone(5*time.Second, "Runbook · ")
			s.keys("q")
			s.waitFor(10*time.Second, "gameday: journal:")
			// The cockpit's run wrote its files as gameday run does.
			for _, ext := range []string{".json", ".xml", ".md"} {
				if got, _ := filepath.Glob(filepath.Join(runs, "kill-and-recover-*"+ext)); len(got) != 1 {
					t.Fatalf("the cockpit's run wrote %v, want one kill-and-recover-*%s in %s", got, ext, runs)
				}
			}
			js, _ := filepath.Glob(filepath.Join(runs, "kill-and-recover-*.json"))
			if j, err := experiment.ReadRunRecord(js[0]); err != nil || j.Outcome != experiment.Held {
				t.Fatalf("journal %s: %v %+v", js[0], err, j)
			}
		})
	}
}
