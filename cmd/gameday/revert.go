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

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/bounds"
)

type revertOptions struct {
	options
	expired bool
	yes     bool
	list    bool
	watch   bool
	every   time.Duration
	session string
	force   bool
}

func newRevertCmd() *cobra.Command {
	o := &revertOptions{every: 5 * time.Second}
	cmd := &cobra.Command{
		Use:   "revert",
		Short: "Find and revert what gameday sessions left behind (cordons, Istio faults, load Jobs); --watch is a dead-man switch",
		Long: `Every change gameday makes (a cordon, an Istio fault, a load Job) carries a revert record on the
changed object, naming its session; each running session renews a heartbeat Lease. revert lists the
records of sessions that no longer run (killed, crashed, a lost laptop) and reverts them: from any
machine with the kubeconfig. A live session's changes are never touched: they are listed with when
their session will count as dead (three missed heartbeats) if it does not renew.

--watch is the dead-man switch: it stays running (in the cluster, deploy/reaper, or anywhere) and, every
--every, reverts what sessions that died left, as their own HALT would have (and pauses the other chaos
engines' experiments in their namespaces), within three heartbeats and --every of the death; each
pass is journaled. --session ID --force reverts one session's changes whatever its heartbeat says (a
session you know is dead).

With --expired it takes only what has outlived its duration (by three heartbeats), whatever its
session's state: run it from a CronJob so a fault cannot stay for longer than it was meant to.

Exit codes: 0 nothing left or all reverted, 1 a revert failed (the rest were done), 2 usage,
4 refused (--read-only).`,
		Example: `  # what is left, and revert it after one question
  gameday revert --context staging

  # only list (also what live sessions hold, and when they count as dead)
  gameday revert --list

  # the dead-man switch, from anywhere (deploy/reaper runs it in the cluster)
  gameday revert --watch

  # a session you know is dead, now
  gameday revert --session 3f2a9c1b7e04 --force --yes

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
	f.BoolVar(&o.watch, "watch", false, "keep running: revert what dead sessions leave as soon as they count as dead (a dead-man switch)")
	f.Var(bounds.DurationFlag{P: &o.every, S: bounds.Span{Min: time.Second, Max: 10 * time.Minute}}, "every", "with --watch: how often to look (default 5s)")
	f.StringVar(&o.session, "session", "", "only this session's changes (its id: in the listing, the Lease gameday-session-ID, the journal)")
	f.BoolVar(&o.force, "force", false, "with --session: revert it even though its heartbeat looks alive (you know it is dead)")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%s (see gameday revert --help)", flagError(err))}
	})
	return cmd
}

func runRevert(cmd *cobra.Command, o *revertOptions) error {
	switch {
	case o.demo:
		return usageError{errors.New("--demo: the simulated cluster keeps nothing between runs; revert works on a real cluster")}
	case o.force && o.session == "":
		return usageError{errors.New("--force needs --session ID: it reverts one session you know is dead")}
	case o.watch && (o.list || o.expired || o.session != ""):
		return usageError{errors.New("--watch reverts what every dead session left: it takes no --list, --expired or --session")}
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
	defer c.close()
	if o.watch {
		return watchReap(cmd, c, o.every)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out := cmd.OutOrStdout()
	q := actions.LeftoverQuery{Expired: o.expired, Session: o.session, Alive: true}
	all, ferr := c.sess.Leftovers(ctx, q)
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
	// What live sessions hold is said, never reverted (but a session named with --force).
	var list, held []actions.Leftover
	for _, l := range all {
		if l.Alive && !(o.force && o.session != "") && !o.expired {
			held = append(held, l)
			continue
		}
		list = append(list, l)
	}
	now := time.Now()
	if len(held) > 0 {
		fmt.Fprintf(out, "%d change(s) held by sessions that still look alive (left alone; --session ID --force if you know one is dead):\n", len(held))
		for _, l := range held {
			fmt.Fprintln(out, "  "+l.Line(now))
		}
	}
	what := "left by sessions that no longer run"
	switch {
	case o.expired:
		what = "past their duration"
	case o.session != "":
		what = "of session " + o.session
	}
	if len(list) == 0 {
		fmt.Fprintf(out, "nothing %s in context %s\n", what, c.sess.KubeContext)
		return ferr
	}
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

// watchReap is the dead-man switch: a pass every --every until a signal, each pass reverting what
// sessions that died left (their own HALT, done for them). One line per thing it did.
func watchReap(cmd *cobra.Command, c *cockpit, every time.Duration) error {
	out := cmd.OutOrStdout()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := onStop(func(os.Signal) { cancel() }, func(os.Signal) { os.Exit(exitInterrupted) })
	defer stop.Close()
	say := func(format string, a ...any) {
		fmt.Fprintf(out, "%s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
	}
	say("reaper on %s: every %s, reverting what sessions that died left (their heartbeat stale); Ctrl-C stops", c.sess.KubeContext, every)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Minute)
		began := time.Now()
		r, err := c.sess.Reap(pctx)
		pcancel()
		now := time.Now()
		for _, l := range r.Reverted {
			say("reverted %s", l.Line(now))
		}
		if len(r.Reverted) > 0 {
			say("pass took %s", now.Sub(began).Round(10*time.Millisecond))
		}
		for _, p := range r.Paused {
			say("%s (a dead session's namespace)", p)
		}
		if err != nil && ctx.Err() == nil {
			say("error: %v (next pass in %s)", err, every)
		}
		select {
		case <-ctx.Done():
			say("reaper stopped")
			return nil
		case <-t.C:
		}
	}
}
