package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/bounds"
	"github.com/gamedaylab/gameday/bus"
	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/session"
)

type monkeyOptions struct {
	options
	noDryRun   bool
	duration   time.Duration
	selector   string
	kill       string
	mtbf       time.Duration
	minAge     time.Duration
	window     string
	maxPerHour int
}

func newMonkeyCmd() *cobra.Command {
	o := &monkeyOptions{}
	cmd := &cobra.Command{
		Use:   "monkey",
		Short: "Continuous chaos in a limited scope: random pod kills at a mean time between kills (dry-run unless --no-dry-run)",
		Long: `The chaos monkey kills pods of the Deployments in scope at random times: each target is hit on
average every --mtbf (exponential gaps, not a fixed period), pods younger than --min-age are spared,
and kills happen only inside --window and under --max-per-hour. Nothing is eligible unless its pods
carry the --selector label or the Deployment is named with --target. Kills are evictions, so
PodDisruptionBudgets hold; the ready minimum and protected namespaces apply. Each victim gets an Event
(reason Killing, "killed by gameday monkey"); each kill is journaled with the actor monkey.

Headless it is a dry run (the API server validates the evictions) unless --no-dry-run. Ctrl-C or
SIGTERM stops it (HALT). Flags override the config file's monkey: section.

Exit codes: 0 stopped (signal or --for ended), 1 could not run, 2 usage, 4 refused (--read-only,
a production context without --arm).`,
		Example: `  # what would be killed, for ten minutes, of the Deployments that opted in
  gameday monkey -n shop --for 10m

  # for real, one pod of deploy/web on average every 2 minutes, office hours only
  gameday monkey -n shop --target deploy/web --mtbf 2m --window "Mon-Fri 09:00-17:00 Europe/Berlin" --no-dry-run`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE:          func(cmd *cobra.Command, _ []string) error { return runMonkey(cmd, o) },
	}
	addSessionFlags(cmd, &o.options)
	f := cmd.Flags()
	f.BoolVar(&o.noDryRun, "no-dry-run", false, "kill for real (headless, the monkey is a dry run by default)")
	f.DurationVar(&o.duration, "for", 0, "stop after this long (default: until Ctrl-C)")
	f.StringVar(&o.selector, "selector", "", "pod label that opts a Deployment in (default monkey.selector: gameday.dev/monkey=enabled)")
	f.StringVar(&o.kill, "kill", "", `pods per kill: 1, N, N% or "upto N%" (default monkey.kill: 1)`)
	f.DurationVar(&o.mtbf, "mtbf", 0, "mean time between kills per Deployment (default monkey.mtbf: 2m)")
	f.DurationVar(&o.minAge, "min-age", -1, "spare pods younger than this (default monkey.minAge: 1m)")
	f.StringVar(&o.window, "window", "", `when kills may happen, e.g. "Mon-Fri 09:00-17:00 Europe/Berlin"`)
	f.IntVar(&o.maxPerHour, "max-per-hour", -1, "cap of kills an hour, all targets (default monkey.maxPerHour: 30; 0 no cap)")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%s (see gameday monkey --help)", flagError(err))}
	})
	return cmd
}

func runMonkey(cmd *cobra.Command, o *monkeyOptions) error {
	cfg, err := loadConfig(cmd, &o.options)
	if err != nil {
		return err
	}
	fl := cmd.Flags()
	for _, c := range []struct {
		flag string
		err  error
	}{
		{"for", bounds.Span{Max: 30 * 24 * time.Hour}.Check(o.duration)},
		{"mtbf", bounds.Span{Min: 100 * time.Millisecond}.Check(o.mtbf)},
		{"min-age", bounds.Span{}.Check(o.minAge)},
		{"max-per-hour", bounds.Count(0, 3600, "kills (0: no cap)").CheckInt(int64(o.maxPerHour))},
	} {
		if fl.Changed(c.flag) && c.err != nil {
			return usageError{fmt.Errorf("--%s: %w", c.flag, c.err)}
		}
	}
	mc := &cfg.Monkey
	if o.selector != "" {
		mc.Selector = o.selector
	}
	if o.target != "" { // --target names a Deployment eligible without the label
		mc.Targets = append(mc.Targets, o.target)
	}
	if o.kill != "" {
		mc.Kill = o.kill
	}
	if o.mtbf > 0 {
		mc.MTBF = config.Duration{Duration: o.mtbf}
	}
	if o.minAge >= 0 {
		mc.MinAge = config.Duration{Duration: o.minAge}
	}
	if o.window != "" {
		mc.Window = o.window
	}
	if o.maxPerHour >= 0 {
		mc.MaxPerHour = o.maxPerHour
	}
	if !o.noDryRun {
		cfg.Safety.DryRun = true
	}
	c, err := build(cmd, &o.options, &cfg)
	if err != nil {
		return usageError{err} // a bad monkey option, or a kubeconfig that cannot be read
	}
	defer c.close()
	out := cmd.OutOrStdout()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := onStop(func(os.Signal) {
		c.sess.StopLoad() // no kill starts after the first Ctrl-C
		cancel()
	}, func(os.Signal) { leaveNow(cmd.ErrOrStderr(), c.sess, nil) })
	defer stop.Close()
	sub := c.sess.Bus.Subscribe("monkey", 1024)
	defer sub.Close()
	if err := c.startListed(ctx); err != nil {
		if errors.As(err, new(interrupted)) {
			return nil
		}
		return err
	}
	args := "on"
	if o.duration > 0 {
		args += " for " + o.duration.String()
	}
	mode := "DRY-RUN (--no-dry-run kills)"
	if o.noDryRun {
		mode = "killing"
	}
	fmt.Fprintf(out, "chaos monkey on %s, namespace %s, %s; Ctrl-C stops it\n", c.sess.KubeContext, c.sess.Namespace(), mode)
	r, err := c.sess.Act(ctx, "monkey", args)
	if err != nil || r.Entry.Result != actions.ResultOK {
		if err == nil {
			err = errors.New(r.Entry.Error)
		}
		return err
	}
	printKills(ctx, out, sub, c.sess)
	r, _ = c.sess.Halt(context.Background())
	st := c.sess.Monkey.Status()
	fmt.Fprintf(out, "stopped: %d kills, %d refused; %s\n", st.Kills, st.Refused, r.Entry.Detail)
	return nil
}

// printKills prints one line per monkey action until ctx ends or the monkey stops by itself.
func printKills(ctx context.Context, out interface{ Write([]byte) (int, error) }, sub *bus.Sub, sess *session.Session) {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, e := range sub.Drain() {
			r, ok := e.Payload.(actions.Result)
			if !ok || r.Entry.Action != actions.MonkeyKill {
				continue
			}
			line := r.Entry.Detail
			if r.Entry.Error != "" {
				line += ": " + r.Entry.Error
			}
			fmt.Fprintf(out, "%s %-8s %s\n", r.Entry.Time.Format("15:04:05"), r.Entry.Result, line)
		}
		if !sess.Monkey.Running() {
			return
		}
	}
}
