package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/experiment"
	"github.com/gamedaylab/gameday/experiment/chaosmesh"
	"github.com/gamedaylab/gameday/experiment/chaostoolkit"
	"github.com/gamedaylab/gameday/experiment/litmus"
	"github.com/gamedaylab/gameday/recording"
	"github.com/gamedaylab/gameday/report"
	"github.com/gamedaylab/gameday/scenario"
	"github.com/gamedaylab/gameday/session"
)

// The exit codes of gameday run, beside the table's 0, 2, 4 and 130.
const (
	exitDeviated     = 3 // the hypothesis did not hold (or did not before the method)
	exitAborted      = 5 // a probe with abort: true breached: HALTed, reverts done
	exitRevertFailed = 6 // a rollback or HALT failed, or a second interrupt skipped them: a person must look
	exitInconclusive = 7 // a probe could not be checked
)

// outcomeError carries a run's outcome to its exit code.
type outcomeError struct {
	outcome string
	code    int
}

func (o outcomeError) Error() string { return "experiment " + o.outcome }

type runOptions struct {
	options
	ctk ctkOptions
}

func newRunCmd() *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run [flags] FILE",
		Short: "Run a scenario (or a Chaos Toolkit, Chaos Mesh or Litmus file) headless: hypothesis, method, rollbacks, HALT",
		Example: `  # on the simulated cluster
  gameday run --demo examples/kill-and-recover.yaml

  # on a cluster, as the cockpit would (kubectl flags), with Prometheus for the probes
  gameday run --context staging -n shop --prometheus-url http://prometheus:9090 examples/kill-under-load.yaml

  # in CI: the run record, JUnit XML and the report go to --out
  gameday run --out reports/ examples/kill-and-recover.yaml

  # the experiments teams already have, through gameday's guard, journal and HALT:
  gameday run --out reports/ --var ns=shop experiment.json     # Chaos Toolkit (reports/journal.json)
  gameday run -n shop pod-kill.yaml                            # Chaos Mesh PodChaos pod-kill
  gameday run --target deploy/web engine.yaml                  # Litmus ChaosEngine pod-delete

Ctrl-C (or SIGTERM) stops the method and runs the reverts (rollbacks, then HALT); a second Ctrl-C
skips them, and the run record says so.

Exit codes: 0 held, 1 a step failed or the cluster could not be reached, 2 invalid file, flag or
config, 3 deviated, 4 refused, 5 aborted by a probe (reverts done), 6 a revert failed or was skipped
(a person must look), 7 inconclusive, 130 interrupted (reverts done).`,
		Args:          cobra.ExactArgs(1),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExperiment(cmd, o, args[0])
		},
	}
	addSessionFlags(cmd, &o.options)
	addChaosToolkitFlags(cmd, &o.ctk)
	cmd.Flags().StringVar(&o.out, "out", "gameday-runs", "directory for the run's record (NAME-TIME.json), JUnit XML (NAME-TIME.xml) and report (NAME-TIME.md, charts)")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%s (see gameday run --help)", flagError(err))}
	})
	return cmd
}

func runExperiment(cmd *cobra.Command, ro *runOptions, file string) error {
	o := &ro.options
	data, err := os.ReadFile(file)
	if err != nil {
		return usageError{err}
	}
	switch {
	case chaostoolkit.Detect(data):
		return runChaosToolkit(cmd, ro, file)
	case chaosmesh.Detect(data):
		return runChaosMesh(cmd, ro, file)
	case litmus.Detect(data):
		return runLitmus(cmd, ro, file)
	}
	e, err := scenario.Read(file)
	if err != nil {
		return usageError{err}
	}
	cfg, err := loadConfig(cmd, o)
	if err != nil {
		return err
	}
	useScenarioLoad(&cfg, e)
	if err := writable(ro.out); err != nil {
		return usageError{fmt.Errorf("--out %s: %w: the run's record, JUnit and report could not be written; nothing ran", ro.out, err)}
	}
	o.runFile = file
	c, err := build(cmd, o, &cfg)
	if err != nil {
		return err
	}
	skipCleanup := false
	defer func() {
		if !skipCleanup { // a second interrupt: the person asked to leave now, reverts skipped
			c.close()
		}
	}()
	stderr := cmd.ErrOrStderr()
	ctx, interrupt := context.WithCancel(context.Background())
	defer interrupt()
	reverts, skip := context.WithCancel(context.Background())
	defer skip()
	ran := make(chan struct{})
	stop := onStop(func(sig os.Signal) {
		stopped := c.sess.StopLoad()
		c.sess.Logf(slog.LevelWarn, "stop requested", "signal", sig.String(), "stopped", stoppedText(stopped))
		fmt.Fprintf(stderr, "%s: stopping: %s; the method stops and the reverts run (within %s in all; again to leave now)\n",
			sig, stoppedText(stopped), cfg.Safety.RevertTimeout.Duration)
		interrupt()
	}, func(sig os.Signal) {
		fmt.Fprintf(stderr, "%s again: skipping the reverts\n", sig)
		skip()
		leaveNow(stderr, c.sess, func() { <-ran })
	})
	defer stop.Close()
	if err := c.startListed(ctx); err != nil {
		return err
	}
	started := time.Now()
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "experiment %s on %s, namespace %s\n", e.Metadata.Name, c.sess.KubeContext, c.sess.Namespace())
	sum := sha256.Sum256(data)
	res := experiment.Run(ctx, c.sess, e, out, experiment.Options{File: file, Digest: hex.EncodeToString(sum[:]), Version: version(), Reverts: reverts,
		Write: func(j *experiment.RunRecord) ([]string, error) { return writeRun(ro.out, started, j) }})
	close(ran)
	skipCleanup = res.Record.RevertsSkipped
	if res.WriteErr != nil {
		return res.WriteErr
	}
	switch {
	case res.Outcome == experiment.RevertFailed:
		return outcomeError{res.Outcome, exitRevertFailed}
	case ctx.Err() != nil:
		return interrupted{}
	}
	switch res.Outcome {
	case experiment.Held:
		return nil
	case experiment.Deviated, experiment.NotSteady:
		return outcomeError{res.Outcome, exitDeviated}
	case experiment.Aborted:
		return outcomeError{res.Outcome, exitAborted}
	case experiment.Refused:
		return outcomeError{res.Outcome, exitRefused}
	case experiment.Failed:
		return outcomeError{res.Outcome, exitFailed}
	}
	return outcomeError{res.Outcome, exitInconclusive}
}

