// Package config is gameday's YAML configuration: every field optional, defaults filled in, and errors
// that name the file, the line, the field and what is allowed.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/gamedaylab/gameday/bounds"
	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/signals"
	"github.com/gamedaylab/gameday/themes"
	"github.com/gamedaylab/gameday/yamlfile"
)

// Config is the whole file. Flags override the fields they share.
type Config struct {
	Theme     string              `yaml:"theme"`
	Target    string              `yaml:"target"`
	Namespace string              `yaml:"namespace"`
	Safety    Safety              `yaml:"safety"`
	Load      Load                `yaml:"load"`
	Metrics   Metrics             `yaml:"metrics"`
	Keys      map[string][]string `yaml:"keys"`
	Traces    Traces              `yaml:"traces"`
	Logs      Logs                `yaml:"logs"`
	Journal   Journal             `yaml:"journal"`
	Demo      Demo                `yaml:"demo"`
	UI        UI                  `yaml:"ui"`
	Monkey    Monkey              `yaml:"monkey"`
	// Autoscaler is where the cluster-autoscaler's status is read.
	Autoscaler Autoscaler `yaml:"autoscaler"`
}

// Autoscaler locates the cluster-autoscaler's status ConfigMap.
type Autoscaler struct {
	// Namespace is the autoscaler's --namespace (default kube-system).
	Namespace string `yaml:"namespace"`
}

// Monkey is the chaos monkey's scope and pace (M, :monkey, gameday monkey).
type Monkey struct {
	// Namespaces it may act in (default: the session's).
	Namespaces []string `yaml:"namespaces"`
	// Selector is the pod label that opts a Deployment in; Targets are Deployments named outright.
	Selector string   `yaml:"selector"`
	Targets  []string `yaml:"targets"`
	// Kill is how many pods per kill: 1, N, N%, upto N%.
	Kill       string   `yaml:"kill"`
	MTBF       Duration `yaml:"mtbf"`
	MinAge     Duration `yaml:"minAge"`
	Window     string   `yaml:"window"`
	MaxPerHour int      `yaml:"maxPerHour"`
}

// Safety holds the guard rails every destructive action checks.
type Safety struct {
	ReadOnly bool `yaml:"readOnly"`
	DryRun   bool `yaml:"dryRun"`
	// ProtectedNamespaces are added to the built-in kube-system, kube-public and kube-node-lease.
	ProtectedNamespaces []string `yaml:"protectedNamespaces"`
	// AllowNamespaces lifts the protection of the named namespaces (an explicit opt-in).
	AllowNamespaces []string `yaml:"allowNamespaces"`
	// MinReadyReplicas: an action may not take the target below this many ready pods unless forced.
	MinReadyReplicas int `yaml:"minReadyReplicas"`
	// ProductionContexts are glob patterns of kube contexts that need --arm.
	ProductionContexts []string `yaml:"productionContexts"`
	// Heartbeat is how often a session renews its Lease; after three missed renewals its cordons and
	// faults are leftovers another gameday may revert.
	Heartbeat Duration `yaml:"heartbeat"`
	// RevertTimeout bounds all of HALT's reverts together, on a stop (q, Ctrl-C, SIGTERM, the end of
	// a run) as on the key; what is not reverted by then stays for `gameday revert` (default 30s).
	RevertTimeout Duration `yaml:"revertTimeout"`
}

// Load configures the load generator: where it may send and how hard.
type Load struct {
	Burst    Burst    `yaml:"burst"`
	RateStep float64  `yaml:"rateStep"`
	MaxRate  float64  `yaml:"maxRate"`
	Targets  []Target `yaml:"targets"`
	// TraceHeaders (default true) gives every request a new B3 trace id, so the logs of a failed
	// request can be found by it; false sends none.
	TraceHeaders *bool `yaml:"traceHeaders"`
}

// NoTraceHeaders reports whether load.traceHeaders is set to false.
func (l Load) NoTraceHeaders() bool { return l.TraceHeaders != nil && !*l.TraceHeaders }

// Burst is the default profile the `b` key starts.
type Burst struct {
	Rate     float64  `yaml:"rate"`
	Duration Duration `yaml:"duration"`
}

// Target is one HTTP request the load generator may send. Load goes only to configured targets.
type Target struct {
	Name    string            `yaml:"name"`
	Method  string            `yaml:"method"`
	URL     string            `yaml:"url"`
	Headers map[string]string `yaml:"headers"`
	Body    string            `yaml:"body"`
	// Checks are what every response must be, beyond answering: a 200 with the wrong body fails.
	Checks *Checks `yaml:"checks"`
	// Session sends the target's requests as logged-in virtual users, each with its own cookie jar,
	// and counts the sessions the app loses.
	Session *Session `yaml:"session"`
}

