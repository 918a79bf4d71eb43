package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"

	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/session"
	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/sources/kube"
	"github.com/gamedaylab/gameday/themes"
	"github.com/gamedaylab/gameday/tui"
	"github.com/gamedaylab/gameday/tui/core"
	"github.com/gamedaylab/gameday/tui/keys"
	"github.com/gamedaylab/gameday/tui/screen"
)

// cockpit is everything one run wires together: a session and the cockpit over it.
type cockpit struct {
	// listed is closed once the cluster source sent its first full batch (gameday run waits on it).
	listed   chan struct{}
	syncOnce sync.Once
	ctx      *core.Context
	deps     tui.Deps
	sess     *session.Session
	cleanup  []func()
	cores    *cores
	stopRun  func(ctx context.Context) // stops the --scenario run and waits for its reverts, within ctx
	runBound time.Duration             // how long stopRun may take
	stop     *stopper
}

func run(cmd *cobra.Command, o *options) error {
	// Bad flags and config are reported first, terminal or not.
	cfg, err := loadConfig(cmd, o)
	if err != nil {
		return err
	}
	if _, err := parseTarget(cfg.Target); err != nil {
		return err
	}
	if err := keys.Default().Apply(cfg.Keys); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if !term.IsTerminal(os.Stdout.Fd()) || !term.IsTerminal(os.Stdin.Fd()) {
		return errors.New("not a terminal: gameday is interactive and needs a TTY (try it in a terminal, or gameday --demo there)")
	}
	c, err := build(cmd, o, &cfg)
	if err != nil {
		return err
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		_ = pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
	}
	defer c.close()
	if o.memProfile != "" {
		defer func() {
			if f, err := os.Create(o.memProfile); err == nil {
				_ = pprof.WriteHeapProfile(f)
				_ = f.Close()
			}
		}()
	}
	return c.run()
}

// build makes the session (the world, sources, journal and actions) and the cockpit's context.
func build(cmd *cobra.Command, o *options, cfg *config.Config) (*cockpit, error) {
	noColor := os.Getenv("NO_COLOR") != ""
	styles, err := themes.Resolve(cfg.Theme, noColor)
	if err != nil {
		return nil, err
	}
	km := keys.Default()
	if err := km.Apply(cfg.Keys); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	target, err := parseTarget(cfg.Target)
	if err != nil {
		return nil, err
	}
	rf, err := readRunbook(o, cfg)
	if err != nil {
		return nil, err
	}
	guard := session.NewGuard(cfg.Safety, o.arm)
	c := &cockpit{cores: newCores(), listed: make(chan struct{})}
	so := session.Options{Config: cfg, Guard: guard, Demo: o.demo, Target: target, OnSynced: c.synced, LoadOnRun: c.cores.loadRun}
	if o.grace >= 0 {
		g := o.grace
		so.KillGrace = &g
	}
	if u, err := user.Current(); err == nil {
		so.User = u.Username
	}
	so.Journal = cfg.Journal.Path
	if so.Journal == "" {
		so.Journal = config.DefaultJournalPath()
		if o.demo {
			so.Journal = filepath.Join(filepath.Dir(so.Journal), "demo-journal.jsonl")
		}
	}
	if o.replay != nil {
		so.Replay, so.Journal, so.Demo = o.replay, os.DevNull, false // nothing acts: nothing to journal
	} else if !o.demo {
		k, user, err := kubeFromFlags(o, cfg)
		if err != nil {
			return nil, err
		}
		k.Pacer = kube.NewPacer(watchPace())
		so.Kube, so.User = k, user
	}
	var logCloser io.Closer
	if o.replay == nil {
		if so.Record, err = recordOptions(o, sess0Context(so)); err != nil {
			return nil, err
		}
		if so.Log, logCloser, err = openLog(o.logLevel); err != nil {
			return nil, err
		}
	}
	sess, err := session.New(so)
	if err != nil {
		if logCloser != nil {
			_ = logCloser.Close()
		}
		return nil, err
	}
	c.sess = sess
	// Cleanups run last first: the recording is reported once the session (and its HALT) closed it.
	c.cleanup = append(c.cleanup, func() { sayRecording(cmd.ErrOrStderr(), sess) }, func() { _ = sess.Close() })
	if logCloser != nil {
		c.cleanup = append([]func(){func() { _ = logCloser.Close() }}, c.cleanup...) // last: after the session's last line
	}
	if guard.IsProduction() && !o.arm {
		guard.ReadOnly = true // be explicit in the header: nothing will be allowed
	}
	c.ctx = &core.Context{Styles: styles, Keys: km, Config: cfg, Cluster: model.NewCluster(), Markers: &core.Markers{},
		Guard: guard, Target: sess.Target(), NoColor: noColor, Clock: sess.Clock, KubeContext: sess.KubeContext,
		Namespace: sess.Namespace(), Demo: o.demo || o.replay != nil && o.replay.Header.Demo}
	c.deps = tui.Deps{Session: sess, SteadyGate: cfg.UI.SteadyGate}
	if rf != nil {
		c.startRunbook(o, cfg, rf)
	}
	if o.traceFile != "" {
		f, err := os.Create(o.traceFile)
		if err != nil {
			return nil, fmt.Errorf("--trace-frames: %w", err)
		}
		tr := tui.NewFrameTrace(f, processStart)
		c.deps.Trace = tr
		c.cleanup = append(c.cleanup, func() { _ = f.Close() }, func() { tr.Flush() })
	}
	return c, nil
}

