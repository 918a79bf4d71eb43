package session

import (
	"github.com/gamedaylab/gameday/sources/discover"
)

// Backend is one signal's backend as `:backend` lists it: what is used, and how it was chosen.
type Backend struct {
	Signal string // metrics, traces, logs
	Name   string
	Lines  []string
}

// reporter is a backend found in the cluster: it can say what was looked for and tried.
type reporter interface{ Report() discover.Report }

type named interface{ Name() string }

// Backends are the session's backends of metrics, traces and logs.
func (s *Session) Backends() []Backend {
	cfg := s.opts.Config
	how := func(b named, url, flag, key string) []string {
		switch {
		case s.opts.Replay != nil:
			return []string{"recorded in " + s.opts.Replay.Path}
		case s.opts.Demo:
			return []string{"the simulated cluster (--demo)"}
		case url != "":
			return []string{"configured: " + flag + " or " + key + " in the config file"}
		}
		if r, ok := b.(reporter); ok {
			return append([]string{"found in the cluster (give " + flag + " to choose one):"}, r.Report().Lines()...)
		}
		return nil
	}
	out := []Backend{{Signal: "metrics", Name: s.MetricsName}}
	if s.MetricsBackend != nil {
		out[0].Name = s.MetricsBackend.Name()
		out[0].Lines = how(s.MetricsBackend, cfg.Metrics.Prometheus.URL, "--prometheus-url", "metrics.prometheus.url")
	}
	tr := Backend{Signal: "traces", Name: "none"}
	if s.TracesBackend != nil {
		tr.Name, tr.Lines = s.TracesBackend.Name(), how(s.TracesBackend, cfg.Traces.URL, "--zipkin-url or --jaeger-url", "traces.url")
	}
	lg := Backend{Signal: "logs", Name: "none"}
	if s.LogsBackend != nil {
		lg.Name, lg.Lines = s.LogsBackend.Name(), how(s.LogsBackend, cfg.Logs.URL, "--es-url", "logs.url")
	}
	return append(out, tr, lg)
}
