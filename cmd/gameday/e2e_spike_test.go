package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/testbed"
)

var (
	cursorValue = regexp.MustCompile(`@(\d\d:\d\d:\d\d) ━ total ([0-9.]+)(k?)/s`)
	traceRow    = regexp.MustCompile(`(?m)^│\d\d:\d\d:\d\d get /api/work.*?\s([0-9.]+)(µs|ms|s)\s+\d+\s`)
)

// TestEndToEndSpikeToTracesInTmux (issue 17): on the real servers (Prometheus scraping the app,
// Zipkin, OpenSearch with the app's lines), a burst of slow requests makes a spike on the request
// graph; on the focused graph a person moves the cursor with ← until its value shows the spike, and
// Enter lists the traces that began then, slowest first (the burst's 150 ms requests on top, where
// the live list has the fast background ones), and the log lines of the same window; esc returns to
// the live list. At 80x24 (the graph zoomed) and 200x60.
func TestEndToEndSpikeToTracesInTmux(t *testing.T) {
	t.Parallel() // mostly waits on real servers and its own binary: it runs beside the others that do
	k := testbed.SharedKube(t)
	bin := gamedayBinary(t)
	zs := testbed.StartZipkin(t)
	es := testbed.SharedOpenSearch(t)
	for _, size := range [][2]int{{80, 24}, {200, 60}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			w, h := size[0], size[1]
			ns := k.Namespace(t, "e2e-spike")
			deployWeb(t, k.Client, ns, 2, "50m", false)
			app := testbed.StartDemoapp(t, "web", "--zipkin", zs.URL+"/api/v2/spans", "--work-ms", "1")
			prefix := fmt.Sprintf("spike%d", w)
			sh := &testbed.Shipper{URL: es.URL, Namespace: ns, Prefix: prefix}
			stop := make(chan struct{})
			defer close(stop)
			sh.Follow(t, app.Log, "web-0", "web", stop)
			p := testbed.StartPrometheus(t, time.Second, "")
			p.AddTarget("web", app.Addr, nil)
			defer testbed.Traffic(t, "http://"+app.Addr+"/api/work", 3)()
			dir := t.TempDir()
			cfg := filepath.Join(dir, "config.yaml")
			writeFile(t, cfg, fmt.Sprintf(`metrics:
  prometheus: {url: %s, scrapeInterval: 1s}
  refresh: 1s
  window: 1m
  panels:
  - title: Requests
    unit: req/s
    queries:
    - {legend: total, expr: 'sum(rate(demoapp_http_requests_total[$interval]))'}
load:
  burst: {rate: 60, duration: 6s}
  targets:
  - {name: slow, url: "http://%s/api/work?latency_ms=150"}
`, p.URL, app.Addr))
			s := newTmux(t, w, h, fmt.Sprintf("env XDG_CONFIG_HOME=%s XDG_STATE_HOME=%s %s --kubeconfig %s -n %s --target deploy/web --config %s --zipkin-url %s --es-url %s --es-index '%s-*'; echo EXITED $?; sleep 60",
				dir, dir, bin, k.Kubeconfig, ns, cfg, zs.URL, es.URL, prefix))
			s.waitFor(40*time.Second, "ns "+ns, "Running")
			s.keys("Tab") // the Metrics pane
			if w < 100 {
				s.keys("z") // at 80x24 the graph is read zoomed
			}
			s.waitFor(30*time.Second, "━ total ")
			s.keys("b")
			s.waitFor(5*time.Second, "LOAD burst")
			s.waitGone(30*time.Second, "LOAD burst")
			time.Sleep(6 * time.Second) // the spike's last scrapes reach the graph
			// The cursor starts at the latest moment; ← walks back until its value is the spike's,
			// then on to the spike's top: the first point over the bar is its trailing edge, a rate
			// whose window still reaches into the burst while the moment it picks does not.
			s.keys("Left")
			var at string
			best := 0.0
			for i := 0; i < 80; i++ {
				scr := s.capture()
				if m := cursorValue.FindStringSubmatch(scr); m != nil {
					v, _ := strconv.ParseFloat(m[2], 64)
					if m[3] == "k" {
						v *= 1000
					}
					if at != "" && v < best {
						s.keys("Right") // back to the top
						time.Sleep(150 * time.Millisecond)
						break
					}
					if v >= 25 {
						at, best = m[1], v
					}
				}
				s.keys("Left")
				time.Sleep(150 * time.Millisecond)
			}
			if at == "" {
				t.Fatalf("the cursor never showed the spike's value:\n%s", s.capture())
			}
			s.keys("Enter")
			scr := s.waitFor(15*time.Second, "slowest first", "get /api/work")
			rows := traceRow.FindAllStringSubmatch(scr, -1)
			if len(rows) == 0 {
				t.Fatalf("no trace listed for the window at %s:\n%s", at, scr)
			}
			first := millis(rows[0])
			if first < 150 {
				t.Fatalf("the window at %s lists %.0f ms first; the burst's requests took 150 ms:\n%s", at, first, scr)
			}
			for i := 1; i < len(rows); i++ {
				if d := millis(rows[i]); d > first {
					t.Fatalf("not slowest first: row %d %.1f ms after %.0f ms:\n%s", i, d, first, scr)
				}
			}
			// The Logs pane in its window mode (the window may begin in the minute before the cursor's).
			if w >= 100 {
				s.waitFor(15*time.Second, "lines (esc: live)", "GET /api/work")
			} else {
				s.keys("Tab") // zoomed: the Logs pane is next
				s.waitFor(15*time.Second, "lines (esc: live)", "GET /api/work")
				s.keys("BTab")
				s.waitFor(5*time.Second, "slowest first") // back on the window's traces
			}
			s.keys("Escape")
			s.waitFor(10*time.Second, "Traces · zipkin")
			if strings.Contains(s.capture(), "slowest first") {
				t.Fatalf("esc did not leave the window:\n%s", s.capture())
			}
			s.keys("q")
			s.waitFor(20*time.Second, "EXITED 0")
		})
	}
}

// millis is a trace row's duration in milliseconds.
func millis(row []string) float64 {
	v, _ := strconv.ParseFloat(row[1], 64)
	switch row[2] {
	case "s":
		return v * 1000
	case "µs":
		return v / 1000
	}
	return v
}
