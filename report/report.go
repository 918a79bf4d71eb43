// Package report writes a run's report from its journal: Markdown a Git forge and a terminal pager
// both read, with an SVG chart (gonum/plot) of every probe that measures a number, the steps as
// markers and the tolerance as a line.
package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/gamedaylab/gameday/experiment"
	"github.com/gamedaylab/gameday/scenario"
)

// Files is a rendered report: the Markdown and its charts, by file name.
type Files struct {
	Markdown []byte
	Charts   map[string][]byte
}

// Write renders j into dir as BASE.md and BASE-PROBE.svg; it returns the Markdown's path.
func Write(dir, base string, j *experiment.RunRecord) (string, error) {
	f, err := Render(base, j)
	if err != nil {
		return "", err
	}
	return write(dir, base, f)
}

// write puts a rendered report into dir as BASE.md beside its charts.
func write(dir, base string, f Files) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for name, b := range f.Charts {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return "", err
		}
	}
	md := filepath.Join(dir, base+".md")
	return md, os.WriteFile(md, f.Markdown, 0o644)
}

// Render renders the report; charts are named BASE-PROBE.svg and linked relatively.
func Render(base string, j *experiment.RunRecord) (Files, error) {
	f := Files{Charts: map[string][]byte{}}
	var b bytes.Buffer
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	at := func(t time.Time) string { return "+" + fmtDur(t.Sub(j.Start)) }

	p("# Game day report: %s\n\n", j.Experiment)
	if j.Description != "" {
		p("%s\n\n", j.Description)
	}
	if j.DryRun {
		p("**DRY RUN**: the actions were validated by the API server, nothing was changed; the verdict judges a system nothing happened to.\n\n")
	}
	p("**Outcome: %s**", strings.ToUpper(j.Outcome))
	if j.Reason != "" {
		p(": %s", j.Reason)
	}
	p("\n\n")
	if j.Recording != "" {
		p("**Recording**: %s.\n\n", j.Recording)
	}
	p("| | |\n| --- | --- |\n")
	row := func(k, v string) {
		if v != "" {
			p("| %s | %s |\n", k, cell(v))
		}
	}
	row("Context", j.Context)
	row("Namespace", j.Namespace)
	row("Target", j.Target)
	row("Scenario", j.File)
	row("sha256", j.Digest)
	row("gameday", j.Gameday)
	row("Kubernetes", j.Kubernetes)
	clock := ""
	if j.Clock == "simulated" {
		clock = " (simulated time)"
	}
	row("Start", j.Start.UTC().Format(time.RFC3339)+clock)
	row("Duration", fmtDur(j.End.Sub(j.Start)))
	p("\n")

	p("## Hypothesis\n\n| Probe | Kind | Phase | Verdict | Observed | Tolerance | Checks |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	kinds := map[string]experiment.ProbeDef{}
	for _, d := range j.Probes {
		kinds[d.Name] = d
	}
	for _, v := range j.Verdicts {
		mark := map[string]string{experiment.StatusHeld: "held", experiment.StatusFailed: "**FAILED**",
			experiment.StatusAborted: "**ABORTED**", experiment.StatusInconclusive: "inconclusive"}[v.Status]
		checks := fmt.Sprint(v.Checks)
		if v.Breaches > 0 {
			checks += fmt.Sprintf(" (%d breached)", v.Breaches)
		}
		p("| %s | %s | %s | %s | %s | %s | %s |\n", v.Probe, kinds[v.Probe].Kind, v.Phase, mark, cell(v.Observed), cell(v.Tolerance), checks)
	}
	p("\n")

	p("## Timeline\n\n| When | What | Result |\n| --- | --- | --- |\n")
	type event struct {
		t            time.Time
		what, result string
	}
	var rows []event
	var unrun []string
	for _, st := range j.Steps {
		if st.Status == experiment.StepSkipped {
			unrun = append(unrun, fmt.Sprintf("| | step %d: %s | not run |\n", st.N, cell(what(st))))
			continue
		}
		rows = append(rows, event{st.Start, fmt.Sprintf("step %d: %s", st.N, what(st)), strings.TrimSpace(st.Status + " " + st.Detail)})
	}
	for _, v := range j.Verdicts {
		if v.Status != experiment.StatusFailed && v.Status != experiment.StatusAborted {
			continue
		}
		t := v.End
		for _, c := range j.Checks { // the first breach, not the end of the phase
			if c.Probe == v.Probe && c.Phase == v.Phase && !c.Held {
				t = c.Time
				break
			}
		}
		rows = append(rows, event{t, fmt.Sprintf("probe %s %s: first breach (%s)", v.Probe, v.Phase, v.Status), v.Observed})
	}
	for _, st := range j.Reverts {
		rows = append(rows, event{st.Start, "revert: " + what(st), strings.TrimSpace(st.Status + " " + st.Detail)})
	}
	sort.SliceStable(rows, func(a, b int) bool { return rows[a].t.Before(rows[b].t) })
	for _, r := range rows {
		p("| %s | %s | %s |\n", at(r.t), cell(r.what), cell(r.result))
	}
	for _, u := range unrun {
		p("%s", u)
	}
	if j.RevertsSkipped {
		p("| | **reverts skipped by a second interrupt** | a person must look |\n")
	}
	p("\n")

	charts := 0
	for _, d := range j.Probes {
		svg, ok, err := chart(j, d)
		if err != nil {
			return f, fmt.Errorf("chart of %s: %w", d.Name, err)
		}
		if !ok {
			continue
		}
		if charts == 0 {
			p("## Probes over time\n\nEach chart is one probe's checks; dashed lines are the tolerance, grey lines the steps (numbered).\n\n")
		}
		charts++
		name := fmt.Sprintf("%s-%s.svg", base, slug(d.Name))
		f.Charts[name] = svg
		p("### %s\n\n%s: `%s`\n\n![%s](%s)\n\n", d.Name, d.Kind, strings.ReplaceAll(d.What, "`", "'"), d.Name, name)
	}

	// The target's signals, whether or not a probe read them: a run whose probes are all
	// Kubernetes probes still shows what the users saw.
	sigs := 0
	for _, s := range j.Signals {
		svg, ok, err := signalChart(j, s)
		if err != nil {
			return f, fmt.Errorf("chart of %s: %w", s.Name, err)
		}
		if !ok {
			continue
		}
		if sigs == 0 {
			p("## Signals of the target\n\nSampled every 2 s in the metric convention detected for it (gameday signals); grey lines are the steps.\n\n")
		}
		sigs++
		name := fmt.Sprintf("%s-signal-%s.svg", base, slug(s.Name))
		f.Charts[name] = svg
		p("![%s](%s)\n\n", s.Name, name)
	}

	if len(j.Recoveries) > 0 {
		p("## Recovery\n\n| Kill | When | Pods | First replacement ready | All replacements ready | Replicas back to desired |\n| --- | --- | --- | --- | --- | --- |\n")
		for _, r := range j.Recoveries {
			back := fmtDur(r.Recovered)
			if r.Recovered == 0 {
				back = "not within the run"
				if r.TimedOut {
					back = "timed out"
				}
			}
			p("| %s | %s | %d | %s | %s | %s |\n", cell(r.Kill), at(r.Time), r.Killed, fmtDur(r.FirstReady), fmtDur(r.AllReady), back)
		}
		p("\n")
	}
	if len(j.Restores) > 0 {
		p("## Time to restore\n\nFrom a probe's first breaching check to its next held one: how long the SLO was red.\n\n| Probe | Breach | Breaching checks | Green again after |\n| --- | --- | --- | --- |\n")
		for _, r := range j.Restores {
			took := fmtDur(r.Took)
			if r.Open {
				took = "not within the run"
			}
			p("| %s | %s | %d | %s |\n", r.Probe, at(r.Breach), r.Checks, took)
		}
		p("\n")
	}
	if len(j.Scaling) > 0 {
		p("## Autoscaling\n\n| Load step | HPA | Desired before | Highest desired | Desired changed after | New pods ready after |\n| --- | --- | --- | --- | --- | --- |\n")
		for _, sc := range j.Scaling {
			p("| %d | %s | %d | %d | %s | %s |\n", sc.Step, sc.HPA, sc.From, max(sc.To, sc.From), orNot(sc.DesiredChanged), orNot(sc.Ready))
		}
		p("\n")
	}
	if b := j.Budget; b != nil {
		p("## Error budget\n\n%d of %d requests failed (%.2f%%); the budget allows %.2f%%: **%.0f%% burned**.\n\n",
			b.Failed, b.Requests, 100*float64(b.Failed)/float64(max(b.Requests, 1)), 100*b.Allowed, 100*b.Burned)
	}
	if l := j.Load; l != nil {
		p("## Load\n\n| Profile | Sent | Completed | Errors | of which failed checks | Success | Elapsed |\n| --- | --- | --- | --- | --- | --- | --- |\n")
		p("| %s | %d | %d | %d | %d | %.2f%% | %s |\n\n", cell(l.Profile), l.Sent, l.Completed, l.Errors, l.Checks, 100*l.Success, fmtDur(l.Elapsed))
		p("| Latency | p50 | p99 | Max |\n| --- | --- | --- | --- |\n")
		p("| from the intended send | %s | %s | %s |\n", fmtDur(l.P50), fmtDur(l.P99), fmtDur(l.Max))
		if l.ServiceP50 > 0 || l.ServiceP99 > 0 {
			p("| from the actual send | %s | %s | |\n", fmtDur(l.ServiceP50), fmtDur(l.ServiceP99))
		}
		p("\nFrom the intended send, a request that waited behind a stalled server counts its wait (as wrk2 measures:\n" +
			"no coordinated omission); from the actual send is what vegeta and k6 report. A gap between the two is queueing.\n\n")
	}
	p("## Run log\n\n```\n%s\n```\n", strings.Join(j.Lines, "\n"))
	f.Markdown = b.Bytes()
	return f, nil
}

func orNot(d time.Duration) string {
	if d == 0 {
		return "not within the run"
	}
	return fmtDur(d)
}

func what(st experiment.StepRecord) string {
	switch st.Kind {
	case "action", "halt":
		return strings.TrimSpace(st.Action + " " + st.Args)
	case "wait":
		return "wait " + st.Args
	case "probe":
		return "probe " + st.Probe
	}
	return strings.TrimSpace(st.Kind + " " + st.Detail)
}

// cell keeps a value inside one Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

var unsafe = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

func slug(s string) string { return strings.Trim(unsafe.ReplaceAllString(s, "-"), "-") }

func fmtDur(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// chart draws one probe's numeric checks over the run, the tolerance and the steps.
func chart(j *experiment.RunRecord, d experiment.ProbeDef) ([]byte, bool, error) {
	var pts plotter.XYs
	var bad plotter.XYs
	for _, c := range j.Checks {
		if c.Probe != d.Name || c.Value == nil {
			continue
		}
		xy := plotter.XY{X: c.Time.Sub(j.Start).Seconds(), Y: *c.Value}
		pts = append(pts, xy)
		if !c.Held {
			bad = append(bad, xy)
		}
	}
	if len(pts) < 2 || d.Kind == "kubernetes" {
		return nil, false, nil // a CEL probe is true or false: its verdicts say it all
	}
	var tol []float64
	if x, err := scenario.ParseExpect(d.Expect); err == nil {
		tol = bounds(x)
	}
	svg, err := lineChart(j, d.Name+" (want "+d.Expect+")", d.Kind, pts, bad, tol)
	return svg, err == nil, err
}

// signalChart draws one signal of the target over the run with the steps.
func signalChart(j *experiment.RunRecord, s experiment.SignalSeries) ([]byte, bool, error) {
	if len(s.Points) < 2 {
		return nil, false, nil
	}
	pts := make(plotter.XYs, len(s.Points))
	for i, p := range s.Points {
		pts[i] = plotter.XY{X: p.T.Sub(j.Start).Seconds(), Y: p.V}
	}
	title := s.Name
	if s.Convention != "" {
		title += " (" + s.Convention + ")"
	}
	svg, err := lineChart(j, title, s.Unit, pts, nil, nil)
	return svg, err == nil, err
}

// lineChart is a run's chart: a line, its breaches as red dots, dashed tolerance lines and the
// method's steps as grey lines, numbered.
func lineChart(j *experiment.RunRecord, title, ylabel string, pts, bad plotter.XYs, tolerance []float64) ([]byte, error) {
	plt := plot.New()
	plt.Title.Text = title
	plt.X.Label.Text = "seconds since the start"
	plt.Y.Label.Text = ylabel
	line, err := plotter.NewLine(pts)
	if err != nil {
		return nil, err
	}
	line.Color = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	plt.Add(line)
	if len(bad) > 0 {
		sc, err := plotter.NewScatter(bad)
		if err != nil {
			return nil, err
		}
		sc.Color = color.RGBA{R: 214, G: 39, B: 40, A: 255}
		sc.Shape = draw.CircleGlyph{}
		plt.Add(sc)
		plt.Legend.Add("breach", sc)
	}
	xmax := math.Max(j.End.Sub(j.Start).Seconds(), pts[len(pts)-1].X)
	for _, y := range tolerance {
		l, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: y}, {X: xmax, Y: y}})
		l.Color = color.RGBA{R: 214, G: 39, B: 40, A: 255}
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		plt.Add(l)
	}
	lo, hi := plt.Y.Min, plt.Y.Max
	if hi <= lo {
		hi = lo + 1
	}
	var labels plotter.XYLabels
	for _, st := range j.Steps {
		if st.Kind != "action" || st.Start.IsZero() {
			continue
		}
		x := st.Start.Sub(j.Start).Seconds()
		l, _ := plotter.NewLine(plotter.XYs{{X: x, Y: lo}, {X: x, Y: hi}})
		l.Color = color.Gray{Y: 150}
		plt.Add(l)
		labels.XYs = append(labels.XYs, plotter.XY{X: x, Y: hi})
		labels.Labels = append(labels.Labels, fmt.Sprintf(" %d %s", st.N, st.Action))
	}
	if len(labels.XYs) > 0 {
		lb, err := plotter.NewLabels(labels)
		if err != nil {
			return nil, err
		}
		plt.Add(lb)
	}
	plt.X.Min = 0
	c := vgsvg.NewWith(vgsvg.UseWH(7*vg.Inch, 3*vg.Inch), vgsvg.EmbedFonts(false))
	plt.Draw(draw.New(c))
	var out bytes.Buffer
	if _, err := c.WriteTo(&out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func bounds(x scenario.Expect) []float64 {
	if x.Op == "between" {
		return []float64{x.V, x.Max}
	}
	return []float64{x.V}
}
