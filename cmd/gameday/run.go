package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/actions/load"
	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/sources/kube"
	"github.com/gamedaylab/gameday/sources/logs"
	"github.com/gamedaylab/gameday/sources/prom"
	"github.com/gamedaylab/gameday/sources/sim"
	"github.com/gamedaylab/gameday/sources/traces"
	"github.com/gamedaylab/gameday/themes"
	"github.com/gamedaylab/gameday/tui"
	"github.com/gamedaylab/gameday/tui/core"
	"github.com/gamedaylab/gameday/tui/keys"
	"github.com/gamedaylab/gameday/tui/screen"
)

// cockpit is everything one run wires together.
type cockpit struct {
	ctx      *core.Context
	deps     tui.Deps
	fwd      *sources.Forwarder
	starters []func(ctx context.Context)
	cleanup  []func()
	cores    *cores
	pacer    *kube.Pacer // the informers' connection, paced once the first sync is done
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
	defer func() {
		for i := len(c.cleanup) - 1; i >= 0; i-- {
			c.cleanup[i]()
		}
	}()
	return c.run()
}

// build wires sources, actions and the UI for the demo or for a real cluster.
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
	guard := &actions.Guard{ReadOnly: cfg.Safety.ReadOnly, DryRun: cfg.Safety.DryRun, Armed: o.arm,
		Protected: cfg.Safety.ProtectedSet(), MinReady: cfg.Safety.MinReadyReplicas,
		ProductionPatterns: cfg.Safety.ProductionContexts}
	c := &cockpit{fwd: sources.NewForwarder(1024), cores: newCores(), pacer: kube.NewPacer(watchPace())}
	ctx := &core.Context{Styles: styles, Keys: km, Config: cfg, Cluster: model.NewCluster(), Markers: &core.Markers{},
		Guard: guard, Target: target, NoColor: noColor}
	c.ctx = ctx
	env := &actions.Env{Guard: guard, Now: time.Now}
	if o.grace >= 0 {
		g := o.grace
		env.KillGrace = &g
	}
	if u, err := user.Current(); err == nil {
		env.User = u.Username
	}
	c.deps = tui.Deps{Env: env, Injected: &actions.Injected{}}

	journalPath := cfg.Journal.Path
	if journalPath == "" {
		journalPath = config.DefaultJournalPath()
		if o.demo {
			journalPath = filepath.Join(filepath.Dir(journalPath), "demo-journal.jsonl")
		}
	}
	j, err := actions.OpenJournal(journalPath)
	if err != nil {
		return nil, err
	}
	env.Journal = j
	c.cleanup = append(c.cleanup, func() { _ = j.Close() })

	if o.traceFile != "" {
		f, err := os.Create(o.traceFile)
		if err != nil {
			return nil, fmt.Errorf("--trace-frames: %w", err)
		}
		tr := tui.NewFrameTrace(f, processStart)
		c.deps.Trace = tr
		c.cleanup = append(c.cleanup, func() { _ = f.Close() }, func() { tr.Flush() })
	}
	if o.demo {
		c.wireDemo(cfg, env)
	} else if err := c.wireCluster(o, cfg, env); err != nil {
		return nil, err
	}
	guard.Context = ctx.KubeContext
	env.Context = ctx.KubeContext
	if guard.IsProduction() && !o.arm {
		guard.ReadOnly = true // be explicit in the header: nothing will be allowed
	}
	return c, nil
}

