// Command gameday is a terminal cockpit for Kubernetes game days: watch a workload, its HPA, metrics,
// traces and logs, and act on it (kill pods, scale, send load, HALT) with safety rails.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/bounds"
	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/recording"
	"github.com/gamedaylab/gameday/themes"
)

// options are the root command's flags.
type options struct {
	scenario string
	out      string // where a --scenario run writes its files
	// runFile is the experiment a headless run executes (the recording's header names it).
	runFile string
	// allowProcess lets a Chaos Toolkit experiment's process activities run.
	allowProcess bool
	kube         *genericclioptions.ConfigFlags
	allNS        bool
	target       string
	demo         bool
	demoSpeed    float64
	demoSess     string
	seed         int64
	theme        string
	configPath   string
	readOnly     bool
	dryRun       bool
	arm          bool
	journal      string
	grace        int64
	revertTO     time.Duration
	logLevel     string
	traceFile    string
	cpuProfile   string
	memProfile   string
	promURL      string
	promCA       string
	zipkinURL    string
	jaegerURL    string
	esURL        string
	esIndex      string
	// record is the recording's file ("" for the default), noRecord turns it off, recordMax caps it.
	record    string
	noRecord  bool
	recordMax string
	// replay is the recording gameday replay plays (nil otherwise).
	replay *recording.Recording
}

// processStart is when the process started (the time to the first full frame is measured from it).
var processStart = time.Now()

func main() {
	if err := newRoot().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "gameday: "+err.Error())
		os.Exit(exitCode(err))
	}
}

// noArgs refuses arguments to a command that takes none; a word close to a subcommand gets a "did you
// mean" (gameday lod -> load).
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf(": did you mean %q?", s[0])
	}
	return usageError{fmt.Errorf("%s (see %s --help)", msg, cmd.CommandPath())}
}

func newRoot() *cobra.Command { return newRootWith(&options{}) }

// newRootWith builds the command around o, so tests can read the parsed options.
func newRootWith(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "gameday",
		Short: "A terminal cockpit for Kubernetes game days",
		Long: `gameday watches a workload (pods, Deployments, the HPA), its metrics, traces and logs in one
screen, and acts on it: kill pods, scale, send load bursts, HALT. Every action is checked against
safety rules (protected namespaces, --read-only, --dry-run, a minimum of ready replicas, production
contexts need --arm), confirmed, journaled and marked on the graphs.

Config file: ` + config.DefaultPath() + ` (every field optional; see docs/CONFIG.md).
Journal:     ` + config.DefaultJournalPath() + ` (JSON lines, one per action).`,
		Example: `  # Try it without a cluster: a simulated cluster that reacts to every key
  gameday --demo

  # Watch deploy/web in namespace shop of the current kube context
  gameday -n shop --target deploy/web

  # Rehearse safely: the API validates every action, nothing changes
  gameday --context staging -n shop --target deploy/web --dry-run

  # A production context (matching safety.productionContexts) needs --arm to act
  gameday --context prod-eu -n shop --target deploy/web --arm

  # Graphs, traces and logs from the cluster's own Prometheus, Zipkin and Elasticsearch/OpenSearch,
  # found through the apiserver (:backend in the cockpit lists what was found and tried)
  gameday -n shop --target deploy/web

  # The stateful-session lesson on the demo: sessions in Redis survive a kill (memory: they do not)
  gameday run --demo --demo-sessions redis examples/sessions-in-redis.yaml

  # Graphs from a given Prometheus (otherwise an in-cluster one is found through the apiserver)
  GAMEDAY_PROMETHEUS_TOKEN_FILE=/var/run/prom-token gameday -n shop --target deploy/web --prometheus-url https://prom.example:9090

  # An experiment your team already has, in the runbook (r shows it, N starts it, x HALTs and rolls back):
  # a gameday scenario, a Chaos Toolkit experiment, a Chaos Mesh file or Litmus ChaosEngines
  gameday -n shop --scenario chaos/terminate-pods.json

  # Projector-friendly colours, demo twice as fast
  gameday --demo --theme high-contrast --demo-speed 2

` + exitCodesHelp,
		Args:          noArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(cmd, o)
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%s (see gameday --help)", flagError(err))}
	})
	cmd.SuggestionsMinimumDistance = 2
	cmd.AddCommand(newLoadCmd(), newLoadWorkerCmd(), newValidateCmd(), newRunCmd(), newReportCmd(), newRevertCmd(), newMonkeyCmd(), newReplayCmd(), newSignalsCmd(), newExportCmd())
	f := cmd.Flags()
	addSessionFlags(cmd, o)
	f.StringVar(&o.scenario, "scenario", "", "present this scenario, Chaos Toolkit experiment, Chaos Mesh file or Litmus ChaosEngine in a runbook (r shows it, N starts the method and passes manual steps)")
	f.StringVar(&o.out, "out", "gameday-runs", "with --scenario: directory for the run's journal, JUnit XML and report, written when it ends")
	f.StringVar(&o.theme, "theme", "", "colour theme: "+strings.Join(themes.Names(), ", ")+" (NO_COLOR forces mono)")
	f.StringVar(&o.traceFile, "trace-frames", "", "benchmarks: write, for every pod change, when it reached the screen")
	_ = f.MarkHidden("trace-frames")
	f.StringVar(&o.cpuProfile, "cpuprofile", "", "benchmarks: write a CPU profile")
	_ = f.MarkHidden("cpuprofile")
	f.StringVar(&o.memProfile, "memprofile", "", "benchmarks: write a heap profile at exit")
	_ = f.MarkHidden("memprofile")
	return cmd
}

