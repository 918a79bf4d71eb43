package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/gamedaylab/gameday/bounds"
	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/load/engine"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/session"
)

// loadOptions are the flags of `gameday load` and `gameday load-worker`.
type loadOptions struct {
	rate       float64
	duration   time.Duration
	profile    string
	method     string
	headers    []string
	body       string
	timeout    time.Duration
	maxWorkers int
	maxRate    float64
	output     string
	maxP99     time.Duration
	minSuccess string
	configPath string
	// checks of every response
	checkStatus  []int
	checkBody    string
	checkJSON    string
	checkLatency time.Duration
	// distributed
	arm        bool
	dryRun     bool
	workers    int
	image      string
	kube       *genericclioptions.ConfigFlags
	result     string
	namespace  string
	cpuProfile string
}

func newLoadCmd() *cobra.Command {
	o := &loadOptions{kube: genericclioptions.NewConfigFlags(true)}
	cmd := &cobra.Command{
		Use:   "load [flags] URL...",
		Short: "Send open-loop HTTP load headless, with a report and pass/fail thresholds (for CI)",
		Long: `load sends requests on a schedule whether or not earlier ones returned (open loop), measures
latency from each request's intended send time (no coordinated omission), and prints a report.
The report also gives latency from the actual send ("from send", serviceLatency in JSON), which
is what vegeta and k6 report; --max-p99 checks the intended-time p99. Load goes only to configured targets: when the config lists load.targets, every URL must be one of
them. With --workers it runs as an Indexed Job of load workers in the cluster and merges their results.`,
		Example: `  # 200 requests/s for 30 s, fail the run if p99 > 50 ms or success < 99.9 %
  gameday load --rate 200 --duration 30s --max-p99 50ms --min-success 99.9% http://127.0.0.1:8080/api/work

  # a ramp from 0 to 500 requests/s over 2 minutes, JSON for CI
  gameday load --duration 2m --profile ramp:0-500 --output json http://127.0.0.1:8080/

  # spread 3,000 requests/s over 6 worker pods in namespace loadtest
  gameday load --workers 6 -n loadtest --rate 3000 --duration 5m http://web.shop.svc:8080/

` + exitCodesHelp,
		Args:          cobra.MinimumNArgs(0),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLoad(cmd, o, args, false)
		},
	}
	addLoadFlags(cmd, o)
	f := cmd.Flags()
	f.IntVar(&o.workers, "workers", 0, "send from N pods (an Indexed Job) in the cluster and merge their results; pods, not concurrency (see --max-workers)")
	f.StringVar(&o.image, "image", "ghcr.io/gamedaylab/gameday:latest", "the worker image (built from deploy/Dockerfile)")
	f.BoolVar(&o.arm, "arm", false, "with --workers: allow a context matching safety.productionContexts")
	f.BoolVar(&o.dryRun, "dry-run", false, "with --workers: have the apiserver validate the worker Job, start nothing")
	o.kube.AddFlags(f)
	return cmd
}

func newLoadWorkerCmd() *cobra.Command {
	o := &loadOptions{}
	cmd := &cobra.Command{
		Use:           "load-worker [flags] URL...",
		Short:         "One worker of a distributed load (started by gameday load --workers); prints its result as JSON",
		Hidden:        true,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLoad(cmd, o, args, true)
		},
	}
	addLoadFlags(cmd, o)
	cmd.Flags().StringVar(&o.result, "result-file", "/dev/termination-log", "where to write the result for the coordinator")
	return cmd
}

