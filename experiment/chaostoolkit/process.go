package chaostoolkit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// processPath finds a process activity's executable as chaoslib does (shutil.which, ~ expanded).
func processPath(path string) (string, error) {
	if strings.HasPrefix(path, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			path = filepath.Join(home, path[2:])
		}
	}
	return exec.LookPath(path)
}

// process runs the Chaos Toolkit's process provider: a list of arguments is passed as they are
// (None and "" dropped), a string goes through the shell after the path; it runs until its timeout
// (none: until ctx, which HALT and an interrupt cancel); a non-zero exit does not fail it; the
// output is {status, stdout, stderr}.
func process(ctx context.Context, p Provider, vars Vars) (any, error) {
	path, err := processPath(p.Path)
	if err != nil {
		return nil, fmt.Errorf("path '%s' cannot be found", p.Path)
	}
	var argv []string
	shell := ""
	switch a := vars.Substitute(p.Arguments).(type) {
	case nil:
	case string:
		shell = path + " " + a
	case []any:
		for _, x := range a {
			if s, isStr := x.(string); x == nil || isStr && s == "" {
				continue
			}
			argv = append(argv, pyStr(x))
		}
	default:
		return nil, errors.New("process arguments are a list or a string")
	}
	if d := seconds(vars.Substitute(p.Timeout)); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, path, argv...)
	if shell != "" {
		cmd = exec.CommandContext(ctx, "/bin/sh", "-c", shell)
	}
	cmd.WaitDelay = time.Second // a child that keeps the pipes open does not hold the run
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		return nil, errors.New("process activity took too long to complete")
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.As(err, &exit):
	case err != nil:
		return nil, err
	}
	return map[string]any{"status": int64(cmd.ProcessState.ExitCode()), "stdout": stdout.String(), "stderr": stderr.String()}, nil
}
