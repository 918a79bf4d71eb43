package report

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/gamedaylab/gameday/experiment"
)

func fixture() *experiment.RunRecord {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	f := func(v float64) *float64 { return &v }
	j := &experiment.RunRecord{Version: 1, Experiment: "kill-under-load", Description: "web survives losing a third of its pods",
		File: "examples/kill-under-load.yaml", Digest: "e3b0c442", Gameday: "v0.9.0", Kubernetes: "v1.35.4", Context: "staging", Namespace: "shop",
		Target: "deploy/web", Clock: "wall", Start: t0, End: at(75), Outcome: experiment.Deviated, Reason: "probe p99 breached during the method for 5s: p99 = 0.41",
		Probes: []experiment.ProbeDef{{Name: "replicas-ready", Kind: "kubernetes", What: "Deployment/web: object.status.readyReplicas == object.spec.replicas", Expect: "object.status.readyReplicas == object.spec.replicas", Phases: []string{"before", "after"}},
			{Name: "p99", Kind: "prometheus", What: "histogram_quantile(0.99, ...)", Expect: "< 0.3", Phases: []string{"during"}, For: "5s"}},
		Steps: []experiment.StepRecord{{N: 1, Kind: "action", Action: "load", Args: "200 60s", Background: true, Start: at(1), End: at(1), Status: "ok", Detail: "constant 200/s for 1m0s"},
			{N: 2, Kind: "wait", Args: "20s", Start: at(1), End: at(21), Status: "ok"},
			{N: 3, Kind: "action", Action: "kill", Args: "30%", Start: at(21), End: at(21.2), Status: "ok", Detail: "kill 1 random pod of deploy/web in shop"},
			{N: 4, Kind: "probe", Probe: "replicas-ready", Start: at(21.2), End: at(30), Status: "ok", Detail: "held after 7.8s"}},
		Reverts:    []experiment.StepRecord{{N: 1, Kind: "halt", Action: "halt", Start: at(74), End: at(75), Status: "ok", Detail: "stopped load"}},
		Recoveries: []experiment.Recovery{{Kill: "pod/web-1", Time: at(21), Killed: 1, Replacements: 1, FirstReady: 6200 * time.Millisecond, AllReady: 6200 * time.Millisecond, Recovered: 7 * time.Second}},
		Load:       &experiment.Load{Profile: "constant 200/s for 1m0s", Sent: 12000, Completed: 11990, Errors: 30, Checks: 12, Success: 0.9975, P50: 12 * time.Millisecond, P99: 410 * time.Millisecond, Max: 900 * time.Millisecond, ServiceP50: 9 * time.Millisecond, ServiceP99: 120 * time.Millisecond, Elapsed: 60 * time.Second},
		Lines:      []string{"step 1: load 200 60s: started in the background", "outcome: deviated"},
		Restores:   []experiment.Restore{{Probe: "p99", Breach: at(23), Green: at(29), Took: 6 * time.Second, Checks: 6}},
		Scaling:    []experiment.Scaling{{Step: 1, HPA: "web", Start: at(1), From: 3, To: 5, DesiredChanged: 16 * time.Second, Ready: 24 * time.Second}},
		Budget:     &experiment.Budget{Allowed: 0.001, Requests: 11990, Failed: 30, Burned: 30 / 11.99},
	}
	for i := 0; i < 60; i++ {
		v := 0.1 + 0.002*float64(i)
		if i >= 22 && i < 28 {
			v = 0.41
		}
		j.Checks = append(j.Checks, experiment.Check{Probe: "p99", Phase: "during", Time: at(float64(i + 1)), Held: v < 0.3, Value: f(v)})
	}
	j.Verdicts = []experiment.Verdict{
		{Probe: "replicas-ready", Phase: "before", Start: t0, End: t0, Status: "held", Observed: "true", Tolerance: "object.status.readyReplicas == object.spec.replicas", Met: true, Checks: 1},
		{Probe: "replicas-ready", Phase: "step 4", Start: at(21.2), End: at(30), Status: "held", Observed: "true", Tolerance: "object.status.readyReplicas == object.spec.replicas", Met: true, Checks: 9, Breaches: 7},
		{Probe: "p99", Phase: "during", Start: at(1), End: at(61), Status: "failed", Observed: "p99 = 0.41 at 10:00:23, want < 0.3", Value: f(0.41), Tolerance: "< 0.3", Checks: 60, Breaches: 6},
	}
	return j
}

// TestReportGolden: the Markdown of a fixed journal, section by section, and its chart is SVG a
// parser reads, with the tolerance, the breaches and the steps drawn.
func TestReportGolden(t *testing.T) {
	f, err := Render("run", fixture())
	if err != nil {
		t.Fatal(err)
	}
	golden.RequireEqual(t, f.Markdown)
	svg, ok := f.Charts["run-p99.svg"]
	if !ok || len(f.Charts) != 1 {
		t.Fatalf("charts %v: want run-p99.svg only (a CEL probe has none)", keys(f.Charts))
	}
	dec := xml.NewDecoder(bytes.NewReader(svg))
	var root string
	paths, texts := 0, []string{}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the chart is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = se.Name.Local
			}
			if se.Name.Local == "path" {
				paths++
			}
		}
		if cd, ok := tok.(xml.CharData); ok && strings.TrimSpace(string(cd)) != "" {
			texts = append(texts, strings.TrimSpace(string(cd)))
		}
	}
	all := strings.Join(texts, "|")
	if root != "svg" || paths < 10 || !strings.Contains(all, "p99") || !strings.Contains(all, "3 kill") || !strings.Contains(all, "breach") {
		t.Fatalf("root %q, %d paths, texts %q", root, paths, all)
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestSignalsAreChartedWithoutAProbe (issue 28): a run whose probes are all Kubernetes probes had a
// report with no chart at all; the target's signals sampled over the run are charted whatever the
// probes read.
func TestSignalsAreChartedWithoutAProbe(t *testing.T) {
	j := fixture()
	j.Probes, j.Checks = j.Probes[:1], nil
	for i, n := range []string{"rate", "ready"} {
		s := experiment.SignalSeries{Name: n, Convention: "client_golang http_requests_total", Unit: "req/s"}
		for k := 0; k < 30; k++ {
			s.Points = append(s.Points, experiment.SignalPoint{T: j.Start.Add(time.Duration(k*2) * time.Second), V: float64(100*(1-i) + k)})
		}
		j.Signals = append(j.Signals, s)
	}
	f, err := Render("run", j)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(f.Markdown), "## Signals of the target") || f.Charts["run-signal-rate.svg"] == nil || f.Charts["run-signal-ready.svg"] == nil {
		t.Fatalf("charts %v:\n%s", keysOf(f.Charts), f.Markdown)
	}
	if strings.Contains(string(f.Markdown), "## Probes over time") {
		t.Fatal("a Kubernetes probe was charted")
	}
}

func keysOf(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