func (c *cockpit) wireDemo(cfg *config.Config, env *actions.Env) {
	s := sim.New(sim.Options{Seed: cfg.Demo.Seed, Speed: cfg.Demo.Speed, MaxLoadRate: cfg.Load.MaxRate})
	ctx := c.ctx
	ctx.Demo, ctx.Clock, ctx.KubeContext, ctx.Namespace = true, s, "gameday-demo", sim.Namespace
	if ctx.Target == "" {
		ctx.Target = sim.Target
	}
	env.Client, env.Now, env.Load = s.Client(), s.Now, s.Load()
	env.SetSeed(cfg.Demo.Seed)
	refresh := min(cfg.Metrics.Refresh.Duration, 2*time.Second)
	c.deps.Metrics = sources.NewMetricsPoller(s.Metrics(), sources.DefaultPanels(), s, refresh, cfg.Metrics.Window.Duration, c.fwd.Send)
	c.deps.Traces = sources.NewTracesPoller(s.Traces(), sources.TraceQuery{Service: ctx.Target, Lookback: 15 * time.Minute, Limit: 200}, s, 2*time.Second, c.fwd.Send)
	c.deps.Logs = sources.NewLogsPoller(s.Logs(), sources.LogQuery{Namespace: sim.Namespace, Limit: 500}, s, 500*time.Millisecond, c.fwd.Send)
	c.deps.MetricsName, c.deps.TracesBackend, c.deps.LogsBackend = "simulation", s.Traces(), s.Logs()
	c.deps.Panels = sources.DefaultPanels()
	c.starters = append(c.starters, s.Run)
	c.addKube(s.Client(), sim.Namespace, s.Now)
}

func (c *cockpit) wireCluster(o *options, cfg *config.Config, env *actions.Env) error {
	raw, err := o.kube.ToRawKubeConfigLoader().RawConfig()
	if err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	ctxName := raw.CurrentContext
	if o.kube.Context != nil && *o.kube.Context != "" {
		ctxName = *o.kube.Context
	}
	if ctxName == "" {
		return errors.New("kubeconfig: no current context; pass --context NAME or --kubeconfig FILE (or try gameday --demo)")
	}
	if _, ok := raw.Contexts[ctxName]; !ok {
		return fmt.Errorf("kubeconfig: context %q not found (have: %s)", ctxName, contextNames(raw.Contexts))
	}
	ns, _, err := o.kube.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
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
		return fmt.Errorf("kubeconfig: %w", err)
	}
	rc.UserAgent = "gameday"
	// Protobuf decodes several times cheaper than JSON: it is most of the CPU of watching 5,000 pods.
	rc.ContentType = "application/vnd.kubernetes.protobuf"
	rc.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return fmt.Errorf("kubernetes client: %w", err)
	}
	// The informers have their own connection, paced once synced, and decode through a client that
	// drops what no pane shows; actions use client, whose requests are never held back.
	watch, err := kube.WatchClient(rc, c.pacer)
	if err != nil {
		return err
	}
	ctx := c.ctx
	ctx.Clock, ctx.KubeContext, ctx.Namespace = sources.WallClock{}, ctxName, ns
	env.Client = client
	if kc, ok := raw.Contexts[ctxName]; ok {
		env.User = kc.AuthInfo // the kubeconfig user entry's name, never its credentials
	}
	c.addKube(watch, ns, time.Now)
	if err := c.wireLoad(cfg, env); err != nil {
		return err
	}
	if err := c.wireSignals(cfg); err != nil {
		return err
	}
	return c.wireMetrics(cfg, client, rc)
}

