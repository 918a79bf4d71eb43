package report

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/bus"
	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/recording"
	"github.com/gamedaylab/gameday/session"
	"github.com/gamedaylab/gameday/sources"
)

// sessionFixture writes a two-minute session through the recording writer and reads it back, so the
// report is rendered from what a real file decodes to: a kill with its detection and recovery, a
// fault ended by :unfault, a load run, a failed trace, error logs around the kill, a note, HALT, and
// a scenario's verdicts and outcome.
func sessionFixture(t *testing.T) *recording.Recording {
	t.Helper()
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	path := filepath.Join(t.TempDir(), "s.gdr")
	h := recording.Header{Gameday: "v0.9.0", Context: "staging", Namespace: "shop", Target: "web", User: "alice", Start: t0,
		Panels:  []sources.Panel{{ID: "rps", Title: "Requests per second", Unit: "req/s"}, {ID: "p99", Title: "p99 latency", Unit: "s"}},
		Metrics: "prometheus http://127.0.0.1:9090", Traces: "zipkin", Logs: "elasticsearch", Scenario: "examples/kill-under-load.yaml"}
	w, err := recording.Create(path, h, 0)
	if err != nil {
		t.Fatal(err)
	}
	seq := uint64(0)
	put := func(s float64, kind string, p any) {
		seq++
		if err := w.Write(bus.Envelope{Seq: seq, Time: at(s), Kind: kind, Payload: p}); err != nil {
			t.Fatal(err)
		}
	}
	deploy := func(ready int32) *model.ClusterDelta {
		return &model.ClusterDelta{Deployments: []model.Deployment{{Namespace: "shop", Name: "web", Desired: 3, Ready: ready, Available: ready}}}
	}
	entry := func(s float64, action, result string, targets []string, detail string) actions.Result {
		return actions.Result{Entry: actions.Entry{Time: at(s), Context: "staging", User: "alice", Action: actions.Name(action), Result: result, Targets: targets, Detail: detail}}
	}
	put(0, session.KindCluster, &model.ClusterDelta{Reset: true, Deployments: deploy(3).Deployments,
		Pods: []model.Pod{{Namespace: "shop", Name: "web-1", Phase: "Running", Ready: true}}})
	for i := 0; i <= 120; i += 5 {
		var rps, p99 []sources.Point
		for k := max(i-30, 0); k <= i; k += 5 {
			v := 200.0
			if k >= 40 && k < 70 {
				v = 150
			}
			rps = append(rps, sources.Point{T: at(float64(k)), V: v})
			p99 = append(p99, sources.Point{T: at(float64(k)), V: 0.05 + float64(k%20)/1000})
		}
		put(float64(i), session.KindMetrics, sources.MetricsMsg{Panel: "rps", Series: []sources.Series{{Name: "web", Points: rps}}})
		put(float64(i)+0.1, session.KindMetrics, sources.MetricsMsg{Panel: "p99", Series: []sources.Series{{Name: "p99", Points: p99}}})
	}
	prof := load.Profile{Name: "constant", Rate: 200, Duration: 60 * time.Second}
	put(10, session.KindAction, entry(10, "load-start", actions.ResultOK, []string{"http://127.0.0.1:8080/"}, "constant 200/s for 1m0s"))
	for s := 11; s <= 70; s += 10 {
		put(float64(s), session.KindLoad, load.Status{Active: true, Profile: prof, Sent: int64(200 * (s - 10)), Completed: int64(200*(s-10) - 2),
			Errors: 3, Success: 0.999, P50: 12 * time.Millisecond, P99: 80 * time.Millisecond, Max: 200 * time.Millisecond, ServiceP99: 60 * time.Millisecond, Elapsed: time.Duration(s-10) * time.Second})
	}
	put(71, session.KindLoad, load.Status{})
	put(40, session.KindAction, entry(40, "kill", actions.ResultOK, []string{"pod/web-1"}, "kill 1 random pod of deploy/web in shop"))
	put(40.5, session.KindCluster, deploy(2))
	put(41, session.KindLogs, sources.LogsMsg{Lines: []sources.LogLine{
		{Time: at(41), Pod: "web-2", Level: "error", Msg: "upstream connect error"},
		{Time: at(42), Pod: "web-3", Level: "error", Msg: "upstream connect error"},
		{Time: at(42), Pod: "web-3", Level: "info", Msg: "retrying"},
		{Time: at(43), Pod: "web-2", Level: "ERROR", Msg: "context deadline exceeded"}}})
	put(41.5, session.KindLogs, sources.LogsMsg{Lines: []sources.LogLine{{Time: at(41), Pod: "web-2", Level: "error", Msg: "upstream connect error"}}}) // a refetch repeats it
	put(44, session.KindTraces, sources.TracesMsg{Traces: []sources.TraceSummary{
		{TraceID: "4bf92f3577b34da6", Start: at(43), Root: "GET /", Service: "frontend", Duration: 1200 * time.Millisecond, Error: true},
		{TraceID: "00f067aa0ba902b7", Start: at(43.5), Root: "GET /", Service: "frontend", Duration: 20 * time.Millisecond}}})
	put(47, session.KindCluster, deploy(3))
	rec := entry(47.2, "recovery", actions.ResultOK, []string{"pod/web-1"}, "recovered in 7.2s: after kill at 10:00:40")
	rec.Entry.Recovery = "7.2s"
	put(47.2, session.KindAction, rec)
	put(50, session.KindAction, entry(50, "fault", actions.ResultOK, []string{"virtualservice/shop/web", "fault/f1"}, "abort 503 on 30% of web for 1m"))
	put(65, session.KindAction, entry(65, "unfault", actions.ResultOK, []string{"fault/f1"}, "fault f1"))
	put(80, session.KindAction, entry(80, "note", actions.ResultOK, nil, "p99 stayed flat: the retry budget absorbed the abort"))
	put(90, session.KindProbe, session.Probe{Name: "p99", Phase: "during", Time: at(90), Held: true, Seen: "p99 = 0.07", Verdict: "held", Tolerance: "< 0.3", Checks: 60})
	put(90, session.KindProbe, session.Probe{Name: "replicas-ready", Phase: "after", Time: at(90), Seen: "2 of 3", Verdict: "failed", Tolerance: "== spec", Checks: 1, Breaches: 1})
	put(100, session.KindAction, entry(100, "halt", actions.ResultOK, []string{"load"}, "nothing was running"))
	put(101, session.KindOutcome, session.Outcome{Experiment: "kill-under-load", File: "examples/kill-under-load.yaml", Outcome: "deviated", Reason: "probe replicas-ready failed after the method"})
	put(120, session.KindMetrics, sources.MetricsMsg{Panel: "rps", Err: "unreachable"})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := recording.Read(path, session.Kinds())
	if err != nil {
		t.Fatal(err)
	}
	r.Path = "sessions/20261203-100000-staging.gdr" // the golden must not hold a temporary directory
	return r
}