func addLoadFlags(cmd *cobra.Command, o *loadOptions) {
	f := cmd.Flags()
	o.rate = 50
	f.Var(bounds.FloatFlag{P: &o.rate, R: load.Rates()}, "rate", "requests per second of the constant profile (a shaped --profile such as ramp:0-500 sets its own rates)")
	f.DurationVar(&o.duration, "duration", 30*time.Second, "how long (0: until interrupted)")
	f.StringVar(&o.profile, "profile", "constant", "constant, ramp:FROM-TO, step:FROM-TO[/STEPS], sine:LOW-HIGH[/PERIOD], spike:BASE-PEAK")
	f.StringVar(&o.method, "method", "GET", "HTTP method")
	f.StringArrayVarP(&o.headers, "header", "H", nil, "request header \"Name: value\" (repeatable)")
	f.StringVar(&o.body, "body", "", "request body, or @FILE")
	f.DurationVar(&o.timeout, "timeout", 10*time.Second, "per-request timeout")
	f.IntVar(&o.maxWorkers, "max-workers", 4096, "most requests in flight at once: concurrency, as vegeta's -max-workers (not --workers, which is pods)")
	f.Var(bounds.FloatFlag{P: &o.maxRate, R: bounds.Between(0, load.MaxRate, "requests/s")}, "max-rate", "refuse profiles above this rate (default: load.maxRate of the config)")
	f.StringVarP(&o.output, "output", "o", "text", "report format: text or json")
	f.DurationVar(&o.maxP99, "max-p99", 0, "fail (exit 3) when p99 latency is above this")
	f.StringVar(&o.minSuccess, "min-success", "", "fail (exit 3) when the success ratio is below this (0.999 or 99.9%)")
	f.StringVar(&o.configPath, "config", "", "config file (default "+config.DefaultPath()+")")
	f.IntSliceVar(&o.checkStatus, "check-status", nil, "every response must have one of these codes (e.g. 200,201); a failed check is a failed request")
	f.StringVar(&o.checkBody, "check-body", "", "every response body must contain this text")
	f.StringVar(&o.checkJSON, "check-json", "", "PATH=VALUE: the JSON body at PATH (gjson syntax, e.g. data.ok) must equal VALUE")
	f.DurationVar(&o.checkLatency, "check-latency", 0, "every response must come within this (from its intended send time)")
	f.StringVar(&o.cpuProfile, "cpuprofile", "", "benchmarks: write a CPU profile")
	_ = f.MarkHidden("cpuprofile")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%s (see gameday %s --help)", flagError(err), cmd.Name())}
	})
}

func parseSuccess(s string) (float64, error) {
	if s == "" {
		return 0, nil
	}
	// A ratio, or a percentage with its sign: 99.9 without one is refused, not guessed at.
	if pct, ok := strings.CutSuffix(s, "%"); ok {
		v, err := bounds.Above(0, 100, "%").Parse(pct)
		if err != nil {
			return 0, fmt.Errorf("--min-success %q: %w", s, err)
		}
		return v / 100, nil
	}
	v, err := bounds.Above(0, 1, "").Parse(s)
	if err != nil {
		return 0, fmt.Errorf("--min-success %q: %w (a ratio such as 0.999, or a percentage with its sign: 99.9%%)", s, err)
	}
	return v, nil
}

// loadTargets builds the targets: URLs from the command line, which must be configured targets when
// the config lists any.
func loadTargets(cfg config.Config, o *loadOptions, urls []string) ([]engine.Target, error) {
	if len(urls) == 0 {
		if len(cfg.Load.Targets) == 0 {
			return nil, usageError{errors.New("give at least one URL (or configure load.targets)")}
		}
		for _, t := range cfg.Load.Targets {
			urls = append(urls, t.URL)
		}
	}
	header := http.Header{}
	for _, h := range o.headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, usageError{fmt.Errorf("--header %q: want \"Name: value\"", h)}
		}
		header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	body := []byte(o.body)
	if strings.HasPrefix(o.body, "@") {
		b, err := os.ReadFile(o.body[1:])
		if err != nil {
			return nil, fmt.Errorf("--body: %w", err)
		}
		body = b
	}
	check, err := checkFlags(o)
	if err != nil {
		return nil, err
	}
	var out []engine.Target
	for _, u := range urls {
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return nil, usageError{fmt.Errorf("%q: want an http:// or https:// URL with a host, such as http://127.0.0.1:8080/", u)}
		}
		t := engine.Target{Method: strings.ToUpper(o.method), URL: u, Header: header, Body: body, Check: check}
		if len(cfg.Load.Targets) > 0 {
			found := false
			for _, ct := range cfg.Load.Targets {
				if load.SameURL(ct.URL, u) {
					found = true
					t.Name = ct.Name
					if ct.Method != "" {
						t.Method = strings.ToUpper(ct.Method)
					}
					for k, v := range ct.Headers {
						t.Header.Set(k, v)
					}
					if ct.Body != "" && len(body) == 0 {
						t.Body = []byte(ct.Body)
					}
					if ct.Checks != nil && check == nil {
						t.Check = session.EngineCheck(ct.Checks)
					}
					t.Session = session.EngineSession(ct.Session)
				}
			}
			if !found {
				var allowed []string
				for _, ct := range cfg.Load.Targets {
					allowed = append(allowed, ct.URL)
				}
				return nil, fmt.Errorf("%w: %s is not in load.targets of the config; load goes only to configured targets (allowed: %s)",
					model.ErrRefused, u, strings.Join(allowed, ", "))
			}
		}
		out = append(out, t)
	}
	return out, nil
}

