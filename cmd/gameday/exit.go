package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gamedaylab/gameday/model"
)

// Exit codes: the table `gameday --help` and the README show; a test checks each.
const (
	exitOK          = 0   // ran; every threshold held (or none was set)
	exitFailed      = 1   // could not run: a target that does not answer, a failed Job, a file that cannot be written
	exitUsage       = 2   // a bad command, flag, argument or config file: nothing ran
	exitBreached    = 3   // ran to the end and a threshold was breached: the verdict is FAIL
	exitRefused     = 4   // the safety rules refused: a target not in load.targets, --read-only, a production context without --arm
	exitInterrupted = 130 // stopped by Ctrl-C or SIGTERM before the end: the report is partial, no verdict
)

// exitCodesHelp is the table of exit codes, for --help and the README.
const exitCodesHelp = `Exit codes:
  0    ran; every threshold held (or none was set)
  1    could not run (a target that does not answer, a failed Job, an I/O error)
  2    usage: a bad command, flag, argument or config file; nothing ran
  3    ran to the end and a threshold was breached (the verdict is FAIL)
  4    refused by the safety rules (a target not in load.targets, --read-only, production without --arm)
  130  interrupted (Ctrl-C, SIGTERM) before the end: the report printed is partial`

// usageError is a bad flag or argument: exit code 2.
type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

// thresholdBreached is a run whose verdict is FAIL: the report said why, exit 3.
type thresholdBreached struct{ n int }

func (t thresholdBreached) Error() string { return fmt.Sprintf("%d threshold(s) breached", t.n) }

// interrupted is a timed run stopped before its end.
type interrupted struct{ after, of time.Duration }

func (i interrupted) Error() string {
	if i.of == 0 {
		return "interrupted: reverts done"
	}
	return fmt.Sprintf("interrupted after %s of %s: the report is partial, no verdict", i.after.Round(time.Second), i.of)
}

// exitCode maps an error to the table above.
func exitCode(err error) int {
	var ue usageError
	var tb thresholdBreached
	var in interrupted
	var oe outcomeError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &oe):
		return oe.code
	case errors.As(err, &in):
		return exitInterrupted
	case errors.As(err, &tb):
		return exitBreached
	case errors.As(err, &ue) || isCobraUsage(err):
		return exitUsage
	case errors.Is(err, model.ErrRefused):
		return exitRefused
	}
	return exitFailed
}

// isCobraUsage recognises the usage errors cobra makes itself (argument counts, unknown flags that get
// past the flag error function).
func isCobraUsage(err error) bool {
	s := err.Error()
	return strings.HasPrefix(s, "unknown command") || strings.HasPrefix(s, "unknown flag") ||
		strings.HasPrefix(s, "unknown shorthand flag") || strings.Contains(s, "accepts ") && strings.Contains(s, " arg(s)")
}
