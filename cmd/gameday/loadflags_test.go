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
		{[]string{"--duration", "-1s"}, "--duration -1s: want 0 (until stopped) or a positive duration"},
		{[]string{"--timeout", "0"}, "--timeout 0s: want a positive duration"},
		{[]string{"--max-workers", "0"}, "--max-workers 0: want at least 1"},
		{[]string{"--workers", "-1"}, "--workers -1: want 0"},
		{[]string{"--max-rate", "-5"}, "--max-rate -5: want 0"},
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
		{[]string{"--grace", "x"}, `--grace "x": want an integer`},
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