func runLoad(cmd *cobra.Command, o *loadOptions, urls []string, worker bool) error {
	path, explicit := config.DefaultPath(), false
	if o.configPath != "" {
		path, explicit = o.configPath, true
	}
	cfg, err := config.Read(path, explicit)
	if err != nil {
		return usageError{err}
	}
	if o.output != "text" && o.output != "json" {
		return usageError{fmt.Errorf("--output %q: want text or json", o.output)}
	}
	if err := o.validate(); err != nil {
		return usageError{err}
	}
	prof, err := load.ParseProfile(o.profile, o.rate, o.duration)
	if err != nil {
		return usageError{err}
	}
	minSuccess, err := parseSuccess(o.minSuccess)
	if err != nil {
		return usageError{err}
	}
	th := engine.Thresholds{MaxP99: o.maxP99, MinSuccess: minSuccess}
	targets, err := loadTargets(cfg, o, urls)
	if err != nil {
		return err
	}
	maxRate := cfg.Load.MaxRate
	if o.maxRate > 0 {
		maxRate = o.maxRate
	}
	if !worker && o.workers > 0 {
		return runDistributed(cmd, o, cfg, prof, targets, maxRate, th)
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		_ = pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
	}
	if os.Getenv("GOGC") == "" {
		// Fewer collections: a GC pause is a hiccup every in-flight request waits on, and at high
		// rates hiccups were what tipped the schedule into a backlog. The generator's heap is small.
		debug.SetGCPercent(400)
	}
	e, err := engine.New(engine.Options{Targets: targets, MaxRate: maxRate, MaxWorkers: o.maxWorkers, Timeout: o.timeout,
		NoTraceHeaders: cfg.Load.NoTraceHeaders()})
	if err != nil {
		return err
	}
	if err := e.Start(prof); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := onStop(func(os.Signal) { cancel() }, func(os.Signal) {
		fmt.Fprintln(os.Stderr, "gameday: leaving now; the load was stopped by the first interrupt")
		os.Exit(exitInterrupted)
	})
	defer stop.Close()
	progressDone := make(chan struct{})
	if !worker && term.IsTerminal(os.Stderr.Fd()) {
		go progress(e, prof, progressDone)
	} else {
		close(progressDone)
	}
	res, err := e.Wait(ctx)
	<-progressDone
	if err != nil {
		return err
	}
	var stopped error
	if ctx.Err() != nil && prof.Duration > 0 && res.Duration < prof.Duration {
		// A timed run cut short: its numbers are partial and judge nothing (0 means until stopped:
		// there the interrupt is the normal end).
		in := interrupted{after: res.Duration, of: prof.Duration}
		res.Interrupted, stopped = in.Error(), in
	}
	if worker {
		if err := writeWorkerResult(o, res); err != nil {
			return err
		}
		return stopped
	}
	breaches := th.Check(res)
	out := cmd.OutOrStdout()
	if o.output == "json" {
		if err := res.WriteJSON(out, breaches); err != nil {
			return err
		}
	} else {
		res.WriteText(out, th)
	}
	switch {
	case stopped != nil:
		return stopped
	case len(res.Codes) == 0 && res.Failed > 0:
		// Not one HTTP answer: the run measured the network, not the service (exit 1, not a verdict).
		return fmt.Errorf("no target answered: all %d requests failed (%s)", res.Failed, errorKinds(res.Errors))
	case len(breaches) > 0:
		return thresholdBreached{len(breaches)}
	}
	return nil
}

