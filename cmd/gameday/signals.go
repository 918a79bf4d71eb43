package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gamedaylab/gameday/session"
	"github.com/gamedaylab/gameday/signals"
)

type signalsOptions struct {
	options
	output string
}

func newSignalsCmd() *cobra.Command {
	o := &signalsOptions{}
	cmd := &cobra.Command{
		Use:   "signals --target deploy/NAME",
		Short: "What gameday sees of a Deployment: each signal, the metric convention it is read in, its query and value now",
		Long: `The first command to run on a new cluster. For the target Deployment, gameday finds Prometheus
(--prometheus-url, or in the cluster), looks for its series in every metric convention it knows —
Istio, Linkerd, OpenTelemetry, Micrometer, the client_golang family, ingress-nginx, Envoy,
kube-state-metrics, the kubelet — with at most 3 queries over the last 15 minutes, and prints, per
signal (rate, errors, p50, p90, p99, ready, desired, cpu, memory, restarts), the convention chosen,
the PromQL and the value now. A signal Prometheus lacks is read from the cluster itself when it can
be (replicas from the Deployment, CPU and memory from metrics.k8s.io), else the line says what was
looked for. The cockpit's graphs and :signals show the same.

Exit codes: 0 printed, 1 the cluster or Prometheus could not be reached, 2 usage.`,
		Example: `  gameday signals -n shop --target deploy/checkout
  gameday signals --context staging -n shop --target deploy/checkout -o json
  gameday signals --prometheus-url http://localhost:9090 -n shop --target deploy/checkout`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE:          func(cmd *cobra.Command, _ []string) error { return runSignals(cmd, o) },
	}
	addSessionFlags(cmd, &o.options)
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "text or json")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%s (see gameday signals --help)", flagError(err))}
	})
	return cmd
}

// signalLine is one signal as gameday signals prints it (the JSON's signals[]).
type signalLine struct {
	Name       string   `json:"name"`
	Convention string   `json:"convention,omitempty"`
	Query      string   `json:"query,omitempty"`
	Source     string   `json:"source,omitempty"`
	Value      *float64 `json:"value"`
	Unit       string   `json:"unit"`
	Why        string   `json:"why"`
}

func runSignals(cmd *cobra.Command, o *signalsOptions) error {
	switch {
	case o.output != "text" && o.output != "json":
		return usageError{fmt.Errorf("--output %q: want text or json", o.output)}
	case o.demo:
		return usageError{errors.New("--demo: the demo's graphs are simulated; signals reads a cluster's Prometheus (try it on the testbed or a real cluster)")}
	case o.target == "":
		return usageError{errors.New("--target deploy/NAME: which Deployment's signals to read")}
	}
	cfg, err := loadConfig(cmd, &o.options)
	if err != nil {
		return err
	}
	o.noRecord, o.record = true, ""
	c, err := build(cmd, &o.options, &cfg)
	if err != nil {
		return err
	}
	defer c.close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.startListed(ctx); err != nil {
		return err
	}
	if why := c.sess.CheckWhere(ctx); why != "" {
		return errors.New(why)
	}
	var sig session.Signals
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		if sig, err = c.sess.DetectSignals(ctx); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("signals of deploy/%s: %w", c.sess.Target(), err)
	}
	var lines []signalLine
	for _, r := range sig.Resolutions {
		l := signalLine{Name: string(r.Signal), Convention: r.Convention, Query: r.Query, Source: r.Source, Unit: r.Unit, Why: r.Why}
		if v, ok, verr := c.sess.Value(ctx, r); verr == nil && ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
			l.Value = &v
		} else if verr != nil {
			l.Why += " (value: " + verr.Error() + ")"
		}
		lines = append(lines, l)
	}
	out := cmd.OutOrStdout()
	if o.output == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Target     string       `json:"target"`
			Namespace  string       `json:"namespace"`
			Prometheus string       `json:"prometheus"`
			Signals    []signalLine `json:"signals"`
		}{"deploy/" + c.sess.Target(), c.sess.Namespace(), c.sess.MetricsName, lines})
	}
	fmt.Fprintf(out, "deploy/%s in %s, %s\n\n", c.sess.Target(), c.sess.Namespace(), c.sess.MetricsBackend.Name())
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SIGNAL\tVALUE\tCONVENTION\tQUERY OR WHY")
	for _, l := range lines {
		v := "-"
		if l.Value != nil {
			v = formatSignal(*l.Value, signals.Name(l.Name))
		}
		what := l.Query
		if what == "" {
			what = l.Why
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", l.Name, v, dash(l.Convention), what)
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// formatSignal writes a value in its signal's unit.
func formatSignal(v float64, n signals.Name) string {
	switch n.Unit() {
	case "ratio":
		return strconv.FormatFloat(100*v, 'f', 2, 64) + "%"
	case "%":
		return strconv.FormatFloat(v, 'f', 1, 64) + "%"
	case "s":
		return strconv.FormatFloat(v*1000, 'f', 1, 64) + "ms"
	case "req/s":
		return strconv.FormatFloat(v, 'f', 1, 64) + "/s"
	case "bytes":
		return strconv.FormatFloat(v/(1<<20), 'f', 1, 64) + "Mi"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
