package session

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/engines"

	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/load/engine"
	"github.com/gamedaylab/gameday/signals"
	"github.com/gamedaylab/gameday/sim"
	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/sources/elasticsearch"
	"github.com/gamedaylab/gameday/sources/jaeger"
	"github.com/gamedaylab/gameday/sources/kube"
	"github.com/gamedaylab/gameday/sources/prometheus"
	"github.com/gamedaylab/gameday/sources/tracing"
	"github.com/gamedaylab/gameday/sources/zipkin"
)

// Kube is a real cluster: cmd/gameday resolves the kubeconfig (flags, context, namespace) into this.
type Kube struct {
	Rest      *rest.Config
	Context   string
	Namespace string
	// Pacer paces the informers' connection once the first sync is done (nil: unpaced).
	Pacer *kube.Pacer
	// Getenv reads the backends' credentials (GAMEDAY_ES_PASSWORD, ...); default os.Getenv.
	Getenv func(string) string
}

func (s *Session) buildDemo() {
	cfg := s.opts.Config
	w := sim.New(sim.Options{Seed: cfg.Demo.Seed, Speed: cfg.Demo.Speed, MaxLoadRate: cfg.Load.MaxRate, Start: s.opts.DemoStart, Sessions: cfg.Demo.Sessions,
		MaxLatency: maxLatencyCheck(cfg.Load.Targets)})
	s.Sim, s.Clock, s.KubeContext, s.namespace = w, w, "gameday-demo", sim.Namespace
	if s.target == "" {
		s.target = sim.Target
	}
	s.Env.Client, s.Env.Now, s.Env.Load = w.Client(), w.Now, w.Load()
	s.Env.SetSeed(cfg.Demo.Seed)
	refresh := min(cfg.Metrics.Refresh.Duration, 2*time.Second)
	s.Panels = sources.DefaultPanels()
	s.Metrics = sources.NewMetricsPoller(w.Metrics(), s.Panels, w, refresh, cfg.Metrics.Window.Duration, s.send)
	s.Traces = sources.NewTracesPoller(w.Traces(), sources.TraceQuery{Service: s.target, Lookback: 15 * time.Minute, Limit: 200}, w, 2*time.Second, s.send)
	s.Logs = sources.NewLogsPoller(w.Logs(), sources.LogQuery{Namespace: sim.Namespace, Limit: 500}, w, 500*time.Millisecond, s.send)
	s.MetricsName, s.MetricsBackend, s.TracesBackend, s.LogsBackend = "simulation", w.Metrics(), w.Traces(), w.Logs()
	s.starters = append(s.starters, w.Run)
	s.watch, s.watchNow, s.onSynced = w.Client(), w.Now, s.opts.OnSynced
	w.SetMetricsScope(s.namespace, s.target)
	s.onTarget = func(ns, target string) {
		w.SetMetricsScope(ns, target)
		s.Metrics.Kick()
	}
}

func (s *Session) buildKube() error {
	k := s.opts.Kube
	if k == nil || k.Rest == nil {
		return fmt.Errorf("session: no cluster (give a kubeconfig, or use the demo)")
	}
	if k.Getenv == nil {
		k.Getenv = os.Getenv
	}
	rc := rest.CopyConfig(k.Rest)
	rc.UserAgent = "gameday"
	// Protobuf decodes several times cheaper than JSON: it is most of the CPU of watching 5,000 pods.
	rc.ContentType = "application/vnd.kubernetes.protobuf"
	rc.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	allowRate(rc)
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return fmt.Errorf("kubernetes client: %w", err)
	}
	// The informers have their own connection, paced once synced, and decode through a client that
	// drops what no pane shows; actions use client, whose requests are never held back.
	pacer := k.Pacer
	if pacer == nil {
		pacer = kube.NewPacer(0)
	}
	watch, err := kube.WatchClient(rc, pacer)
	if err != nil {
		return err
	}
	s.onSynced = func() {
		pacer.Start()
		if s.opts.OnSynced != nil {
			s.opts.OnSynced()
		}
	}
	s.Clock, s.KubeContext, s.namespace = sources.WallClock{}, k.Context, k.Namespace
	s.Env.Client = client
	if err := s.buildMesh(k.Rest); err != nil {
		return err
	}
	s.watch, s.watchNow = watch, time.Now
	if err := s.buildLoad(); err != nil {
		return err
	}
	if err := s.buildSignals(client, rc); err != nil {
		return err
	}
	return s.buildMetrics(client, rc)
}