// addSessionFlags are the flags of everything that runs a session: the cockpit and gameday run.
func addSessionFlags(cmd *cobra.Command, o *options) {
	o.kube = genericclioptions.NewConfigFlags(true)
	f := cmd.Flags()
	o.kube.AddFlags(f)
	f.BoolVarP(&o.allNS, "all-namespaces", "A", false, "watch every namespace")
	f.StringVar(&o.target, "target", "", "the workload to act on, as deploy/NAME (or pick it with :target in the UI)")
	f.BoolVar(&o.demo, "demo", false, "run on the embedded simulated cluster (no cluster needed)")
	f.Var(bounds.FloatFlag{P: &o.demoSpeed, R: config.DemoSpeeds()}, "demo-speed", "simulated time per real second in --demo (default 1, from config demo.speed)")
	f.StringVar(&o.demoSess, "demo-sessions", "", "where --demo's app keeps user sessions: memory (lost with their pod) or redis (from config demo.sessions; default memory)")
	f.Int64Var(&o.seed, "seed", 0, "random seed of the simulated cluster (default 42, from config demo.seed)")
	f.StringVar(&o.configPath, "config", "", "config file (default "+config.DefaultPath()+")")
	f.BoolVar(&o.readOnly, "read-only", false, "watch only: every action is refused")
	f.BoolVar(&o.dryRun, "dry-run", false, "server-side dry run: the API validates actions, nothing changes")
	f.BoolVar(&o.allowProcess, "allow-process", false, "Chaos Toolkit experiments: run their process activities (bounded by their timeout, stopped by HALT and interrupts, output in the journal)")
	f.BoolVar(&o.arm, "arm", false, "allow actions on contexts matching safety.productionContexts")
	f.StringVar(&o.journal, "journal", "", "journal file (default "+config.DefaultJournalPath()+")")
	f.StringVar(&o.promURL, "prometheus-url", "", "Prometheus to graph from (default: find one in the cluster and use it through the apiserver proxy); token or basic auth from GAMEDAY_PROMETHEUS_TOKEN[_FILE], GAMEDAY_PROMETHEUS_USER, GAMEDAY_PROMETHEUS_PASSWORD[_FILE]")
	f.StringVar(&o.promCA, "prometheus-ca", "", "CA file to verify Prometheus' TLS certificate")
	f.StringVar(&o.zipkinURL, "zipkin-url", "", "Zipkin v2 API server for the Traces pane (e.g. http://zipkin:9411); default: a Zipkin or Jaeger found in the cluster (:backend lists it)")
	f.StringVar(&o.jaegerURL, "jaeger-url", "", "Jaeger query service for the Traces pane instead (e.g. http://jaeger-query:16686)")
	f.StringVar(&o.esURL, "es-url", "", "Elasticsearch-API server of the EFK stack for the Logs pane; auth from GAMEDAY_ES_USER, GAMEDAY_ES_PASSWORD[_FILE] or GAMEDAY_ES_API_KEY[_FILE]; default: one found in the cluster")
	f.StringVar(&o.esIndex, "es-index", "", "index pattern of container logs (default logstash-*)")
	f.StringVar(&o.record, "record", "", "record the session to this file (default: a new file in "+config.DefaultSessionsDir()+"; gameday replay FILE plays it)")
	f.BoolVar(&o.noRecord, "no-record", false, "do not record the session")
	f.StringVar(&o.recordMax, "record-max", "1Gi", "stop recording at this compressed size (e.g. 500Mi, 2Gi; 0: no cap)")
	f.Var(bounds.DurationFlag{P: &o.revertTO, S: bounds.Span{Min: time.Second, Max: 10 * time.Minute}}, "revert-timeout",
		"on a stop (q, Ctrl-C, SIGTERM, a run's end) load stops within 1 s, then HALT's reverts run within this in all (default 30s, safety.revertTimeout); a second Ctrl-C leaves at once and says what was not reverted")
	f.StringVar(&o.logLevel, "log-level", "info", "level of "+config.DefaultLogPath()+" (rotated at 10 MB, 3 kept): debug, info, warn, error or off")
	o.grace = -1
	f.Var(bounds.IntFlag{P: &o.grace, R: bounds.Count(-1, actions.MaxGrace, "seconds")}, "grace", "grace period in seconds for pod kills (-1: the pod's own; 0: kill at once)")
}

