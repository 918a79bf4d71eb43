package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gamedaylab/gameday/experiment/litmus"
)

// runLitmus runs a file's ChaosEngines on a session: pod-delete's kills through gameday's catalog,
// the probes in their modes, a verdict and probe success per fault and Litmus's resiliency score.
// Exit 0 when every fault passed, 3 when one failed its probes, 4 when the safety rules refused a
// kill, 1 when the chaos could not be made.
func runLitmus(cmd *cobra.Command, ro *runOptions, file string) error {
	o := &ro.options
	engines, err := litmus.Read(file)
	if err != nil {
		return usageError{err}
	}
	cfg, err := loadConfig(cmd, o)
	if err != nil {
		return err
	}
	o.runFile = file
	c, err := build(cmd, o, &cfg)
	if err != nil {
		return err
	}
	defer c.close()
	ctx, interrupt := context.WithCancel(context.Background())
	defer interrupt()
	stop := onStop(func(os.Signal) { interrupt() }, func(os.Signal) {})
	defer stop.Close()
	if err := c.startListed(ctx); err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "litmus %s on %s, namespace %s\n", file, c.sess.KubeContext, c.sess.Namespace())
	results := litmus.Run(ctx, c.sess, engines, litmus.Options{Out: out, Target: o.target})
	var failed, broken error
	for _, r := range results {
		for _, p := range r.Probes {
			state := "passed"
			if !p.Passed {
				state = "FAILED: " + p.Detail
			}
			fmt.Fprintf(out, "  %s/%s probe %s (%s, %d checks): %s\n", r.Engine, r.Fault, p.Name, p.Mode, p.Checks, state)
		}
		switch {
		case r.Err != nil && broken == nil:
			broken = fmt.Errorf("%s/%s: %w", r.Engine, r.Fault, r.Err)
		case r.Verdict != "Pass" && failed == nil:
			failed = fmt.Errorf("%s/%s: verdict %s", r.Engine, r.Fault, r.Verdict)
		}
	}
	fmt.Fprintf(out, "resiliency score %.2f\n", litmus.Score(results))
	switch {
	case ctx.Err() != nil:
		return interrupted{}
	case broken != nil && strings.Contains(broken.Error(), "refused"):
		return outcomeError{"refused: " + broken.Error(), exitRefused}
	case broken != nil:
		return outcomeError{"failed: " + broken.Error(), exitFailed}
	case failed != nil:
		return outcomeError{failed.Error(), exitDeviated}
	}
	return nil
}
