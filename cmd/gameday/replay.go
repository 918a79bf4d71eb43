package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/recording"
	"github.com/gamedaylab/gameday/session"
	"github.com/gamedaylab/gameday/tui/keys"
)

type replayOptions struct {
	options
	speed  float64
	paused bool
	at     time.Duration
}

func newReplayCmd() *cobra.Command {
	o := &replayOptions{}
	cmd := &cobra.Command{
		Use:   "replay [flags] FILE",
		Short: "Open the cockpit over a recorded session, read-only: pause, seek, change speed, jump between markers",
		Long: `Every cockpit session and headless run is recorded (see --record, --no-record) to
` + config.DefaultSessionsDir() + `. gameday replay opens the same cockpit over a recording: the
panes show what was recorded at the recorded time (the header says REPLAY), Enter on a trace opens
the waterfall that was opened then, the logs filter runs over the recorded lines. Nothing acts on a
cluster: action keys are refused with the reason.

Keys: space pause / play · ← → 10 s · shift+← → 1 min · < > speed (0.5x to 32x) · n p next /
previous marker · ? every key.

A recording cut short (a crash) plays up to its last complete second; one from a newer gameday is
refused with both schema versions named.`,
		Example: `  gameday replay ~/.local/state/gameday/sessions/20261202-141500-staging.gdr

  # start paused, 5 minutes in, at 4x
  gameday replay --at 5m --paused --speed 4 session.gdr`,
		Args:          cobra.ExactArgs(1),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE:          func(cmd *cobra.Command, args []string) error { return runReplay(cmd, o, args[0]) },
	}
	f := cmd.Flags()
	f.Float64Var(&o.speed, "speed", 1, "playback speed: 0.5, 1, 2, 4, 8, 16 or 32")
	f.BoolVar(&o.paused, "paused", false, "start paused")
	f.DurationVar(&o.at, "at", 0, "start this far into the recording (e.g. 90s, 5m)")
	f.StringVar(&o.theme, "theme", "", "colour theme (NO_COLOR forces mono)")
	f.StringVar(&o.configPath, "config", "", "config file (keys, theme; default "+config.DefaultPath()+")")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%s (see gameday replay --help)", flagError(err))}
	})
	return cmd
}

func runReplay(cmd *cobra.Command, o *replayOptions, file string) error {
	ok := false
	for _, s := range session.Speeds {
		ok = ok || s == o.speed
	}
	if !ok {
		return usageError{fmt.Errorf("--speed: want one of %v, got %g", session.Speeds, o.speed)}
	}
	if o.at < 0 {
		return usageError{fmt.Errorf("--at: want a duration into the recording (e.g. 5m), got %s", o.at)}
	}
	rec, err := recording.Read(file, session.Kinds())
	if err != nil {
		return usageError{err}
	}
	if len(rec.Events) == 0 {
		return usageError{fmt.Errorf("%s: the recording holds no events (truncated: %s)", file, orNone(rec.Truncated))}
	}
	cfg, err := loadConfig(cmd, &o.options)
	if err != nil {
		return err
	}
	if err := keys.Default().Apply(cfg.Keys); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if !term.IsTerminal(os.Stdout.Fd()) || !term.IsTerminal(os.Stdin.Fd()) {
		return errors.New("not a terminal: gameday replay is interactive and needs a TTY (gameday report FILE writes a report headless)")
	}
	o.replay, o.noRecord = rec, true
	cfg.Target = "deploy/" + rec.Header.Target
	if rec.Header.Target == "" {
		cfg.Target = ""
	}
	c, err := build(cmd, &o.options, &cfg)
	if err != nil {
		return err
	}
	p := c.sess.Replay
	p.SetSpeed(o.speed)
	if o.at > 0 {
		p.SeekTo(rec.Header.Start.Add(o.at))
	}
	if o.paused {
		p.Toggle()
	}
	defer c.close()
	return c.run()
}

func orNone(s string) string {
	if s == "" {
		return "no"
	}
	return s
}