// loadConfig reads the config file and lets flags override it.
func loadConfig(cmd *cobra.Command, o *options) (config.Config, error) {
	path, explicit := config.DefaultPath(), false
	if o.configPath != "" {
		path, explicit = o.configPath, true
	}
	cfg, err := config.Read(path, explicit)
	if err != nil {
		return cfg, usageError{err} // a bad config file: nothing ran (exit 2)
	}
	fl := cmd.Flags()
	if o.theme != "" {
		if _, err := themes.Get(o.theme); err != nil {
			return cfg, usageError{fmt.Errorf("--theme: %w", err)}
		}
		cfg.Theme = o.theme
	}
	if fl.Changed("demo-speed") {
		cfg.Demo.Speed = o.demoSpeed
	}
	if fl.Changed("revert-timeout") {
		cfg.Safety.RevertTimeout = config.Duration{Duration: o.revertTO}
	}
	if fl.Changed("demo-sessions") {
		if o.demoSess != "memory" && o.demoSess != "redis" {
			return cfg, usageError{fmt.Errorf("--demo-sessions: want memory or redis, got %q", o.demoSess)}
		}
		cfg.Demo.Sessions = o.demoSess
	}
	if fl.Changed("seed") {
		cfg.Demo.Seed = o.seed
	}
	if o.readOnly {
		cfg.Safety.ReadOnly = true
	}
	if o.dryRun {
		cfg.Safety.DryRun = true
	}
	if o.journal != "" {
		cfg.Journal.Path = o.journal
	}
	if o.target != "" {
		cfg.Target = o.target
	}
	if o.promURL != "" {
		cfg.Metrics.Prometheus.URL = o.promURL
	}
	if o.promCA != "" {
		cfg.Metrics.Prometheus.CAFile = o.promCA
	}
	switch {
	case o.zipkinURL != "" && o.jaegerURL != "":
		return cfg, usageError{errors.New("--zipkin-url and --jaeger-url: the Traces pane reads one backend, give one of them")}
	case o.zipkinURL != "":
		cfg.Traces.URL, cfg.Traces.API = o.zipkinURL, "zipkin"
	case o.jaegerURL != "":
		cfg.Traces.URL, cfg.Traces.API = o.jaegerURL, "jaeger"
	}
	if o.esURL != "" {
		cfg.Logs.URL = o.esURL
	}
	if o.esIndex != "" {
		cfg.Logs.Index = o.esIndex
	}
	if err := cfg.Validate(); err != nil {
		return cfg, usageError{err}
	}
	return cfg, nil
}

// parseTarget accepts deploy/NAME, deployment/NAME or NAME.
func parseTarget(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	kind, name, found := strings.Cut(s, "/")
	if !found {
		return s, nil
	}
	switch kind {
	case "deploy", "deployment", "deployments":
		if name == "" || strings.Contains(name, "/") {
			break
		}
		return name, nil
	}
	return "", usageError{fmt.Errorf("--target %q: want deploy/NAME (only Deployments can be targets for now)", s)}
}

// flagInternals maps what the flag parser's errors say of Go's parsers to what the flag wants.
var flagInternals = []struct{ marker, want string }{
	{"strconv.ParseInt", "want an integer"},
	{"strconv.ParseUint", "want a whole number of 0 or more"},
	{"strconv.ParseFloat", "want a number"},
	{"strconv.ParseBool", "want true or false"},
	{"time: ", "want a duration such as 30s, 1m30s or 500ms"},
}

// flagError rewrites `invalid argument "abc" for "--workers" flag: strconv.ParseInt: parsing "abc":
// invalid syntax` as `--workers "abc": want an integer`; other flag errors pass as they are.
func flagError(err error) string {
	msg := err.Error()
	arg, rest, ok := strings.Cut(strings.TrimPrefix(msg, "invalid argument "), " for ")
	if !ok || !strings.HasPrefix(msg, "invalid argument ") {
		return msg
	}
	flag, detail, ok := strings.Cut(rest, " flag: ")
	if !ok {
		return msg
	}
	flag = strings.Trim(flag, `"`)
	for _, f := range flagInternals {
		if strings.Contains(detail, f.marker) {
			return fmt.Sprintf("%s %s: %s", flag, arg, f.want)
		}
	}
	return fmt.Sprintf("%s %s: %s", flag, arg, detail)
}
