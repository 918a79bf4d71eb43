package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gamedaylab/gameday/experiment/chaostoolkit"
)

// ctkOptions are gameday run's flags for Chaos Toolkit experiments.
type ctkOptions struct {
	strict     bool
	vars       []string
	hypothesis string
	rollbacks  string
	failFast   bool
}

func addChaosToolkitFlags(cmd *cobra.Command, o *ctkOptions) {
	f := cmd.Flags()
	f.BoolVar(&o.strict, "ctk-strict", false, "Chaos Toolkit experiments: exit as chaos run does (0 completed and not deviated, else 1), where gameday is stricter")
	f.StringArrayVar(&o.vars, "var", nil, "Chaos Toolkit experiments: a configuration value, NAME=VALUE or NAME:TYPE=VALUE (int, float, bool, json, str), as chaos run --var")
	f.StringVar(&o.hypothesis, "hypothesis-strategy", "", "Chaos Toolkit experiments: default, before-method-only, after-method-only, during-method-only or continuously (default: the file's runtime)")
	f.StringVar(&o.rollbacks, "rollback-strategy", "", "Chaos Toolkit experiments: default, always, never or deviated (default: the file's runtime)")
	f.BoolVar(&o.failFast, "fail-fast", false, "Chaos Toolkit experiments: stop the method when a check of the hypothesis during it fails")
}

// runChaosToolkit runs a Chaos Toolkit experiment on a session: its activities go through gameday's
// catalog (guard, journal, HALT), the Chaos Toolkit's rules decide the outcome, and --out gets the
// Chaos Toolkit's journal.json.
func runChaosToolkit(cmd *cobra.Command, ro *runOptions, file string) error {
	o := &ro.options
	data, err := os.ReadFile(file)
	if err != nil {
		return usageError{err}
	}
	e, err := chaostoolkit.ParseAllowing(file, data, o.allowProcess)
	if err != nil {
		return usageError{err}
	}
	overrides := map[string]any{}
	for _, v := range ro.ctk.vars {
		name, val, err := chaostoolkit.ParseVar(v)
		if err != nil {
			return usageError{err}
		}
		overrides[name] = val
	}
	vars, err := e.Resolve(nil, overrides)
	if err != nil {
		return usageError{err}
	}
	if err := ctkNamespace(o, e.Namespaces(vars)); err != nil {
		return usageError{fmt.Errorf("%s: %w", file, err)}
	}
	cfg, err := loadConfig(cmd, o)
	if err != nil {
		return err
	}
	if err := writable(ro.out); err != nil {
		return usageError{fmt.Errorf("--out %s: %w: the journal could not be written; nothing ran", ro.out, err)}
	}
	o.runFile = file
	c, err := build(cmd, o, &cfg)
	if err != nil {
		return err
	}
	defer c.close()
	stderr := cmd.ErrOrStderr()
	ctx, interrupt := context.WithCancel(context.Background())
	defer interrupt()
	reverts, skip := context.WithCancel(context.Background())
	defer skip()
	stop := onStop(func(sig os.Signal) {
		stopped := c.sess.StopLoad()
		c.sess.Logf(slog.LevelWarn, "stop requested", "signal", sig.String(), "stopped", stoppedText(stopped))
		fmt.Fprintf(stderr, "%s: stopping: the method stops, the rollbacks run as the strategy says, then HALT (again to leave now)\n", sig)
		interrupt()
	}, func(sig os.Signal) {
		fmt.Fprintf(stderr, "%s again: skipping the reverts\n", sig)
		skip()
	})
	defer stop.Close()
	if err := c.startListed(ctx); err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "chaos toolkit experiment %s on %s, namespace %s\n", file, c.sess.KubeContext, c.sess.Namespace())
	j := chaostoolkit.Run(ctx, e, &chaostoolkit.SessionExecutor{S: c.sess, AllowProcess: o.allowProcess}, chaostoolkit.Options{Out: out, Vars: vars, Version: version(),
		Reverts: reverts, Strategy: ro.ctk.hypothesis, RollbackStrategy: ro.ctk.rollbacks, FailFast: ro.ctk.failFast})
	if ctx.Err() != nil && reverts.Err() == nil {
		// gameday's safety net beside the rollbacks: HALT stops load and the monkey and reverts faults
		if _, err := c.sess.Halt(reverts); err != nil {
			fmt.Fprintf(stderr, "HALT: %v\n", err)
		}
	}
	p, err := j.Write(ro.out)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "journal %s\n", p)
	if ro.ctk.strict {
		if j.ExitCode() != 0 {
			return outcomeError{j.Outcome(), exitFailed}
		}
		return nil
	}
	return ctkVerdict(j)
}

// ctkVerdict is gameday's exit for a Chaos Toolkit run. It is stricter than chaos run's 0/1 in two
// places (--ctk-strict restores it): a hypothesis not met before the method is not a pass (3), and
// a method action that failed fails the run (1).
func ctkVerdict(j *chaostoolkit.Journal) error {
	switch {
	case j.Status == chaostoolkit.StatusInterrupted:
		return interrupted{}
	case j.Deviated:
		return outcomeError{"deviated", exitDeviated}
	case j.Status != chaostoolkit.StatusCompleted:
		return outcomeError{j.Status, exitFailed}
	case j.SteadyStates.Before != nil && !*j.SteadyStates.Before.Met:
		return outcomeError{"not steady before the method", exitDeviated}
	}
	for _, r := range j.Run {
		if r.Status == "failed" && r.Activity["type"] == "action" {
			return outcomeError{fmt.Sprintf("failed: action %v failed", r.Activity["name"]), exitFailed}
		}
	}
	return nil
}

// ctkNamespace takes the run's namespace from the experiment when -n is not given.
func ctkNamespace(o *options, used []string) error {
	flag := ""
	if o.kube != nil && o.kube.Namespace != nil {
		flag = *o.kube.Namespace
	}
	switch {
	case len(used) > 1:
		return fmt.Errorf("its activities act in namespaces %s: gameday runs an experiment in one namespace", strings.Join(used, ", "))
	case len(used) == 1 && flag == "":
		if o.kube != nil && o.kube.Namespace != nil {
			*o.kube.Namespace = used[0]
		}
	case len(used) == 1 && flag != used[0]:
		return fmt.Errorf("its activities act in namespace %s, not in -n %s", used[0], flag)
	}
	return nil
}