// writable makes dir if need be and checks a file can be created in it, before anything runs.
func writable(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".gameday-write-check-*")
	if err != nil {
		return err
	}
	_ = f.Close()
	return os.Remove(f.Name())
}

// writeRun writes the run record, the JUnit XML and the report into dir, named after the experiment
// and the wall time it started, and says where.
func writeRun(dir string, started time.Time, j *experiment.RunRecord) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("--out: %w", err)
	}
	base := fmt.Sprintf("%s-%s", j.Experiment, started.UTC().Format("20060102-150405"))
	jp, xp := filepath.Join(dir, base+".json"), filepath.Join(dir, base+".xml")
	if err := experiment.WriteRunRecord(jp, j); err != nil {
		return nil, fmt.Errorf("run record: %w", err)
	}
	if err := experiment.WriteJUnit(xp, j); err != nil {
		return []string{"record  " + jp}, fmt.Errorf("JUnit: %w", err)
	}
	md, err := report.Write(dir, base, j)
	if err != nil {
		return []string{"record  " + jp, "junit   " + xp}, fmt.Errorf("report: %w", err)
	}
	return []string{"record  " + jp, "junit   " + xp, "report  " + md}, nil
}

// version is gameday's module version (devel in a source build).
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "devel"
}

func newReportCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "report [flags] RECORDING|RUN-RECORD",
		Short: "Write a game day's report (Markdown with SVG charts) from a session recording or a run's record (JSON)",
		Long: `Write a game day's report, as Markdown with SVG charts beside it, from either:
  - a session recording (every cockpit session and headless run records one, see --record): the
    timeline of actions, detection, recovery and HALT, charts of the recorded series with the actions
    and the fault windows, recovery per kill, the load, verdicts when a scenario ran, failed trace ids,
    the top ERROR log lines around each action, and the notes typed with :note;
  - a run's record (gameday run writes NAME-TIME.json): the report gameday run wrote, again.`,
		Example: `  gameday report ~/.local/state/gameday/sessions/20261203-100000-staging.gdr
  gameday report --out /tmp/r ~/.local/state/gameday/sessions/20261203-100000-staging.gdr
  gameday report gameday-runs/kill-and-recover-20261202-071500.json
  gameday report --out /tmp/r gameday-runs/kill-and-recover-20261202-071500.json`,
		Args:          cobra.ExactArgs(1),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := out
			if dir == "" {
				dir = filepath.Dir(args[0])
			}
			base := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(args[0]), ".json"), ".gdr")
			var md string
			rec, err := recording.Read(args[0], session.Kinds())
			switch {
			case err == nil:
				if md, err = report.WriteRecording(dir, base, rec); err != nil {
					return err
				}
				if rec.Truncated != "" {
					fmt.Fprintf(cmd.ErrOrStderr(), "gameday: %s is cut short (%s): the report covers what was written before\n", args[0], rec.Truncated)
				}
			case !errors.Is(err, recording.ErrNotRecording):
				return usageError{err}
			default:
				j, err := experiment.ReadRunRecord(args[0])
				if err != nil {
					return usageError{fmt.Errorf("%w; nor is it a gameday recording", err)}
				}
				if md, err = report.Write(dir, base, j); err != nil {
					return err
				}
			}
			fmt.Fprintln(cmd.OutOrStdout(), md)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "directory for the report (default: beside the recording or run record)")
	return cmd
}

// useScenarioLoad puts a scenario's load targets in place of the config's for its run: load goes
// only to configured targets, and the scenario file configures these.
func useScenarioLoad(cfg *config.Config, e *scenario.Experiment) {
	if e.Load != nil && len(e.Load.Targets) > 0 {
		cfg.Load.Targets = e.Load.Targets
	}
}
