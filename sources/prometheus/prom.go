// Package prom is the Prometheus metrics backend: range queries through client_golang's API client,
// panel templates ($namespace, $workload, $interval), bearer/basic auth from env or file, a custom
// CA, and discovery of an in-cluster Prometheus through the apiserver's service proxy.
package prometheus

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/gamedaylab/gameday/sources"
)

// Config is how to reach Prometheus directly.
type Config struct {
	URL string
	// BearerToken or BearerTokenFile authenticate with a token; Username/Password (or PasswordFile)
	// with basic auth. Values are never printed.
	BearerToken     string
	BearerTokenFile string
	Username        string
	Password        string
	PasswordFile    string
	// CAFile verifies the server's certificate (TLS is always verified).
	CAFile string
	// ScrapeInterval is used for $interval (rate windows need at least four scrapes).
	ScrapeInterval time.Duration
}

// Backend answers panel range queries.
type Backend struct {
	api      v1.API
	name     string
	scrape   time.Duration
	mu       sync.Mutex
	vars     Vars
	lastStep time.Duration
}

// Vars are the template values of panel queries.
type Vars struct {
	Namespace string
	Workload  string
}

// New connects to Prometheus at cfg.URL.
func New(cfg Config) (*Backend, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("--prometheus-url %q: want a URL like http://prometheus:9090", cfg.URL)
	}
	rt, err := transport(cfg)
	if err != nil {
		return nil, err
	}
	return newBackend(cfg.URL, rt, "prometheus "+redact(u), cfg.ScrapeInterval)
}

func newBackend(address string, rt http.RoundTripper, name string, scrape time.Duration) (*Backend, error) {
	c, err := api.NewClient(api.Config{Address: address, RoundTripper: sources.Bounded(rt)})
	if err != nil {
		return nil, fmt.Errorf("prometheus client: %w", err)
	}
	if scrape <= 0 {
		scrape = 15 * time.Second
	}
	return &Backend{api: v1.NewAPI(c), name: name, scrape: scrape}, nil
}

// redact keeps scheme and host: a URL may carry credentials.
func redact(u *url.URL) string { return u.Scheme + "://" + u.Host + u.Path }

// secret reads a value given directly, or from a file (trailing newline trimmed).
func secret(v, file string) (string, error) {
	if file == "" {
		return v, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", file, err)
	}
	return strings.TrimSpace(string(b)), nil
}

func transport(cfg Config) (http.RoundTripper, error) {
	base, err := sources.Transport("prometheus", cfg.CAFile)
	if err != nil {
		return nil, err
	}
	tok, err := secret(cfg.BearerToken, cfg.BearerTokenFile)
	if err != nil {
		return nil, fmt.Errorf("prometheus bearer token: %w", err)
	}
	pw, err := secret(cfg.Password, cfg.PasswordFile)
	if err != nil {
		return nil, fmt.Errorf("prometheus password: %w", err)
	}
	return &authRT{base: base, token: tok, user: cfg.Username, pass: pw}, nil
}

type authRT struct {
	base              http.RoundTripper
	token, user, pass string
}

func (a *authRT) RoundTrip(r *http.Request) (*http.Response, error) {
	if a.token == "" && a.user == "" {
		return a.base.RoundTrip(r)
	}
	r = r.Clone(r.Context())
	if a.token != "" {
		r.Header.Set("Authorization", "Bearer "+a.token)
	} else {
		r.SetBasicAuth(a.user, a.pass)
	}
	return a.base.RoundTrip(r)
}

// Name says which Prometheus is used (the header shows it).
func (b *Backend) Name() string { return b.name }

// SetVars sets the template values (the UI calls it when the namespace or target changes).
func (b *Backend) SetVars(v Vars) {
	b.mu.Lock()
	b.vars = v
	b.mu.Unlock()
}

// Expand fills a query template. $interval is at least four scrapes and two steps, so rate() always
// has samples to work with.
func (b *Backend) Expand(expr string, step time.Duration) string {
	b.mu.Lock()
	v := b.vars
	b.mu.Unlock()
	iv := 4 * b.scrape
	if 2*step > iv {
		iv = 2 * step
	}
	r := strings.NewReplacer("$namespace", v.Namespace, "$workload", v.Workload,
		"$interval", model.Duration(iv).String())
	return r.Replace(expr)
}

// QueryRange runs every query of the panel and returns one series per result.
func (b *Backend) QueryRange(ctx context.Context, p sources.Panel, start, end time.Time, step time.Duration) ([]sources.Series, error) {
	var out []sources.Series
	for _, q := range p.Queries {
		expr := b.Expand(q.Expr, step)
		val, _, _, err := b.api.QueryRange(ctx, expr, v1.Range{Start: start, End: end, Step: step})
		if err != nil {
			return nil, classify(err)
		}
		m, ok := val.(model.Matrix)
		if !ok {
			return nil, fmt.Errorf("query %q returned %s, want a range vector", q.Legend, val.Type())
		}
		sort.Slice(m, func(i, j int) bool { return m[i].Metric.String() < m[j].Metric.String() })
		for _, s := range m {
			ser := sources.Series{Name: legend(q.Legend, s.Metric, len(m))}
			for _, pt := range s.Values {
				// PromQL gives NaN for 0/0 (an error ratio with no traffic) and ±Inf for a quantile
				// past the last bucket: no number to draw or record, a gap.
				if v := float64(pt.Value); !math.IsNaN(v) && !math.IsInf(v, 0) {
					ser.Points = append(ser.Points, sources.Point{T: pt.Timestamp.Time(), V: v})
				}
			}
			out = append(out, ser)
		}
		if len(m) == 0 {
			out = append(out, sources.Series{Name: q.Legend})
		}
	}
	return out, nil
}

// legend names a series: the query's legend, with {{label}} filled from the series' labels; several
// unnamed series of one query are told apart by their labels.
func legend(tmpl string, m model.Metric, n int) string {
	if strings.Contains(tmpl, "{{") {
		for k, v := range m {
			tmpl = strings.ReplaceAll(tmpl, "{{"+string(k)+"}}", string(v))
		}
		return tmpl
	}
	if n > 1 && len(m) > 0 {
		return tmpl + " " + m.String()
	}
	return tmpl
}

// classify separates "Prometheus said no" (shown in the panel) from "Prometheus is not there"
// (unreachable: the poller backs off).
func classify(err error) error {
	var pe *v1.Error
	if errors.As(err, &pe) {
		switch pe.Type {
		case v1.ErrBadData, v1.ErrExec, v1.ErrTimeout, v1.ErrCanceled:
			msg := pe.Msg
			if msg == "" {
				msg = string(pe.Type)
			}
			return errors.New(msg)
		}
		if pe.Type == v1.ErrServer && strings.Contains(pe.Msg, "503") {
			return sources.Unreachable(err)
		}
		return err
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &oe) || errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
		return sources.Unreachable(err)
	}
	return err
}