// Session of a load target: virtual users log in once (a POST to login, on the target's host) and
// send their cookies after; an answer with a lost status means the session is gone.
type Session struct {
	Login string `yaml:"login"`
	Users int    `yaml:"users"` // default 50
	Lost  []int  `yaml:"lost"`  // default [401]
}

// Checks of a load target's responses.
type Checks struct {
	Status       []int    `yaml:"status"` // allowed codes (default: 2xx and 3xx)
	BodyContains string   `yaml:"bodyContains"`
	JSONPath     string   `yaml:"jsonPath"` // gjson syntax, e.g. data.ok
	Equals       string   `yaml:"equals"`   // what jsonPath must give
	MaxLatency   Duration `yaml:"maxLatency"`
}

// Metrics configures the graphs.
type Metrics struct {
	Refresh    Duration   `yaml:"refresh"`
	Window     Duration   `yaml:"window"`
	Prometheus Prometheus `yaml:"prometheus"`
	// Panels replace the default graphs when set.
	Panels []Panel `yaml:"panels"`
}

// Prometheus is how to reach Prometheus. Without a URL, gameday looks for an in-cluster one and uses
// it through the apiserver's service proxy. Secrets come from files or the environment
// (GAMEDAY_PROMETHEUS_TOKEN, GAMEDAY_PROMETHEUS_PASSWORD), never from this file.
type Prometheus struct {
	URL            string   `yaml:"url"`
	CAFile         string   `yaml:"caFile"`
	TokenFile      string   `yaml:"tokenFile"`
	Username       string   `yaml:"username"`
	PasswordFile   string   `yaml:"passwordFile"`
	ScrapeInterval Duration `yaml:"scrapeInterval"`
}

// Panel is one graph: PromQL queries with $namespace, $workload and $interval templates.
type Panel struct {
	Title      string       `yaml:"title"`
	Unit       string       `yaml:"unit"`
	Thresholds []float64    `yaml:"thresholds"`
	Queries    []PanelQuery `yaml:"queries"`
}

// PanelQuery is one line of a panel: a PromQL query (legend may use {{label}}) or a signal of the
// target, read in whatever convention its series follow (gameday signals).
type PanelQuery struct {
	Legend string `yaml:"legend"`
	Expr   string `yaml:"expr"`
	Signal string `yaml:"signal" jsonschema:"enum=rate,enum=errors,enum=p50,enum=p90,enum=p99,enum=ready,enum=desired,enum=cpu,enum=memory,enum=restarts"`
}

// Units a panel may use.
var Units = []string{"req/s", "%", "s", "bytes", "count"}

// Traces is the trace backend: a Zipkin v2 API server (--zipkin-url) or Jaeger's query service
// (--jaeger-url).
type Traces struct {
	URL string `yaml:"url"`
	// API is what URL answers: zipkin (the default) or jaeger.
	API string `yaml:"api" jsonschema:"enum=zipkin,enum=jaeger"`
	// Service is the service whose traces are listed (default: the target's name).
	Service string `yaml:"service"`
}

// Logs is the Elasticsearch-API server of the EFK stack (--es-url). Credentials come from files or
// the environment (GAMEDAY_ES_PASSWORD, GAMEDAY_ES_API_KEY), never from this file.
type Logs struct {
	URL          string    `yaml:"url"`
	Index        string    `yaml:"index"` // logstash-* (Fluentd), fluent-bit, kubernetes-*...
	Username     string    `yaml:"username"`
	PasswordFile string    `yaml:"passwordFile"`
	APIKeyFile   string    `yaml:"apiKeyFile"`
	CAFile       string    `yaml:"caFile"`
	Fields       LogFields `yaml:"fields"`
	// Settle: lines are read once they are this old, so late-indexed lines are not skipped (5s).
	Settle Duration `yaml:"settle"`
}

// LogFields name the document fields (Fluent Bit's kubernetes filter by default).
type LogFields struct {
	Timestamp  string `yaml:"timestamp"`
	Message    string `yaml:"message"`
	Namespace  string `yaml:"namespace"`
	Pod        string `yaml:"pod"`
	Container  string `yaml:"container"`
	Level      string `yaml:"level"`
	Msg        string `yaml:"msg"`
	TraceID    string `yaml:"traceId"`
	Tiebreaker string `yaml:"tiebreaker"`
}

