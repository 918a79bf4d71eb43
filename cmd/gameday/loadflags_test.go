package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestLoadFlagErrors (issue 13 item 2): nonsense values are usage errors: exit 2, one line naming the
// flag and what is allowed. Before, --duration -1s ran until stopped and --timeout 0 became 10 s.
func TestLoadFlagErrors(t *testing.T) {
	bin := gamedayBinary(t)
	dir := t.TempDir()
	for _, c := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--duration", "-1s"}, "--duration: want a duration from 0s to 168h (e.g. 500ms, 30s, 2m), got -1s (0: until stopped)"},
		{[]string{"--timeout", "0"}, "--timeout: want a duration above 0s and at most 10m"},
		{[]string{"--max-workers", "0"}, "--max-workers: want a whole number from 1 to 1000000 requests in flight, got 0"},
		{[]string{"--workers", "-1"}, "--workers: want a whole number from 0 to 1000 pods, got -1 (0: send from here)"},
		{[]string{"--max-rate", "-5"}, `--max-rate "-5": want a number from 0 to 1000000 requests/s`},
		// No bad number gets in (issue 29): NaN and the infinities are refused as they are parsed.
		{[]string{"--rate", "NaN"}, `--rate "NaN": want a number above 0 and at most 1000000 requests/s`},
		{[]string{"--max-rate", "Inf"}, `--max-rate "Inf": want a number from 0 to 1000000`},
		{[]string{"--min-success", "NaN"}, `--min-success "NaN": want a number above 0 and at most 1`},
		{[]string{"--min-success", "99.9"}, `a percentage with its sign: 99.9%`},
		{[]string{"--max-p99", "-1s"}, "--max-p99: want a duration from 0s to 1h"},
		{[]string{"--check-latency", "-1s"}, "--check-latency: want a duration from 0s to 1h"},
		{[]string{"--profile", "ramp:0-NaN", "--duration", "1m"}, `profile "ramp:0-NaN": want ramp:FROM-TO with rates from 0 to 1000000 requests/s`},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, bin, append(append([]string{"load"}, c.flags...), "--rate", "1", "http://127.0.0.1:9/")...)
		cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir, "XDG_STATE_HOME="+dir)
		out, err := cmd.CombinedOutput()
		timedOut := ctx.Err() != nil
		cancel()
		var ee *exec.ExitError
		if timedOut {
			t.Fatalf("load %v still ran after 30 s: %s", c.flags, out)
		}
		if !errors.As(err, &ee) || ee.ExitCode() != 2 {
			t.Fatalf("load %v: exit %v, want 2:\n%s", c.flags, err, out)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != 1 || !strings.Contains(lines[0], c.want) {
			t.Fatalf("load %v: want one line with %q, got:\n%s", c.flags, c.want, out)
		}
	}
}

// TestFlagErrorsSayWhatIsWanted (issue 13 item 19): a value the flag parser rejects is reported as the
// flag, the value and what is wanted, not as Go's strconv or time errors.
func TestFlagErrorsSayWhatIsWanted(t *testing.T) {
	bin := gamedayBinary(t)
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"load", "--workers", "abc", "http://127.0.0.1:9/"}, `--workers "abc": want an integer`},
		{[]string{"load", "--rate", "lots", "http://127.0.0.1:9/"}, `--rate "lots": want a number`},
		{[]string{"load", "--duration", "5", "http://127.0.0.1:9/"}, `--duration "5": want a duration such as 30s`},
		{[]string{"--grace", "x"}, `--grace "x": want a whole number from -1 to 86400 seconds`},
		{[]string{"--demo", "--demo-speed", "NaN"}, `--demo-speed "NaN": want a number above 0 and at most 100`},
		{[]string{"monkey", "--mtbf", "-5s"}, "--mtbf: want a duration of 100ms or more"},
		{[]string{"monkey", "--max-per-hour", "-2"}, "--max-per-hour: want a whole number from 0 to 3600"},
	} {
		cmd := exec.Command(bin, c.args...)
		cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir, "XDG_STATE_HOME="+dir)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 {
			t.Fatalf("%v: exit %v, want 2:\n%s", c.args, err, out)
		}
		if s := string(out); !strings.Contains(s, c.want) || strings.Contains(s, "strconv") || strings.Contains(s, "time: ") {
			t.Fatalf("%v: want %q, got %s", c.args, c.want, s)
		}
	}
}
