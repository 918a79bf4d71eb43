// Command demoapp is the subject of game days: a small HTTP service with RED metrics, Zipkin traces
// (B3 propagation to an optional downstream instance) and structured JSON logs, that is not ready
// during a warm-up and drains in-flight requests on SIGTERM so pod kills are visible.
//
//	demoapp --addr :8080 --name frontend --downstream http://backend:8080 --zipkin http://zipkin:9411/api/v2/spans
//
// Routes: / (cheap), /api/work?cpu_ms=20&latency_ms=50&fail=0.01 (CPU work, latency, errors; defaults
// from flags or DEMOAPP_* env), /healthz, /readyz, /metrics.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

type config struct {
	addr       string
	name       string
	downstream string
	zipkin     string
	warmup     time.Duration
	workMs     float64
	latencyMs  float64
	failRate   float64
	corrupt    float64
	drain      time.Duration
	sessions   string // memory or redis
	redis      string
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func envFloat(key string, def float64) float64 {
	if v := os.Getenv(key); v != "" {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
	}
	return def
}

func envDur(key string, def time.Duration) time.Duration {
	if v := os.Getenv(key); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}

func parse(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("demoapp", flag.ContinueOnError)
	fs.StringVar(&c.addr, "addr", envOr("DEMOAPP_ADDR", ":8080"), "listen address")
	fs.StringVar(&c.name, "name", envOr("DEMOAPP_NAME", "demoapp"), "service name (traces and logs)")
	fs.StringVar(&c.downstream, "downstream", envOr("DEMOAPP_DOWNSTREAM", ""), "base URL of a downstream demoapp that /api/work calls")
	fs.StringVar(&c.zipkin, "zipkin", envOr("DEMOAPP_ZIPKIN", ""), "Zipkin v2 spans endpoint (empty: no tracing)")
	fs.DurationVar(&c.warmup, "warmup", envDur("DEMOAPP_WARMUP", 5*time.Second), "not ready for this long after start")
	fs.Float64Var(&c.workMs, "work-ms", envFloat("DEMOAPP_WORK_MS", 5), "default CPU work per /api/work request (ms)")
	fs.Float64Var(&c.latencyMs, "latency-ms", envFloat("DEMOAPP_LATENCY_MS", 0), "default added latency per /api/work request (ms)")
	fs.Float64Var(&c.failRate, "fail", envFloat("DEMOAPP_FAIL", 0), "default fraction of /api/work requests that fail with 500")
	fs.Float64Var(&c.corrupt, "corrupt", envFloat("DEMOAPP_CORRUPT", 0), "default fraction of /api/item answers that are 200 with a wrong body (ok: false): a fault only a response check sees")
	fs.DurationVar(&c.drain, "drain", envDur("DEMOAPP_DRAIN", 20*time.Second), "how long SIGTERM waits for in-flight requests")
	fs.StringVar(&c.sessions, "sessions", envOr("DEMOAPP_SESSIONS", "memory"), "where /login keeps sessions: memory (this process: lost on restart and on other replicas) or redis")
	fs.StringVar(&c.redis, "redis", envOr("DEMOAPP_REDIS", ""), "Redis address (HOST:PORT) for --sessions redis")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.sessions != "memory" && c.sessions != "redis" {
		return c, fmt.Errorf("--sessions %q: want memory or redis", c.sessions)
	}
	if c.sessions == "redis" && c.redis == "" {
		return c, fmt.Errorf("--sessions redis needs --redis HOST:PORT")
	}
	if c.corrupt < 0 || c.corrupt > 1 {
		return c, fmt.Errorf("--corrupt: want a fraction from 0 to 1, got %g", c.corrupt)
	}
	if c.failRate < 0 || c.failRate > 1 {
		return c, fmt.Errorf("--fail: want a fraction from 0 to 1, got %g", c.failRate)
	}
	return c, nil
}

func main() {
	cfg, err := parse(os.Args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "demoapp: "+err.Error())
		os.Exit(2)
	}
	logger := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{})).With("pod", envOr("POD_NAME", hostname()), "service", cfg.name)
	app, err := newApp(cfg, logger)
	if err != nil {
		logger.Error("start failed", "error", err.Error())
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := app.serve(ctx); err != nil {
		logger.Error("server failed", "error", err.Error())
		os.Exit(1)
	}
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}