// Journal is where actions are recorded (JSON lines).
type Journal struct {
	Path string `yaml:"path"`
}

// Demo tunes the embedded simulated cluster.
type Demo struct {
	Seed  int64   `yaml:"seed"`
	Speed float64 `yaml:"speed"`
	// Sessions is where the simulated app keeps its users' sessions: memory (lost with the pod that
	// holds them) or redis (shared: nothing lost).
	Sessions string `yaml:"sessions"`
}

// UI holds presentation settings.
type UI struct {
	// Highlight is how long a pod that appeared or went away stays marked.
	Highlight Duration `yaml:"highlight"`
	// SteadyGate is what destructive keys do while a scenario's steady state does not hold (gameday
	// --scenario): warn in the confirm dialog, or refuse.
	SteadyGate string `yaml:"steadyGate"`
}

// Duration is a time.Duration written as "30s" or "5m" in YAML.
type Duration struct{ time.Duration }

// UnmarshalYAML parses Go duration syntax.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: want a duration like 30s or 5m, got %q", n.Line, n.Value)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: want a duration like 30s or 5m, got %q", n.Line, s)
	}
	d.Duration = v
	return nil
}

// MarshalYAML writes the duration back in Go syntax.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// Default returns the configuration used when no file sets anything.
func Default() Config {
	return Config{
		Theme:  "dark",
		Target: "",
		Safety: Safety{
			MinReadyReplicas:   1,
			ProductionContexts: []string{"*prod*", "*production*"},
			Heartbeat:          Duration{10 * time.Second},
			RevertTimeout:      Duration{30 * time.Second},
		},
		Autoscaler: Autoscaler{Namespace: "kube-system"},
		Monkey: Monkey{Selector: "gameday.dev/monkey=enabled", Kill: "1", MTBF: Duration{2 * time.Minute},
			MinAge: Duration{time.Minute}, MaxPerHour: 30},
		Load: Load{
			Burst:    Burst{Rate: 200, Duration: Duration{60 * time.Second}},
			RateStep: 50,
			MaxRate:  5000,
		},
		Metrics: Metrics{Refresh: Duration{5 * time.Second}, Window: Duration{5 * time.Minute}},
		Demo:    Demo{Seed: 42, Speed: 1},
		UI:      UI{Highlight: Duration{5 * time.Second}, SteadyGate: "warn"},
	}
}

// builtinProtected are the namespaces no action touches unless explicitly allowed.
var builtinProtected = []string{"kube-system", "kube-public", "kube-node-lease"}

// ProtectedSet is the built-in list plus the configured one, minus explicitly allowed ones.
func (s Safety) ProtectedSet() map[string]bool {
	out := map[string]bool{}
	for _, n := range append(append([]string{}, builtinProtected...), s.ProtectedNamespaces...) {
		out[n] = true
	}
	for _, n := range s.AllowNamespaces {
		delete(out, n)
	}
	return out
}

// DefaultPath is $XDG_CONFIG_HOME/gameday/config.yaml (or ~/.config/gameday/config.yaml).
func DefaultPath() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return filepath.Join(".config", "gameday", "config.yaml")
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "gameday", "config.yaml")
}

// DefaultJournalPath is under $XDG_STATE_HOME (or ~/.local/state): a journal is state, not config.
func DefaultJournalPath() string { return filepath.Join(StateDir(), "journal.jsonl") }

// StateDir is gameday's state directory: $XDG_STATE_HOME/gameday (or ~/.local/state/gameday).
func StateDir() string {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return filepath.Join(".local", "state", "gameday")
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "gameday")
}

// DefaultSessionsDir holds the sessions' recordings (gameday replay, gameday report).
func DefaultSessionsDir() string { return filepath.Join(StateDir(), "sessions") }

// DefaultLogPath is gameday's operational log: backend errors, actions, refusals, reverts and HALT
// of every session, rotated.
func DefaultLogPath() string { return filepath.Join(StateDir(), "gameday.log") }

// DefaultRevertDir holds the local copy of each session's revert records.
func DefaultRevertDir() string { return filepath.Join(StateDir(), "reverts") }

