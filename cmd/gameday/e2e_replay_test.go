package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/testbed"
)

var podName = regexp.MustCompile(`\bweb-[a-z0-9]{5,10}-[a-z0-9]{5}\b`)

func podsOn(screen string) []string {
	names := podName.FindAllString(screen, -1)
	slices.Sort(names)
	return slices.Compact(names)
}

// TestEndToEndRecordThenReplayInTmux (issue 16): a real session on the testbed (Prometheus scraping
// the app, Zipkin, OpenSearch with the app's log lines) is recorded while a person kills a pod and
// fires a burst; the live screen is captured when the kill's result shows. Then gameday replay in
// the same size: n jumps to the kill's marker, where the screen shows the same pods and the kill's
// line as live; pause, speed and seek change the REPLAY badge; actions are refused; a copy of the
// file cut short (a crash) replays and says it is truncated; gameday report writes it up. At 80x24
// and 200x60, one after the other.
func TestEndToEndRecordThenReplayInTmux(t *testing.T) {
	t.Parallel() // mostly waits on real servers and its own binary: it runs beside the others that do
	k := testbed.SharedKube(t)
	bin := gamedayBinary(t)
	zs := testbed.StartZipkin(t)
	es := testbed.SharedOpenSearch(t)
	for _, size := range [][2]int{{80, 24}, {200, 60}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			w, h := size[0], size[1]
			ns := k.Namespace(t, "e2e-replay")
			deployWeb(t, k.Client, ns, 3, "50m", false)
			spans := zs.URL + "/api/v2/spans"
			app := testbed.StartDemoapp(t, "web", "--zipkin", spans, "--work-ms", "1")
			prefix := fmt.Sprintf("replay%d", w)
			sh := &testbed.Shipper{URL: es.URL, Namespace: ns, Prefix: prefix}
			stop := make(chan struct{})
			defer close(stop)
			sh.Follow(t, app.Log, "web-0", "web", stop)
			p := testbed.StartPrometheus(t, time.Second, "")
			p.AddTarget("web", app.Addr, nil)
			testbed.Traffic(t, "http://"+app.Addr+"/api/work", 5)
			dir := t.TempDir()
			cfg := filepath.Join(dir, "config.yaml")
			writeFile(t, cfg, fmt.Sprintf(`metrics:
  prometheus: {url: %s, scrapeInterval: 1s}
  refresh: 1s
  panels:
  - title: Requests
    unit: req/s
    queries:
    - {legend: total, expr: 'sum(rate(demoapp_http_requests_total[$interval]))'}
load:
  burst: {rate: 20, duration: 5s}
  targets:
  - {name: web, url: http://%s/api/work}
`, p.URL, app.Addr))
			rec := filepath.Join(dir, "session.gdr")
			live := newTmux(t, w, h, fmt.Sprintf("env XDG_CONFIG_HOME=%s XDG_STATE_HOME=%s %s --kubeconfig %s -n %s --target deploy/web --config %s --zipkin-url %s --es-url %s --es-index '%s-*' --record %s; echo EXITED $?; sleep 60",
				dir, dir, bin, k.Kubeconfig, ns, cfg, zs.URL, es.URL, prefix, rec))
			// Every pane has its signal before the kill: traces, log lines, a request rate.
			before := live.waitFor(40*time.Second, "ns "+ns, "Running", "get /api/work", "GET /api/work 200")
			live.waitGone(30*time.Second, "no data in this window")
			shownBefore := podsOn(before)
			if len(shownBefore) != 3 {
				t.Fatalf("live pods %v before the kill:\n%s", shownBefore, before)
			}
			live.keys("C-k")
			live.waitFor(5*time.Second, "Kill the selected pod web-")
			before = live.capture()
			live.keys("y")
			atKill := live.waitFor(10*time.Second, "kill ok")
			livePods := podsOn(atKill)
			live.keys("b")
			live.waitFor(5*time.Second, "LOAD burst")
			live.waitFor(30*time.Second, "recovery ok")
			live.keys("q")
			out := live.waitFor(20*time.Second, "EXITED 0")
			if !strings.Contains(strings.Join(strings.Fields(out), ""), "gameday:recordedto") {
				t.Fatalf("quitting did not say where the session was recorded:\n%s", out)
			}

			// The replay, paused at the start: n goes to the first marker, the kill.
			rp := newTmux(t, w, h, fmt.Sprintf("env XDG_CONFIG_HOME=%s XDG_STATE_HOME=%s %s replay --paused %s; echo EXITED $?; sleep 60", dir, dir, bin, rec))
			rp.waitFor(15*time.Second, "REPLAY", "❚❚")
			rp.keys("n")
			atMarker := rp.waitFor(10*time.Second, "kill ok")
			replayed := podsOn(atMarker)
			// The live capture came a few milliseconds after the result: a replacement the apiserver
			// made in between may show live and not yet at the marker, nothing else may differ.
			var extra []string
			for _, n := range livePods {
				if !slices.Contains(replayed, n) {
					extra = append(extra, n)
				}
			}
			// The marker is the kill's start, so the replay may show the state just before it: a pod
			// live showed before the kill counts (at 80x24 the replacement's row pushes one off live).
			for _, n := range replayed {
				if !slices.Contains(livePods, n) && !slices.Contains(shownBefore, n) {
					t.Fatalf("at the kill's marker the replay shows pod %s, live did not:\nreplay %v\nlive   %v\n%s\n---live---\n%s", n, replayed, livePods, atMarker, atKill)
				}
			}
			for _, n := range extra {
				if strings.Contains(before, n) {
					t.Fatalf("live showed pod %s at the kill, the replay at its marker does not:\nreplay %v\nlive   %v\n%s\n---live---\n%s", n, replayed, livePods, atMarker, atKill)
				}
			}
			if len(replayed) < 3 {
				t.Fatalf("the replay shows %v at the kill's marker:\n%s", replayed, atMarker)
			}
			// The other panes show what they showed live: the recorded traces, log lines and graph.
			for _, want := range []string{"get /api/work", "GET /api/work 200", "(recorded)"} {
				if !strings.Contains(atMarker, want) {
					t.Fatalf("at the kill's marker the replay lacks %q (live had it):\n%s", want, atMarker)
				}
			}
			if strings.Contains(atMarker, "no data in this window") {
				t.Fatalf("at the kill's marker the replay's graph is empty (live had a rate):\n%s\n---live---\n%s", atMarker, atKill)
			}
			// Actions are refused, saying why; HALT too.
			rp.keys("K")
			rp.waitFor(5*time.Second, "actions are off")
			// Speed and play: > doubles, space plays, → seeks 10 s on.
			rp.keys(">")
			rp.waitFor(5*time.Second, "2x")
			rp.keys("Space")
			rp.waitFor(5*time.Second, "▶")
			rp.keys("Right")
			rp.waitFor(10*time.Second, "recovery ok")
			rp.keys("q")
			rp.waitFor(10*time.Second, "EXITED 0")

			// A copy cut at 70 % (a crash mid-write) replays what it holds and says it is truncated.
			b, err := os.ReadFile(rec)
			if err != nil {
				t.Fatal(err)
			}
			cut := filepath.Join(dir, "cut.gdr")
			writeFile(t, cut, string(b[:len(b)*7/10]))
			ct := newTmux(t, w, h, fmt.Sprintf("env XDG_CONFIG_HOME=%s XDG_STATE_HOME=%s %s replay %s; echo EXITED $?; sleep 60", dir, dir, bin, cut))
			ct.waitFor(15*time.Second, "REPLAY", "cut short")
			ct.keys("q")
			ct.waitFor(10*time.Second, "EXITED 0")

			// The report of the session.
			if rout, err := exec.Command(bin, "report", "--out", filepath.Join(dir, "report"), rec).CombinedOutput(); err != nil {
				t.Fatalf("gameday report: %v:\n%s", err, rout)
			}
			md, err := os.ReadFile(filepath.Join(dir, "report", "session.md"))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"| kill pod/", "detection: web noticed the loss", "load-start", "## Signals", "![Requests]", "## Recovery", "## Load"} {
				if !strings.Contains(string(md), want) {
					t.Errorf("the report lacks %q:\n%s", want, md)
				}
			}
		})
	}
}