// allowRate lifts client-go's own default of 5 requests/s in bursts of 10, which queued a HALT or a
// reaper's pass behind the engines' listing (one List per Chaos Mesh kind every 5 s) for seconds,
// and monkey evictions past their timeout, to kubectl's 50/s in bursts of 300. The apiserver's own
// flow control still holds; a --request-timeout or an explicit QPS is kept.
func allowRate(rc *rest.Config) {
	if rc.QPS == 0 {
		rc.QPS, rc.Burst = 50, 300
	}
}

// buildMesh reaches Istio's VirtualServices when the cluster serves them: custom resources have no
// protobuf encoding, so this client speaks JSON.
func (s *Session) buildMesh(rc *rest.Config) error {
	jc := rest.CopyConfig(rc)
	jc.UserAgent = "gameday"
	allowRate(jc)
	dyn, err := dynamic.NewForConfig(jc)
	if err != nil {
		return fmt.Errorf("kubernetes dynamic client: %w", err)
	}
	s.dyn = dyn
	s.Env.Engines = &engines.Client{Dyn: dyn, Discovery: s.Env.Client.Discovery(), Scope: s.Namespace}
	if gvr, ok := kube.VirtualServiceResource(s.Env.Client.Discovery()); ok {
		s.Env.Mesh = &actions.Mesh{Client: dyn, VS: gvr}
	}
	return nil
}

// buildLoad gives b, B, +, - and HALT a real load engine on the configured targets.
func (s *Session) buildLoad() error {
	cfg := s.opts.Config
	if len(cfg.Load.Targets) == 0 {
		return nil // b says: no load target is configured
	}
	var targets []engine.Target
	for _, t := range cfg.Load.Targets {
		h := http.Header{}
		for k, v := range t.Headers {
			h.Set(k, v)
		}
		targets = append(targets, engine.Target{Name: t.Name, Method: t.Method, URL: t.URL, Header: h, Body: []byte(t.Body), Check: EngineCheck(t.Checks), Session: EngineSession(t.Session)})
	}
	e, err := engine.New(engine.Options{Targets: targets, MaxRate: cfg.Load.MaxRate, OnRun: s.opts.LoadOnRun, NoTraceHeaders: cfg.Load.NoTraceHeaders()})
	if err != nil {
		return fmt.Errorf("config load.targets: %w", err)
	}
	s.Env.Load = e
	return nil
}

// EngineSession is a config target's session as the engine runs it.
func EngineSession(s *config.Session) *engine.Session {
	if s == nil {
		return nil
	}
	return &engine.Session{Login: s.Login, Users: s.Users, Lost: append([]int(nil), s.Lost...)}
}

// EngineCheck is a config target's checks as the engine runs them.
func EngineCheck(c *config.Checks) *engine.Check {
	if c == nil {
		return nil
	}
	return &engine.Check{Status: c.Status, BodyContains: c.BodyContains, JSONPath: c.JSONPath, Equals: c.Equals, MaxLatency: c.MaxLatency.Duration}
}