// wireSignals connects the Traces pane to Zipkin and the Logs pane to Elasticsearch, when configured.
func (c *cockpit) wireSignals(cfg *config.Config) error {
	if u := cfg.Traces.URL; u != "" {
		z, err := traces.NewZipkin(u)
		if err != nil {
			return err
		}
		svc := firstNonEmpty(cfg.Traces.Service, c.ctx.Target)
		c.deps.Traces = sources.NewTracesPoller(z, sources.TraceQuery{Service: svc, Lookback: 15 * time.Minute, Limit: 200},
			sources.WallClock{}, 3*time.Second, c.fwd.Send)
		c.deps.TracesBackend = z
	}
	if u := cfg.Logs.URL; u != "" {
		lc := cfg.Logs
		pw, err := secretFrom(os.Getenv("GAMEDAY_ES_PASSWORD"), firstNonEmpty(os.Getenv("GAMEDAY_ES_PASSWORD_FILE"), lc.PasswordFile))
		if err != nil {
			return fmt.Errorf("elasticsearch password: %w", err)
		}
		key, err := secretFrom(os.Getenv("GAMEDAY_ES_API_KEY"), firstNonEmpty(os.Getenv("GAMEDAY_ES_API_KEY_FILE"), lc.APIKeyFile))
		if err != nil {
			return fmt.Errorf("elasticsearch API key: %w", err)
		}
		f := lc.Fields
		es, err := logs.New(logs.Config{URL: u, Index: lc.Index, Username: firstNonEmpty(os.Getenv("GAMEDAY_ES_USER"), lc.Username),
			Password: pw, APIKey: key, CAFile: lc.CAFile, Settle: lc.Settle.Duration, Fields: logs.Fields{Timestamp: f.Timestamp, Message: f.Message,
				Namespace: f.Namespace, Pod: f.Pod, Container: f.Container, Level: f.Level, Msg: f.Msg, TraceID: f.TraceID, Tiebreaker: f.Tiebreaker}})
		if err != nil {
			return err
		}
		c.deps.Logs = sources.NewLogsPoller(es, sources.LogQuery{Namespace: c.ctx.Namespace, Limit: 500}, sources.WallClock{}, time.Second, c.fwd.Send)
		c.deps.LogsBackend = es
	}
	return nil
}

