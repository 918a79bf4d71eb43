package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
)

type revertOptions struct {
	options
	expired bool
	yes     bool
	list    bool
}

func newRevertCmd() *cobra.Command {
	o := &revertOptions{}
	cmd := &cobra.Command{
		Use:   "revert",
		Short: "Find and revert what gameday sessions left behind (cordons, Istio faults) after a crash",
		Long: `Every change gameday makes (a cordon, an Istio fault) carries a revert record on the changed
object, naming its session; each running session renews a heartbeat Lease. revert lists the records of
sessions that no longer run (killed, crashed, a lost laptop) and reverts them: from any machine with
the kubeconfig. A live session's changes are never touched.

With --expired it takes only what has outlived its duration (by three heartbeats), whatever its
session's state: run it from a CronJob so a fault cannot stay for longer than it was meant to.

Exit codes: 0 nothing left or all reverted, 1 a revert failed (the rest were done), 2 usage,
4 refused (--read-only).`,
		Example: `  # what is left, and revert it after one question
  gameday revert --context staging

  # only list
  gameday revert --list

  # from a CronJob: faults past their duration, no question
  gameday revert --expired --yes`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE:          func(cmd *cobra.Command, _ []string) error { return runRevert(cmd, o) },
	}
	addSessionFlags(cmd, &o.options)
	f := cmd.Flags()
	f.BoolVar(&o.expired, "expired", false, "only what has outlived its duration (whatever its session's state)")
	f.BoolVarP(&o.yes, "yes", "y", false, "revert without asking (needed when stdin is not a terminal)")
	f.BoolVar(&o.list, "list", false, "list what is left; change nothing")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%s (see gameday revert --help)", flagError(err))}
	})
	return cmd
}

func runRevert(cmd *cobra.Command, o *revertOptions) error {
	if o.demo {
		return usageError{errors.New("--demo: the simulated cluster keeps nothing between runs; revert works on a real cluster")}
	}
	cfg, err := loadConfig(cmd, &o.options)
	if err != nil {
		return err
	}
	o.noRecord, o.record = true, "" // a cleanup, not a session worth replaying
	c, err := build(cmd, &o.options, &cfg)
	if err != nil {
		return err
	}
	defer func() {
		for i := len(c.cleanup) - 1; i >= 0; i-- {
			c.cleanup[i]()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out := cmd.OutOrStdout()
	list, ferr := c.sess.Leftovers(ctx, o.expired)
	if ferr != nil {
		fmt.Fprintln(cmd.ErrOrStderr(), "warning:", ferr)
	}
	if others, ok, err := c.sess.OtherEngines(ctx); ok {
		if err != nil {
			fmt.Fprintln(cmd.ErrOrStderr(), "warning:", err)
		}
		fmt.Fprintf(out, "other chaos engines: %d experiment(s) (HALT pauses them; revert leaves them alone)\n", len(others))
		for _, x := range others {
			fmt.Fprintln(out, "  "+x.Line(time.Now()))
		}
	}
	what := "left by sessions that no longer run"
	if o.expired {
		what = "past their duration"
	}
	if len(list) == 0 {
		fmt.Fprintf(out, "nothing %s in context %s\n", what, c.sess.KubeContext)
		return ferr
	}
	now := time.Now()
	fmt.Fprintf(out, "%d change(s) %s in context %s:\n", len(list), what, c.sess.KubeContext)
	for _, l := range list {
		fmt.Fprintln(out, "  "+l.Line(now))
	}
	if o.list {
		return ferr
	}
	if !o.yes {
		if !term.IsTerminal(os.Stdin.Fd()) {
			return usageError{errors.New("stdin is not a terminal: pass --yes to revert without asking (or --list to only list)")}
		}
		fmt.Fprintf(out, "Revert them? [y/N] ")
		answer, _ := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			fmt.Fprintln(out, "left as they are")
			return nil
		}
	}
	if err := c.sess.RevertLeftovers(ctx, list); err != nil {
		return err
	}
	if c.sess.DryRun() {
		fmt.Fprintf(out, "dry run: the apiserver validated the revert of %d change(s), nothing changed; journaled in %s\n", len(list), c.sess.Journal())
		return nil
	}
	fmt.Fprintf(out, "reverted %d change(s); journaled in %s\n", len(list), c.sess.Journal())
	return nil
}
