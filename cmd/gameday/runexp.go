package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/gamedaylab/gameday/experiment"
	"github.com/gamedaylab/gameday/scenario"
)

// The exit codes of gameday run, beside the table's 0, 2, 4 and 130.
const (
	exitDeviated     = 3 // the hypothesis did not hold (or did not before the method)
	exitRevertFailed = 6 // a rollback or HALT failed: a person must look
	exitInconclusive = 7 // a probe could not be checked
)

// outcomeError carries a run's outcome to its exit code.
type outcomeError struct {
	outcome string
	code    int
}

func (o outcomeError) Error() string { return "experiment " + o.outcome }

func newRunCmd() *cobra.Command {
	o := &options{}
	cmd := &cobra.Command{
		Use:   "run [flags] FILE",
		Short: "Run a scenario headless: hypothesis, method, rollbacks, HALT; one line per step and probe",
		Example: `  # on the simulated cluster
  gameday run --demo examples/kill-and-recover.yaml

  # on a cluster, as the cockpit would (kubectl flags)
  gameday run --context staging -n shop examples/kill-and-recover.yaml

Exit codes: 0 held, 2 invalid file, 3 deviated, 4 refused, 6 a revert failed, 7 inconclusive,
130 interrupted (reverts done).`,
		Args:          cobra.ExactArgs(1),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExperiment(cmd, o, args[0])
		},
	}
	addSessionFlags(cmd, o)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%s (see gameday run --help)", flagError(err))}
	})
	return cmd
}

func runExperiment(cmd *cobra.Command, o *options, file string) error {
	e, err := scenario.Read(file)
	if err != nil {
		return usageError{err}
	}
	cfg, err := loadConfig(cmd, o)
	if err != nil {
		return err
	}
	c, err := build(cmd, o, &cfg)
	if err != nil {
		return err
	}
	defer func() {
		for i := len(c.cleanup) - 1; i >= 0; i-- {
			c.cleanup[i]()
		}
	}()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c.sess.Start(ctx)
	select {
	case <-c.listed:
	case <-ctx.Done():
		return interrupted{}
	case <-time.After(60 * time.Second):
		return fmt.Errorf("the cluster was not listed within 60 s")
	}
	fmt.Fprintf(cmd.OutOrStdout(), "experiment %s on %s, namespace %s\n", e.Metadata.Name, c.sess.KubeContext, c.sess.Namespace())
	res := experiment.Run(ctx, c.sess, e, cmd.OutOrStdout())
	if ctx.Err() != nil {
		return interrupted{}
	}
	switch res.Outcome {
	case experiment.Held:
		return nil
	case experiment.Deviated, experiment.NotSteady:
		return outcomeError{res.Outcome, exitDeviated}
	case experiment.Refused:
		return outcomeError{res.Outcome, exitRefused}
	case experiment.RevertFailed:
		return outcomeError{res.Outcome, exitRevertFailed}
	}
	return outcomeError{res.Outcome, exitInconclusive}
}