// secretFrom is a value given directly, or read from a file.
func secretFrom(v, file string) (string, error) {
	if v != "" || file == "" {
		return v, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// wireLoad gives the cockpit's b, B, +, - and HALT a real load engine on the configured targets.
func (c *cockpit) wireLoad(cfg *config.Config, env *actions.Env) error {
	if len(cfg.Load.Targets) == 0 {
		return nil // b says: no load target is configured
	}
	var targets []load.Target
	for _, t := range cfg.Load.Targets {
		h := http.Header{}
		for k, v := range t.Headers {
			h.Set(k, v)
		}
		targets = append(targets, load.Target{Name: t.Name, Method: t.Method, URL: t.URL, Header: h, Body: []byte(t.Body)})
	}
	e, err := load.New(load.Options{Targets: targets, MaxRate: cfg.Load.MaxRate, OnRun: c.cores.loadRun})
	if err != nil {
		return fmt.Errorf("config load.targets: %w", err)
	}
	env.Load = e
	return nil
}

// metricsBackend is Prometheus, given or discovered.
type metricsBackend interface {
	sources.MetricsBackend
	SetVars(prom.Vars)
}

// wireMetrics graphs from --prometheus-url, or from a Prometheus found in the cluster.
func (c *cockpit) wireMetrics(cfg *config.Config, client kubernetes.Interface, rc *rest.Config) error {
	pc := cfg.Metrics.Prometheus
	scrape := pc.ScrapeInterval.Duration
	var mb metricsBackend
	if pc.URL != "" {
		b, err := prom.New(prom.Config{URL: pc.URL, CAFile: pc.CAFile, ScrapeInterval: scrape,
			BearerToken: os.Getenv("GAMEDAY_PROMETHEUS_TOKEN"), BearerTokenFile: firstNonEmpty(os.Getenv("GAMEDAY_PROMETHEUS_TOKEN_FILE"), pc.TokenFile),
			Username: firstNonEmpty(os.Getenv("GAMEDAY_PROMETHEUS_USER"), pc.Username), Password: os.Getenv("GAMEDAY_PROMETHEUS_PASSWORD"),
			PasswordFile: firstNonEmpty(os.Getenv("GAMEDAY_PROMETHEUS_PASSWORD_FILE"), pc.PasswordFile)})
		if err != nil {
			return err
		}
		mb = b
	} else {
		mb = prom.DiscoverLater(context.Background(), client, rc, scrape)
	}
	mb.SetVars(prom.Vars{Namespace: c.ctx.Namespace, Workload: c.ctx.Target})
	panels := panelsFrom(cfg)
	c.deps.Panels = panels
	c.deps.Metrics = sources.NewMetricsPoller(mb, panels, sources.WallClock{}, cfg.Metrics.Refresh.Duration, cfg.Metrics.Window.Duration, c.fwd.Send)
	c.deps.MetricsName = mb.Name()
	poller := c.deps.Metrics
	c.deps.OnTarget = func(ns, target string) {
		mb.SetVars(prom.Vars{Namespace: ns, Workload: target})
		poller.Kick()
	}
	return nil
}

func firstNonEmpty(a ...string) string {
	for _, s := range a {
		if s != "" {
			return s
		}
	}
	return ""
}

// panelsFrom is the configured panels, or the defaults.
func panelsFrom(cfg *config.Config) []sources.Panel {
	if len(cfg.Metrics.Panels) == 0 {
		return sources.DefaultPanels()
	}
	out := make([]sources.Panel, 0, len(cfg.Metrics.Panels))
	for i, p := range cfg.Metrics.Panels {
		sp := sources.Panel{ID: fmt.Sprintf("panel-%d", i), Title: p.Title, Unit: p.Unit, Thresholds: p.Thresholds}
		for _, q := range p.Queries {
			sp.Queries = append(sp.Queries, sources.PanelQuery{Legend: q.Legend, Expr: q.Expr})
		}
		out = append(out, sp)
	}
	return out
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

// synced is called when the cluster source has sent its first full batch. The first sync ran on every
// core (thousands of objects to decode before the first full frame) and unpaced; from now on the
// cockpit watches on one core (unless load runs) and its watch connection is paced.
func (c *cockpit) synced() {
	c.cores.watching()
	c.pacer.Start()
}

// addKube starts the cluster source and lets `:ns` restart it on another namespace.
func (c *cockpit) addKube(client kubernetes.Interface, ns string, now func() time.Time) {
	var mu sync.Mutex
	var stop context.CancelFunc
	var parent context.Context
	start := func(ns string) {
		mu.Lock()
		defer mu.Unlock()
		if stop != nil {
			stop()
		}
		var sctx context.Context
		sctx, stop = context.WithCancel(parent)
		src := kube.New(client, c.fwd.Send, kube.Options{Namespace: ns, Now: now, OnSynced: c.synced})
		c.fwd.Go(sctx, "cluster", src.Run)
	}
	c.starters = append(c.starters, func(ctx context.Context) {
		mu.Lock()
		parent = ctx
		mu.Unlock()
		start(ns)
	})
	c.deps.SwitchNamespace = func(ns string) { go start(ns) }
}

// start runs the sources and the forwarder, delivering to send (the program's Send).
func (c *cockpit) start(ctx context.Context, send func(any)) {
	for _, s := range c.starters {
		s := s
		c.fwd.Go(ctx, "source", func(ctx context.Context) { s(ctx) })
	}
	if c.deps.Metrics != nil {
		c.fwd.Go(ctx, "metrics", c.deps.Metrics.Run)
	}
	if c.deps.Traces != nil {
		c.fwd.Go(ctx, "traces", c.deps.Traces.Run)
	}
	if c.deps.Logs != nil {
		c.fwd.Go(ctx, "logs", c.deps.Logs.Run)
	}
	go c.fwd.Run(ctx, send)
}

// run starts the sources, the forwarder and the program; on exit it stops the load and reverts
// everything injected, whatever way the program ended.
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
	p := tea.NewProgram(tui.New(c.ctx, c.deps), tea.WithContext(ctx), tea.WithoutRenderer(),
		tea.WithWindowSize(w, h), tea.WithColorProfile(profile), tea.WithFPS(1))
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

// onExit is HALT without the UI: faults must not outlive the cockpit.
func (c *cockpit) onExit() {
	env := c.deps.Env
	if (env.Load == nil || !env.Load.Status().Active) && c.deps.Injected.Len() == 0 {
		return // nothing to stop: keep the journal free of empty HALTs
	}
	if _, err := env.Halt(context.Background(), c.deps.Injected); err != nil {
		fmt.Fprintln(os.Stderr, "gameday: on exit: "+err.Error())
	}
}
