package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/testbed"
)

// TestEndToEndJaegerInTmux (issue 28): the real binary in tmux reads a real Jaeger v2 (--jaeger-url)
// that two demo apps (frontend -> backend) send their spans to: the Traces pane's title names Jaeger,
// its list shows the requests, and Enter opens one as a waterfall with both services' spans. At
// 80x24 (the pane zoomed) and 200x60.
func TestEndToEndJaegerInTmux(t *testing.T) {
	t.Parallel() // mostly waits on real servers and its own binary: it runs beside the others that do
	k := testbed.SharedKube(t)
	bin := gamedayBinary(t)
	js := testbed.StartJaeger(t)
	backend := testbed.StartDemoapp(t, "backend", "--zipkin", js.Zipkin, "--work-ms", "2")
	web := testbed.StartDemoapp(t, "web", "--zipkin", js.Zipkin, "--downstream", "http://"+backend.Addr, "--work-ms", "1")
	defer testbed.Traffic(t, "http://"+web.Addr+"/api/work", 3)()
	for _, size := range [][2]int{{80, 24}, {200, 60}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			w, h := size[0], size[1]
			ns := k.Namespace(t, "e2e-jaeger")
			deployWeb(t, k.Client, ns, 2, "50m", false)
			dir := t.TempDir()
			s := newTmux(t, w, h, fmt.Sprintf("env XDG_CONFIG_HOME=%s XDG_STATE_HOME=%s %s --kubeconfig %s -n %s --target deploy/web --jaeger-url %s; echo EXITED $?; sleep 60",
				dir, dir, bin, k.Kubeconfig, ns, js.URL))
			s.waitFor(40*time.Second, "ns "+ns, "Traces · jaeger", "get /api/work")
			s.keys("Tab")
			s.keys("Tab") // Workload -> Metrics -> Traces
			if w < 100 {
				s.keys("z")
			}
			// The newest trace's backend spans may not have reached Jaeger yet (each app reports
			// in batches, later still on a loaded machine): open one a few seconds old, as a person
			// would pick a whole one. 3 requests/s: the ninth row is about 3 s old.
			for range 8 {
				s.keys("Down")
			}
			s.keys("Enter")
			s.waitFor(15*time.Second, "Trace ", "spans ·", "web get /api/wo", "backend get", "kind SERVER")
			s.keys("Escape")
			s.waitFor(5*time.Second, "Traces · jaeger") // back on the list (an esc at once followed by q reads as alt+q)
			s.keys("q")
			s.waitFor(20*time.Second, "EXITED 0")
		})
	}
}