// Read reads the file at path over the defaults. A missing file is fine when it is the default path
// (explicit=false); a file the user named must exist.
func Read(path string, explicit bool) (Config, error) {
	cfg := Default()
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && !explicit {
			return cfg, nil
		}
		return cfg, fmt.Errorf("config %s: %w", path, err)
	}
	if err := Parse(data, &cfg); err != nil {
		return cfg, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// Parse decodes YAML strictly over cfg and validates the result. Every error names the line, the
// field (as a path: load.burst.rate) and what is allowed, never a Go type.
func Parse(data []byte, cfg *Config) error {
	idx, err := yamlfile.Decode(data, cfg, configTypes...)
	if err != nil {
		return err
	}
	if !idx.Has("load.burst.rate") && cfg.Load.MaxRate > 0 && cfg.Load.Burst.Rate > cfg.Load.MaxRate {
		// The default burst under a lower cap: the cap wins (it refused headless load runs that
		// never use the burst).
		cfg.Load.Burst.Rate = cfg.Load.MaxRate
	}
	if err := cfg.Validate(); err != nil {
		return idx.WithLines(err)
	}
	return nil
}

// configTypes are the file's structs, whose fields an error lists.
var configTypes = []any{Config{}, Safety{}, Monkey{}, Autoscaler{}, Load{}, Burst{}, Target{}, Checks{}, Session{}, Metrics{}, Prometheus{}, Panel{}, PanelQuery{}, Traces{}, Logs{}, LogFields{}, Journal{}, Demo{}, UI{}}

// DemoSpeeds is the range of the demo's speed: simulated seconds per real second.
func DemoSpeeds() bounds.Range { return bounds.Above(0, 100, "") }

// ExpandHome turns a leading ~/ into the home directory (paths in YAML are written that way).
func ExpandHome(p string) string {
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[2:])
		}
	}
	return p
}