// buildSignals connects the Traces pane to Zipkin and the Logs pane to Elasticsearch: the configured
// ones, or ones found in the cluster.
func (s *Session) buildSignals(client kubernetes.Interface, rc *rest.Config) error {
	cfg, env := s.opts.Config, s.opts.Kube.Getenv
	var tb sources.TraceBackend
	switch u := cfg.Traces.URL; {
	case u != "" && cfg.Traces.API == "jaeger":
		j, err := jaeger.New(u)
		if err != nil {
			return err
		}
		tb = j
	case u != "":
		z, err := zipkin.NewZipkin(u)
		if err != nil {
			return err
		}
		tb = z
	default:
		tb = tracing.DiscoverLater(context.Background(), client, rc)
	}
	svc := firstNonEmpty(cfg.Traces.Service, s.target)
	s.Traces = sources.NewTracesPoller(tb, sources.TraceQuery{Service: svc, Lookback: 15 * time.Minute, Limit: 200},
		s.Clock, 3*time.Second, s.send)
	s.TracesBackend = tb
	{
		lc := cfg.Logs
		pw, err := secretFrom(env("GAMEDAY_ES_PASSWORD"), firstNonEmpty(env("GAMEDAY_ES_PASSWORD_FILE"), lc.PasswordFile))
		if err != nil {
			return fmt.Errorf("elasticsearch password: %w", err)
		}
		key, err := secretFrom(env("GAMEDAY_ES_API_KEY"), firstNonEmpty(env("GAMEDAY_ES_API_KEY_FILE"), lc.APIKeyFile))
		if err != nil {
			return fmt.Errorf("elasticsearch API key: %w", err)
		}
		f := lc.Fields
		ec := elasticsearch.Config{URL: lc.URL, Index: lc.Index, Username: firstNonEmpty(env("GAMEDAY_ES_USER"), lc.Username),
			Password: pw, APIKey: key, CAFile: lc.CAFile, Settle: lc.Settle.Duration, Fields: elasticsearch.Fields{Timestamp: f.Timestamp, Message: f.Message,
				Namespace: f.Namespace, Pod: f.Pod, Container: f.Container, Level: f.Level, Msg: f.Msg, TraceID: f.TraceID, Tiebreaker: f.Tiebreaker}}
		var lb sources.LogBackend
		if lc.URL != "" {
			es, err := elasticsearch.New(ec)
			if err != nil {
				return err
			}
			lb = es
		} else {
			lb = elasticsearch.DiscoverLater(context.Background(), client, rc, ec)
		}
		s.Logs = sources.NewLogsPoller(lb, sources.LogQuery{Namespace: s.namespace, Limit: 500}, s.Clock, time.Second, s.send)
		s.LogsBackend = lb
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

// metricsBackend is Prometheus, given or discovered.
type metricsBackend interface {
	sources.MetricsBackend
	SetVars(prometheus.Vars)
}

// buildMetrics graphs from the configured Prometheus, or from one found in the cluster.
func (s *Session) buildMetrics(client kubernetes.Interface, rc *rest.Config) error {
	cfg, env := s.opts.Config, s.opts.Kube.Getenv
	pc := cfg.Metrics.Prometheus
	scrape := pc.ScrapeInterval.Duration
	var mb metricsBackend
	if pc.URL != "" {
		b, err := prometheus.New(prometheus.Config{URL: pc.URL, CAFile: pc.CAFile, ScrapeInterval: scrape,
			BearerToken: env("GAMEDAY_PROMETHEUS_TOKEN"), BearerTokenFile: firstNonEmpty(env("GAMEDAY_PROMETHEUS_TOKEN_FILE"), pc.TokenFile),
			Username: firstNonEmpty(env("GAMEDAY_PROMETHEUS_USER"), pc.Username), Password: env("GAMEDAY_PROMETHEUS_PASSWORD"),
			PasswordFile: firstNonEmpty(env("GAMEDAY_PROMETHEUS_PASSWORD_FILE"), pc.PasswordFile)})
		if err != nil {
			return err
		}
		mb = b
	} else {
		mb = prometheus.DiscoverLater(context.Background(), client, rc, scrape)
	}
	mb.SetVars(prometheus.Vars{Namespace: s.namespace, Workload: s.target})
	s.Panels = PanelsFrom(cfg)
	s.Metrics = sources.NewMetricsPoller(mb, s.Panels, s.Clock, cfg.Metrics.Refresh.Duration, cfg.Metrics.Window.Duration, s.send)
	s.MetricsName, s.MetricsBackend = mb.Name(), mb
	poller := s.Metrics
	s.onTarget = func(ns, target string) {
		mb.SetVars(prometheus.Vars{Namespace: ns, Workload: target})
		poller.Kick()
	}
	return nil
}

// PanelsFrom is the configured panels, or the defaults; a line naming a signal waits for detection.
func PanelsFrom(cfg *config.Config) []sources.Panel {
	if len(cfg.Metrics.Panels) == 0 {
		return sources.DefaultPanels()
	}
	return sources.ResolveSignals(configuredPanels(cfg), nil)
}

// configuredPanels are the config's panels as written (signal lines unresolved).
func configuredPanels(cfg *config.Config) []sources.Panel {
	out := make([]sources.Panel, 0, len(cfg.Metrics.Panels))
	for i, p := range cfg.Metrics.Panels {
		sp := sources.Panel{ID: fmt.Sprintf("panel-%d", i), Title: p.Title, Unit: p.Unit, Thresholds: p.Thresholds}
		for _, q := range p.Queries {
			sp.Queries = append(sp.Queries, sources.PanelQuery{Legend: q.Legend, Expr: q.Expr, Signal: signals.Name(q.Signal)})
		}
		out = append(out, sp)
	}
	return out
}

func firstNonEmpty(a ...string) string {
	for _, s := range a {
		if s != "" {
			return s
		}
	}
	return ""
}

// maxLatencyCheck is the tightest latency check of the load targets (0: none): the one the
// simulated load can fail.
func maxLatencyCheck(ts []config.Target) time.Duration {
	var d time.Duration
	for _, t := range ts {
		if c := t.Checks; c != nil && c.MaxLatency.Duration > 0 && (d == 0 || c.MaxLatency.Duration < d) {
			d = c.MaxLatency.Duration
		}
	}
	return d
}
