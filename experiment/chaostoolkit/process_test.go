package chaostoolkit

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestProcessesOnlyWhenAllowed: without --allow-process a process activity is refused at validate,
// naming it; with it, its executable must be found, as chaos validate checks.
func TestProcessesOnlyWhenAllowed(t *testing.T) {
	doc := "title: t\ndescription: d\nmethod:\n  - type: action\n    name: traffic\n    provider: {type: process, path: %s, arguments: %s}\n"
	for _, c := range []struct {
		path, args string
		allow      bool
		want       string
	}{
		{"sh", "['-c', 'true']", false, "p.yaml:6: method[0].provider: activity 'traffic' runs a process (sh): gameday runs processes only with --allow-process"},
		{"sh", "['-c', 'true']", true, ""},
		{"no-such-tool-here", "[]", true, "path 'no-such-tool-here' cannot be found, in activity 'traffic'"},
		{"sh", "{-c: 'true'}", true, "process arguments are a list or a string"},
	} {
		_, err := ParseAllowing("p.yaml", []byte(strings.ReplaceAll(strings.Replace(doc, "%s", c.path, 1), "%s", c.args)), c.allow)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s %s allowed %v: %v", c.path, c.args, c.allow, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s %s allowed %v: %v, want %q", c.path, c.args, c.allow, err, c.want)
		}
	}
}

// TestProcessAsChaoslib: the process provider's output and rules, as chaoslib's run_process_activity.
func TestProcessAsChaoslib(t *testing.T) {
	x := &SessionExecutor{AllowProcess: true}
	run := func(p Provider) (map[string]any, error) {
		p.Type = "process"
		out, _, err := x.Execute(context.Background(), Activity{Type: "action", Name: "p", Provider: p}, Vars{})
		m, _ := out.(map[string]any)
		return m, err
	}
	out, err := run(Provider{Path: "sh", Arguments: []any{"-c", "echo out; echo err >&2; exit 3"}})
	if err != nil || out["status"] != int64(3) || out["stdout"] != "out\n" || out["stderr"] != "err\n" {
		t.Fatalf("a failing process: %v %v (a non-zero exit is an output, not a failure)", out, err)
	}
	if out, err = run(Provider{Path: "echo", Arguments: []any{"a", "", nil, int64(2), true}}); err != nil || out["stdout"] != "a 2 True\n" {
		t.Fatalf("list arguments: %q %v", out["stdout"], err)
	}
	if out, err = run(Provider{Path: "echo", Arguments: "one   two | tr a-z A-Z"}); err != nil || out["stdout"] != "ONE TWO\n" {
		t.Fatalf("a string goes through the shell: %q %v", out["stdout"], err)
	}
	start := time.Now()
	if _, err = run(Provider{Path: "sleep", Arguments: []any{"30"}, Timeout: int64(1)}); err == nil || err.Error() != "process activity took too long to complete" {
		t.Fatalf("past its timeout: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("the timeout took %s to stop the process", d)
	}
	ctx, halt := context.WithCancel(context.Background())
	go func() { time.Sleep(100 * time.Millisecond); halt() }()
	if _, _, err = x.Execute(ctx, Activity{Name: "p", Provider: Provider{Type: "process", Path: "sleep", Arguments: []any{"30"}}}, Vars{}); err == nil {
		t.Fatal("HALT (the run's context) did not stop a process without a timeout")
	}
	if _, _, err = (&SessionExecutor{}).Execute(context.Background(), Activity{Name: "p", Provider: Provider{Type: "process", Path: "true"}}, Vars{}); err == nil ||
		!strings.Contains(err.Error(), "only with --allow-process") {
		t.Fatalf("not allowed: %v", err)
	}
}
