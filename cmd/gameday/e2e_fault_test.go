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

// gatewayErrors is the share of 5xx answers of the gateway's HTTP listeners (Envoy's own stats; the
// admin listener aside), as a cockpit panel.
const gatewayErrors = `100 * sum(rate({__name__=~"envoy_http_.*downstream_rq_xx",envoy_http_conn_manager_prefix!="admin",envoy_response_code_class="5"}[$interval])) / clamp_min(sum(rate({__name__=~"envoy_http_.*downstream_rq_xx",envoy_http_conn_manager_prefix!="admin"}[$interval])), 1e-9)`

var errShare = regexp.MustCompile(`Gateway errors ━ 5xx % ([0-9.]+)%`)

// TestEndToEndFaultInTmux: in the cockpit on the testbed, a person injects an Istio abort with
// :fault, sees what it hits in the confirm, watches the gateway's error share (Prometheus scraping
// the real Envoy) rise on the graph with the FAULTS badge counting down, presses x and sees the share
// fall back to 0; at 80x24 and 200x60.
func TestEndToEndFaultInTmux(t *testing.T) {
	t.Parallel() // mostly waits on real servers and its own binary: it runs beside the others that do
	k := testbed.SharedKube(t)
	m := testbed.SharedMesh(t, k)
	bin := gamedayBinary(t)
	for _, size := range [][2]int{{80, 24}, {200, 60}} {
		// One size after the other: two gateways, two Prometheus servers and their traffic at once
		// were a load that made other packages' timing tests fail in make test.
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			ns := k.Namespace(t, "e2e-fault")
			app := testbed.StartDemoapp(t, "web", "--work-ms", "0")
			gw := m.Expose(t, ns, "web", app.Addr, "/api/item")
			p := testbed.StartPrometheus(t, time.Second, "")
			p.AddTarget("gateway", strings.TrimPrefix(gw.Admin, "http://"), map[string]string{"__metrics_path__": "/stats/prometheus"})
			testbed.Traffic(t, "http://"+gw.Addr+"/api/item", 20)
			dir := t.TempDir()
			cfg := filepath.Join(dir, "config.yaml")
			writeFile(t, cfg, fmt.Sprintf(`metrics:
  prometheus: {url: %s, scrapeInterval: 1s}
  refresh: 1s
  panels:
  - title: Gateway errors
    unit: "%%"
    queries:
    - {legend: 5xx %%, expr: '%s'}
`, p.URL, gatewayErrors))
			s := newTmux(t, size[0], size[1], fmt.Sprintf("env XDG_CONFIG_HOME=%s XDG_STATE_HOME=%s %s --kubeconfig %s -n %s --config %s; sleep 30",
				dir, dir, bin, k.Kubeconfig, ns, cfg))
			s.waitFor(20*time.Second, "ns "+ns, "Gateway errors ━ 5xx % 0%", "faults 0")
			s.keys(":")
			s.keys("-l", "fault vs/web abort 500 50% for 5m")
			s.keys("Enter")
			s.waitFor(5*time.Second, "Fault abort 500 50%", "VirtualService "+ns+"/web")
			s.keys("y")
			s.waitFor(10*time.Second, "FAULTS 1 4:5")
			share := func() float64 {
				mm := errShare.FindStringSubmatch(s.capture())
				if mm == nil {
					return -1
				}
				v, _ := strconv.ParseFloat(mm[1], 64)
				return v
			}
			waitShare := func(what string, ok func(float64) bool) {
				deadline := time.Now().Add(30 * time.Second)
				for !ok(share()) {
					if time.Now().After(deadline) {
						t.Fatalf("the graph's error share never %s:\n%s", what, s.capture())
					}
					time.Sleep(200 * time.Millisecond)
				}
			}
			waitShare("rose to about 50%", func(v float64) bool { return v >= 35 && v <= 65 })
			if size[0] >= 120 { // a chart (not a sparkline): the fault's window is shaded while it lasts
				s.waitFor(10*time.Second, "░")
			}
			s.keys("x")
			s.waitFor(10*time.Second, "faults 0")
			waitShare("fell back to 0", func(v float64) bool { return v == 0 })
			s.keys("q")
			s.waitGone(5*time.Second, "Gateway errors")
		})
	}
}