// kubeFromFlags resolves the kubeconfig, context and namespace the kubectl way; user is the
// kubeconfig user entry's name, never its credentials.
func kubeFromFlags(o *options, cfg *config.Config) (*session.Kube, string, error) {
	raw, err := o.kube.ToRawKubeConfigLoader().RawConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	ctxName := raw.CurrentContext
	if o.kube.Context != nil && *o.kube.Context != "" {
		ctxName = *o.kube.Context
	}
	if ctxName == "" {
		// In a pod (the dead-man reaper, deploy/reaper): its ServiceAccount, no kubeconfig.
		if rc, err := rest.InClusterConfig(); err == nil {
			ns := cmp.Or(cfg.Namespace, "default")
			if o.kube.Namespace != nil && *o.kube.Namespace != "" {
				ns = *o.kube.Namespace
			} else if b, err := os.ReadFile("/var/run/secrets/kubernetes.io/serviceaccount/namespace"); err == nil {
				ns = strings.TrimSpace(string(b))
			}
			return &session.Kube{Rest: rc, Context: "in-cluster", Namespace: ns}, "serviceaccount", nil
		}
		return nil, "", errors.New("kubeconfig: no current context; pass --context NAME or --kubeconfig FILE (or try gameday --demo)")
	}
	kc, ok := raw.Contexts[ctxName]
	if !ok {
		return nil, "", fmt.Errorf("kubeconfig: context %q not found (have: %s)", ctxName, contextNames(raw.Contexts))
	}
	ns, _, err := o.kube.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	if o.allNS {
		ns = ""
	} else if ns == "" {
		ns = "default"
	}
	if cfg.Namespace != "" && (o.kube.Namespace == nil || *o.kube.Namespace == "") && !o.allNS {
		ns = cfg.Namespace
	}
	rc, err := o.kube.ToRESTConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	return &session.Kube{Rest: rc, Context: ctxName, Namespace: ns}, kc.AuthInfo, nil
}

func contextNames[T any](m map[string]T) string {
	out := ""
	for k := range m {
		if out != "" {
			out += ", "
		}
		out += k
	}
	if out == "" {
		return "none"
	}
	return out
}

// close runs the cleanups, last first: the session (its HALT) before what reports on it.
func (c *cockpit) close() {
	for i := len(c.cleanup) - 1; i >= 0; i-- {
		c.cleanup[i]()
	}
}

// synced is called when the cluster source has sent its first full batch. The first sync ran on every
// core (thousands of objects to decode before the first full frame); from now on the cockpit watches
// on one core (unless load runs). The session starts pacing its watch connection itself.
func (c *cockpit) synced() {
	c.cores.watching()
	c.syncOnce.Do(func() { close(c.listed) })
}

// startListed starts the session headless and waits until the cluster is listed. An apiserver that
// does not answer for unreachableFor (or a listing that takes longer than 60 s) is an error naming
// why: the run could not start, exit 1, nothing was done.
func (c *cockpit) startListed(ctx context.Context) error {
	sub := c.sess.Bus.Subscribe("listing", 64)
	defer sub.Close()
	c.sess.Start(ctx)
	type outage struct {
		err string
		at  time.Time
	}
	var down atomic.Pointer[outage]
	watch, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		for {
			e, ok := sub.Next(watch)
			if !ok {
				return
			}
			if cs, ok := e.Payload.(sources.ConnState); ok && cs.Source == "cluster" {
				if cs.OK {
					down.Store(nil)
				} else if down.Load() == nil {
					down.Store(&outage{err: cs.Err, at: time.Now()})
				}
			}
		}
	}()
	limit := time.After(60 * time.Second)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-c.listed:
			return nil
		case <-ctx.Done():
			return interrupted{}
		case <-limit:
			if o := down.Load(); o != nil {
				return fmt.Errorf("the cluster was not listed within 60 s: %s", o.err)
			}
			return errors.New("the cluster was not listed within 60 s")
		case <-tick.C:
			if o := down.Load(); o != nil && time.Since(o.at) > unreachableFor {
				return fmt.Errorf("cannot reach the cluster (%s) for %s: %s; nothing was done", c.sess.KubeContext, unreachableFor, o.err)
			}
		}
	}
}