// errorKinds lists a run's transport errors, most frequent first ("connection refused×50").
func errorKinds(m map[string]int64) string {
	kinds := make([]string, 0, len(m))
	for k := range m {
		kinds = append(kinds, k)
	}
	slices.SortFunc(kinds, func(a, b string) int { return cmp.Or(cmp.Compare(m[b], m[a]), strings.Compare(a, b)) })
	for i, k := range kinds {
		kinds[i] = fmt.Sprintf("%s×%d", k, m[k])
	}
	return strings.Join(kinds, ", ")
}

// progress is the live line on a terminal: elapsed, requested and achieved rate, success, latency.
func progress(e *engine.Engine, p load.Profile, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for range t.C {
		st := e.Status()
		if !st.Active {
			fmt.Fprint(os.Stderr, "\r\033[K")
			return
		}
		of := ""
		if p.Duration > 0 {
			of = "/" + p.Duration.String()
		}
		fmt.Fprintf(os.Stderr, "\r\033[K%s%s  rate %.0f/s → %.0f/s  ok %.2f%%  p50 %s p99 %s max %s  in flight %d",
			st.Elapsed.Round(time.Second), of, st.Requested, st.Achieved, 100*st.Success, st.P50, st.P99, st.Max, st.InFlight)
		if len(st.Diagnostics) > 0 {
			fmt.Fprintf(os.Stderr, "  ! %s", st.Diagnostics[0])
		}
	}
}

func writeWorkerResult(o *loadOptions, res engine.Result) error {
	res, err := res.WithHistogram()
	if err != nil {
		return err
	}
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	fmt.Println(string(b))
	if o.result != "" {
		if err := os.WriteFile(o.result, b, 0o644); err != nil && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, os.ErrPermission) {
			return fmt.Errorf("--result-file: %w", err)
		}
	}
	return nil
}

// validate refuses values that would otherwise be read as something else: a negative --duration ran
// until stopped, and --timeout 0 became 10 s without a word.
func (o *loadOptions) validate() error {
	for _, c := range []struct {
		flag string
		err  error
		why  string
	}{
		{"--duration", bounds.Span{Max: 7 * 24 * time.Hour}.Check(o.duration), " (0: until stopped)"},
		{"--timeout", bounds.Span{MinOpen: true, Max: 10 * time.Minute}.Check(o.timeout), ""},
		{"--max-workers", bounds.Count(1, 1000000, "requests in flight").CheckInt(int64(o.maxWorkers)), ""},
		{"--workers", bounds.Count(0, 1000, "pods").CheckInt(int64(o.workers)), " (0: send from here)"},
		{"--max-p99", bounds.Span{Max: time.Hour}.Check(o.maxP99), " (0: no threshold)"},
		{"--check-latency", bounds.Span{Max: time.Hour}.Check(o.checkLatency), " (0: no check)"},
	} {
		if c.err != nil {
			return fmt.Errorf("%s: %w%s", c.flag, c.err, c.why)
		}
	}
	return nil
}

// checkFlags is the --check-* flags as one check (nil when none is given).
func checkFlags(o *loadOptions) (*engine.Check, error) {
	if len(o.checkStatus) == 0 && o.checkBody == "" && o.checkJSON == "" && o.checkLatency == 0 {
		return nil, nil
	}
	c := &engine.Check{Status: o.checkStatus, BodyContains: o.checkBody, MaxLatency: o.checkLatency}
	if o.checkJSON != "" {
		path, want, ok := strings.Cut(o.checkJSON, "=")
		if !ok || path == "" {
			return nil, usageError{fmt.Errorf("--check-json %q: want PATH=VALUE, e.g. data.ok=true", o.checkJSON)}
		}
		c.JSONPath, c.Equals = path, want
	}
	for _, code := range o.checkStatus {
		if code < 100 || code > 599 {
			return nil, usageError{fmt.Errorf("--check-status %d: not an HTTP status (100-599)", code)}
		}
	}
	return c, nil
}
