package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"
)

// TestExitCodes (issue 13 items 3 and 4): each exit code of the table, from the real binary. Before,
// all of these exited 1, and an interrupted run said PASS and exited 0.
func TestExitCodes(t *testing.T) {
	bin := gamedayBinary(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(2 * time.Millisecond)
	}))
	defer srv.Close()
	dir := t.TempDir()
	allowed := filepath.Join(dir, "allowed.yaml")
	if err := os.WriteFile(allowed, []byte("load:\n  targets:\n  - name: api\n    url: "+srv.URL+"/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../../examples/kill-under-load.yaml")
	if err != nil {
		t.Fatal(err)
	}
	badScenario := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badScenario, []byte(strings.Replace(string(example), "kind: Experiment", "kind: Exp", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir, "XDG_STATE_HOME="+dir)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), string(out)
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"pass", []string{"load", "--rate", "20", "--duration", "1s", "--max-p99", "5s", srv.URL + "/"}, 0, "result       PASS"},
		{"typo", []string{"lod"}, 2, `unknown command "lod" for "gameday": did you mean "load"?`},
		{"unknown command", []string{"explode"}, 2, `unknown command "explode"`},
		{"bad URL", []string{"load", "--duration", "1s", "127.0.0.1:8080"}, 2, "want an http:// or https:// URL"},
		{"bad flag", []string{"load", "--rate", "lots", srv.URL}, 2, "want a number"},
		{"breached", []string{"load", "--rate", "20", "--duration", "1s", "--max-p99", "1ns", srv.URL + "/"}, 3, "result       FAIL"},
		{"refused target", []string{"load", "--config", allowed, "--duration", "1s", "http://127.0.0.1:9/other"}, 4, "not in load.targets of the config; load goes only to configured targets (allowed: " + srv.URL + "/)"},
		{"allowed without the slash", []string{"load", "--config", allowed, "--duration", "1s", strings.ToUpper(srv.URL[:4]) + srv.URL[4:]}, 0, "nothing checked"},
		{"refused rate", []string{"load", "--rate", "900", "--max-rate", "100", "--duration", "1s", srv.URL + "/"}, 4, "above the configured maximum"},
		{"valid scenario", []string{"validate", "../../examples/kill-under-load.yaml"}, 0, "valid: experiment kill-under-load"},
		{"invalid scenario", []string{"validate", badScenario}, 2, badScenario + ": line 5: kind: want Experiment"},
		{"experiment held", []string{"run", "--demo", "--demo-speed", "20", "--journal", filepath.Join(dir, "run.jsonl"), "../../examples/kill-and-recover.yaml"}, 0, "outcome: held"},
		{"experiment invalid", []string{"run", "--demo", badScenario}, 2, "line 5: kind: want Experiment"},
		{"could not run", []string{"load", "--duration", "1s", "--body", "@" + filepath.Join(dir, "missing"), srv.URL + "/"}, 1, "--body"},
	} {
		code, out := run(c.args...)
		if code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("%s: gameday %v: exit %d, want %d with %q:\n%s", c.name, c.args, code, c.code, c.want, out)
		}
	}

	// The table is in both --help texts and in the README, with every code.
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--help"}, {"load", "--help"}} {
		if _, out := run(args...); !strings.Contains(out, exitCodesHelp) {
			t.Errorf("gameday %v lacks the exit codes:\n%s", args, out)
		}
	}
	for _, code := range []int{exitOK, exitFailed, exitUsage, exitBreached, exitRefused, exitInterrupted} {
		if !strings.Contains(string(readme), fmt.Sprintf("| %d | ", code)) {
			t.Errorf("README's exit code table lacks %d", code)
		}
	}

	// Interrupted: Ctrl-C 2 s into a 30 s run prints the partial report, says so, and exits 130.
	cmd := exec.Command(bin, "load", "--rate", "20", "--duration", "30s", "--max-p99", "5s", srv.URL+"/")
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir, "XDG_STATE_HOME="+dir)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	_ = cmd.Process.Signal(syscall.SIGINT)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 || !strings.Contains(out.String(), "INTERRUPTED after 2s of 30s") ||
		strings.Contains(out.String(), "PASS") || !strings.Contains(out.String(), "requests ") {
		t.Fatalf("interrupted run: %v:\n%s", err, out.String())
	}
}

// TestReadmeListsEveryFlag (issue 13, docs): every flag gameday and gameday load define (not the
// kubectl ones, listed as a group) is in the README.
func TestReadmeListsEveryFlag(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	kube := map[string]bool{}
	fs := pflag.NewFlagSet("kube", pflag.ContinueOnError)
	genericclioptions.NewConfigFlags(true).AddFlags(fs)
	fs.VisitAll(func(f *pflag.Flag) { kube[f.Name] = true })
	for _, cmd := range []*cobra.Command{newRoot(), newLoadCmd()} {
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Hidden || kube[f.Name] || f.Name == "help" {
				return
			}
			if !strings.Contains(string(readme), "--"+f.Name) {
				t.Errorf("README lacks %s --%s", cmd.Name(), f.Name)
			}
		})
	}
}