// unreachableFor is how long a headless command waits for an apiserver that refuses or does not
// answer before it gives up.
const unreachableFor = 15 * time.Second

// start runs the session and forwards its bus to send (the program's Send). A cockpit that falls
// behind gets coalesced cluster deltas (see docs/ARCHITECTURE.md).
func (c *cockpit) start(ctx context.Context, send func(any)) {
	sub := c.sess.Bus.Subscribe("cockpit", 1024)
	c.sess.Start(ctx)
	go func() {
		defer sub.Close()
		for {
			e, ok := sub.Next(ctx)
			if !ok {
				return
			}
			send(e.Payload)
		}
	}()
}

// run starts the session and the program; on exit it stops the load and reverts everything
// injected, whatever way the program ended.
func (c *cockpit) run() error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The cockpit draws its own frames (tui/screen: changed lines only); Bubble Tea runs the
	// program and parses input on a terminal the screen package put into raw mode.
	tty, err := screen.Open(os.Stdin, os.Stdout)
	if err != nil {
		return err
	}
	defer func() { _ = tty.Restore() }()
	w, h, err := tty.Size()
	if err != nil {
		return err
	}
	profile := colorprofile.Detect(os.Stdout, os.Environ())
	c.ctx.Styles.Convert(profile)
	scr := screen.New(os.Stdout, profile, "gameday")
	c.deps.Screen = scr
	held, err := screen.CaptureStderr()
	if err != nil {
		return err
	}
	// Once the screen is given back: what was written to stderr meanwhile (warnings, a panic).
	release := func() {
		_ = scr.Stop()
		_ = tty.Restore()
		if s := held.Release(); s != "" {
			fmt.Fprint(os.Stderr, "gameday: written to stderr while the cockpit was on screen:\n"+strings.ReplaceAll(s, "\r\n", "\n"))
		}
	}
	defer release()
	if err := scr.Start(); err != nil {
		return fmt.Errorf("terminal: %w", err)
	}
	// WithFPS(1): without a renderer, Bubble Tea's frame ticker only flushes output the cockpit
	// never queues (clipboard, raw sequences); at its default 60 Hz it woke the process for nothing.
	// gameday's own stop, not Bubble Tea's: the first signal quits as q does, the second (also one
	// that comes while the stop's reverts run) leaves at once, the terminal given back first.
	p := tea.NewProgram(tui.New(c.ctx, c.deps), tea.WithContext(ctx), tea.WithoutRenderer(),
		tea.WithWindowSize(w, h), tea.WithColorProfile(profile), tea.WithFPS(1), tea.WithoutSignalHandler())
	c.stop = onStop(func(os.Signal) { p.Quit() }, func(os.Signal) {
		release()
		leaveNow(os.Stderr, c.sess, nil)
	})
	defer c.stop.Close()
	tuneGC()
	go scr.Run(ctx)
	go tty.WatchSize(ctx, p.Send)
	c.start(ctx, func(m any) { p.Send(m) })
	_, runErr := p.Run()
	cancel()
	release()
	c.onExit()
	if runErr != nil && !errors.Is(runErr, tea.ErrProgramKilled) && !errors.Is(runErr, context.Canceled) {
		return fmt.Errorf("cockpit: %w", runErr)
	}
	return nil
}

// onExit is HALT without the UI: faults must not outlive the cockpit. Once the terminal is back it
// says what HALT did and where the journal is, so a quit with load running or a node cordoned is
// never silent.
func (c *cockpit) onExit() {
	if c.stop != nil {
		c.stop.Stopping()
	}
	stopped := c.sess.StopLoad()
	c.sess.Logf(slog.LevelInfo, "cockpit quit", "stopped", stoppedText(stopped))
	// One deadline for the whole exit: the run's reverts, then the session's HALT, sources, heartbeat.
	bound := c.sess.CloseBound()
	if c.stopRun != nil {
		bound += c.runBound
	}
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	if len(stopped) > 0 || c.sess.Busy() {
		fmt.Fprintf(os.Stderr, "gameday: stopping: %s; reverting (within %s in all; Ctrl-C again to leave now)\n",
			stoppedText(stopped), bound)
	}
	if c.stopRun != nil {
		c.stopRun(ctx)
	}
	err := c.sess.CloseWithin(ctx)
	if r, ok := c.sess.HaltedOnClose(); ok {
		fmt.Fprintln(os.Stderr, "gameday: HALT on exit: "+r.Entry.Detail)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gameday: on exit: "+err.Error())
	}
	if n := len(c.sess.Timeline()); n > 0 {
		fmt.Fprintf(os.Stderr, "gameday: journal: %s (%d entries this session)\n", c.sess.Journal(), n)
	}
}