// TestSessionReportGolden: the Markdown of a recorded session, and its charts are SVG a parser
// reads with the series, the action markers and a shaded fault window.
func TestSessionReportGolden(t *testing.T) {
	f, err := RenderRecording("s", sessionFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("REPORT_OUT"); dir != "" { // to look at: REPORT_OUT=/tmp/r go test ./report
		if _, err := write(dir, "s", f); err != nil {
			t.Fatal(err)
		}
	}
	golden.RequireEqual(t, f.Markdown)
	md := string(f.Markdown)
	for _, want := range []string{"detection: web noticed the loss | 500ms after the kill", "| f1 | +50s | +1m5s | 15s |",
		"2 × `upstream connect error`", "`4bf92f3577b34da6`", "p99 stayed flat", "**Outcome: DEVIATED**", "| pod/web-1 | +40s | 500ms | 7.2s |"} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if strings.Contains(md, "00f067aa0ba902b7") {
		t.Error("a trace without an error is listed as failed")
	}
	if len(f.Charts) != 2 {
		t.Fatalf("charts %v: want one per panel", keys(f.Charts))
	}
	root, paths, texts := parseSVG(t, f.Charts["s-rps.svg"])
	for _, want := range []string{"Requests per second", "kill", "burst", "fault", "HALT", "web"} {
		if !strings.Contains(texts, want) {
			t.Errorf("the rps chart lacks the text %q: %q", want, texts)
		}
	}
	if root != "svg" || paths < 10 {
		t.Fatalf("root %q, %d paths", root, paths)
	}
	if !bytes.Contains(f.Charts["s-rps.svg"], []byte("fill-opacity")) && !bytes.Contains(f.Charts["s-rps.svg"], []byte("rgba(")) {
		t.Error("no translucent fill: the fault window is not shaded")
	}
}

func parseSVG(t *testing.T, svg []byte) (root string, paths int, texts string) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	var all []string
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
			all = append(all, strings.TrimSpace(string(cd)))
		}
	}
	return root, paths, strings.Join(all, "|")
}

// TestDetectionIsReadAroundTheResult: the cluster's reaction counts from the kill's start even when
// the watch delivered it before the delete call returned, and a replacement pod is a reaction even
// when the ready count never dips (a fast controller).
func TestDetectionIsReadAroundTheResult(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	web := model.Deployment{Namespace: "shop", Name: "web", Desired: 2, Ready: 2, Available: 2, Selector: map[string]string{"app": "web"}}
	pod := func(name string) model.Pod {
		return model.Pod{Namespace: "shop", Name: name, Phase: "Running", Ready: true, Labels: map[string]string{"app": "web"}}
	}
	for _, c := range []struct {
		name  string
		after []model.Pod // the pods in the delta after the kill; Ready stays 2 throughout
		want  string
	}{
		{"replacement", []model.Pod{pod("web-a"), pod("web-b"), pod("web-c")}, "detection: web noticed the loss | 300ms after the kill"},
		{"nothing", []model.Pod{pod("web-a"), pod("web-b")}, "| pod/web-a | +1s | not seen | not measured before the recording ended |"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "d.gdr")
			w, err := recording.Create(path, recording.Header{Context: "staging", Namespace: "shop", Target: "web", Start: t0}, 0)
			if err != nil {
				t.Fatal(err)
			}
			put := func(seq uint64, s float64, kind string, p any) {
				if err := w.Write(bus.Envelope{Seq: seq, Time: at(s), Kind: kind, Payload: p}); err != nil {
					t.Fatal(err)
				}
			}
			put(1, 0, session.KindCluster, &model.ClusterDelta{Reset: true, Deployments: []model.Deployment{web}, Pods: []model.Pod{pod("web-a"), pod("web-b")}})
			put(2, 1.3, session.KindCluster, &model.ClusterDelta{Reset: true, Deployments: []model.Deployment{web}, Pods: c.after})
			put(3, 1.5, session.KindAction, actions.Result{Entry: actions.Entry{Time: at(1), Action: "kill", Result: actions.ResultOK, Targets: []string{"pod/web-a"}, Detail: "kill 1 pod"}})
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			r, err := recording.Read(path, session.Kinds())
			if err != nil {
				t.Fatal(err)
			}
			f, err := RenderRecording("d", r)
			if err != nil {
				t.Fatal(err)
			}
			md := string(f.Markdown)
			if c.want == "" && strings.Contains(md, "detection:") || !strings.Contains(md, c.want) {
				t.Fatalf("want %q (none when empty):\n%s", c.want, md)
			}
		})
	}
}