// Validate checks values that YAML types alone cannot.
func (c *Config) Validate() error {
	c.Journal.Path = ExpandHome(c.Journal.Path)
	var errs []string
	bad := func(field, format string, a ...any) {
		errs = append(errs, fmt.Sprintf("%s: %s", field, fmt.Sprintf(format, a...)))
	}
	if _, err := themes.Get(c.Theme); err != nil {
		bad("theme", "%v", err)
	}
	check := func(field string, err error) {
		if err != nil {
			bad(field, "%v", err)
		}
	}
	check("safety.minReadyReplicas", bounds.Count(0, 100000, "").CheckInt(int64(c.Safety.MinReadyReplicas)))
	if err := (bounds.Span{Min: time.Second, Max: 5 * time.Minute}).Check(c.Safety.Heartbeat.Duration); err != nil {
		bad("safety.heartbeat", "%v (a session renews its Lease this often)", err)
	}
	for _, p := range c.Safety.ProductionContexts {
		if _, err := filepath.Match(p, "x"); err != nil {
			bad("safety.productionContexts", "bad glob %q: %v", p, err)
		}
	}
	rates := load.Rates()
	check("safety.revertTimeout", bounds.Span{Min: time.Second, Max: 10 * time.Minute}.Check(c.Safety.RevertTimeout.Duration))
	check("load.burst.rate", rates.Check(c.Load.Burst.Rate))
	check("load.burst.duration", bounds.Span{MinOpen: true, Max: 24 * time.Hour}.Check(c.Load.Burst.Duration.Duration))
	check("load.rateStep", rates.Check(c.Load.RateStep))
	if err := rates.Check(c.Load.MaxRate); err != nil {
		bad("load.maxRate", "%v", err)
	} else if c.Load.Burst.Rate > c.Load.MaxRate {
		bad("load.burst.rate", "%g is above load.maxRate %g", c.Load.Burst.Rate, c.Load.MaxRate)
	}
	check("monkey.mtbf", bounds.Span{Min: 100 * time.Millisecond}.Check(c.Monkey.MTBF.Duration))
	check("monkey.minAge", bounds.Span{}.Check(c.Monkey.MinAge.Duration))
	check("monkey.maxPerHour", bounds.Count(0, 3600, "kills (0: no cap)").CheckInt(int64(c.Monkey.MaxPerHour)))
	errs = append(errs, ValidateTargets("load.targets", c.Load.Targets)...)
	if se := c.Demo.Sessions; se != "" && se != "memory" && se != "redis" {
		bad("demo.sessions", "want memory or redis, got %q", se)
	}
	if g := c.UI.SteadyGate; g != "warn" && g != "refuse" {
		bad("ui.steadyGate", "want warn or refuse, got %q", g)
	}
	check("metrics.refresh", bounds.Span{Min: 500 * time.Millisecond, Max: time.Hour}.Check(c.Metrics.Refresh.Duration))
	check("metrics.window", bounds.Span{Min: time.Minute, Max: 30 * 24 * time.Hour}.Check(c.Metrics.Window.Duration))
	check("metrics.prometheus.scrapeInterval", bounds.Span{Max: time.Hour}.Check(c.Metrics.Prometheus.ScrapeInterval.Duration))
	check("logs.settle", bounds.Span{Max: time.Hour}.Check(c.Logs.Settle.Duration))
	if u := c.Metrics.Prometheus.URL; u != "" && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		bad("metrics.prometheus.url", "want an http:// or https:// URL, got %q", u)
	}
	for field, u := range map[string]string{"traces.url": c.Traces.URL, "logs.url": c.Logs.URL} {
		if u != "" && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			bad(field, "want an http:// or https:// URL, got %q", u)
		}
	}
	if a := c.Traces.API; a != "" && a != "zipkin" && a != "jaeger" {
		bad("traces.api", "%q is not a trace API (allowed: zipkin, jaeger)", a)
	}
	for i, p := range c.Metrics.Panels {
		f := fmt.Sprintf("metrics.panels[%d]", i)
		if strings.TrimSpace(p.Title) == "" {
			bad(f+".title", "every panel needs a title")
		}
		if !slices.Contains(Units, p.Unit) {
			bad(f+".unit", "%q is not a unit (allowed: %s)", p.Unit, strings.Join(Units, ", "))
		}
		if len(p.Queries) == 0 {
			bad(f+".queries", "give at least one {legend, expr} or {legend, signal}")
		}
		for j, q := range p.Queries {
			fq := fmt.Sprintf("%s.queries[%d]", f, j)
			switch {
			case q.Signal != "" && q.Expr != "":
				bad(fq, "give expr or signal, not both")
			case q.Signal != "":
				if _, err := signals.Parse(q.Signal); err != nil {
					bad(fq+".signal", "%v", err)
				}
			case strings.TrimSpace(q.Expr) == "":
				bad(fq+".expr", "empty PromQL (or name a signal: signal: p99)")
			}
		}
	}
	check("demo.speed", DemoSpeeds().Check(c.Demo.Speed))
	check("ui.highlight", bounds.Span{Max: time.Hour}.Check(c.UI.Highlight.Duration))
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// ValidateTargets checks load targets (the config's, or a scenario's under field) as
// "field: what is wrong" lines.
func ValidateTargets(field string, ts []Target) []string {
	var errs []string
	bad := func(field, format string, a ...any) {
		errs = append(errs, fmt.Sprintf("%s: %s", field, fmt.Sprintf(format, a...)))
	}
	for i, t := range ts {
		if !strings.HasPrefix(t.URL, "http://") && !strings.HasPrefix(t.URL, "https://") {
			bad(fmt.Sprintf(field+"[%d].url", i), "want an http:// or https:// URL, got %q", t.URL)
		}
		if se := t.Session; se != nil {
			f := fmt.Sprintf(field+"[%d].session", i)
			lu, err := url.Parse(se.Login)
			tu, terr := url.Parse(t.URL)
			switch {
			case err != nil || (lu.Scheme != "http" && lu.Scheme != "https") || lu.Host == "":
				bad(f+".login", "want the login URL (http:// or https://), got %q", se.Login)
			case terr == nil && !strings.EqualFold(lu.Host, tu.Host):
				bad(f+".login", "%s is not on the target's host %s: load goes only to configured targets", se.Login, tu.Host)
			}
			if se.Users < 0 || se.Users > 100000 { // 0: the default
				bad(f+".users", "want 1 to 100000 virtual users (default 50), got %d", se.Users)
			}
			for _, code := range se.Lost {
				if code < 100 || code > 599 {
					bad(f+".lost", "%d is not an HTTP status (100-599)", code)
				}
			}
		}
		if c := t.Checks; c != nil {
			if err := (bounds.Span{Max: time.Hour}).Check(c.MaxLatency.Duration); err != nil {
				bad(fmt.Sprintf(field+"[%d].checks.maxLatency", i), "%v", err)
			}
			if (c.JSONPath == "") != (c.Equals == "") {
				bad(fmt.Sprintf(field+"[%d].checks", i), "jsonPath and equals go together (the value at the path must equal it)")
			}
			for _, code := range c.Status {
				if code < 100 || code > 599 {
					bad(fmt.Sprintf(field+"[%d].checks.status", i), "%d is not an HTTP status (100-599)", code)
				}
			}
		}
	}
	return errs
}
