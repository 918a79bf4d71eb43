package report

import (
	"bytes"
	"fmt"
	"image/color"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/recording"
	"github.com/gamedaylab/gameday/session"
	"github.com/gamedaylab/gameday/sources"
)

// Around is how far either side of an action the report looks for error log lines.
const Around = 30 * time.Second

// Limits keep a long session's report readable; what is left out is counted.
const (
	maxSeries      = 8
	maxFailed      = 20
	maxErrorGroups = 5
)

// WriteRecording renders a recorded session's report into dir as BASE.md and BASE-PANEL.svg.
func WriteRecording(dir, base string, rec *recording.Recording) (string, error) {
	f, err := RenderRecording(base, rec)
	if err != nil {
		return "", err
	}
	return write(dir, base, f)
}

// readyOf is the Deployment's ready replicas, -1 when it is not in the cluster.
func readyOf(c *model.Cluster, ns, deploy string) int32 {
	if d := c.Deployment(ns, deploy); d != nil {
		return d.Ready
	}
	return -1
}

// podSet is the names of the Deployment's pods.
func podSet(c *model.Cluster, ns, deploy string) map[string]bool {
	out := map[string]bool{}
	for _, p := range c.TargetPods(ns, deploy) {
		out[p.Name] = true
	}
	return out
}

// noticed reports whether the cluster has reacted to a loss: the Deployment's ready replicas fell
// below what they were at the kill, or its controller made a pod that was not there then.
func noticed(c *model.Cluster, ns, deploy string, ready int32, before map[string]bool) bool {
	d := c.Deployment(ns, deploy)
	if d == nil {
		return false
	}
	if ready >= 0 && d.Ready < ready {
		return true
	}
	for _, p := range c.TargetPods(ns, deploy) {
		if !before[p.Name] {
			return true
		}
	}
	return false
}

// facts is what a recording says happened, gathered in one pass over its events.
type facts struct {
	h          recording.Header
	start, end time.Time
	entries    []actions.Entry
	detected   map[int]time.Time // entry index of a kill or drain -> the cluster first reacted (ready fell or a replacement appeared)
	series     map[string]map[string]map[int64]float64
	panelOrder []string
	loads      []load.Status // the last active status of each load run
	failed     []sources.TraceSummary
	errors     []sources.LogLine
	verdicts   []session.Probe
	outcome    *session.Outcome
}

type window struct {
	id         string
	start, end time.Time
	what       string
}

func gather(rec *recording.Recording) *facts {
	f := &facts{h: rec.Header, start: rec.Header.Start, end: rec.Header.Start, detected: map[int]time.Time{},
		series: map[string]map[string]map[int64]float64{}}
	for _, p := range rec.Header.Panels {
		f.panelOrder = append(f.panelOrder, p.ID)
	}
	c := model.NewCluster()
	target := strings.TrimPrefix(rec.Header.Target, "deploy/")
	ns := rec.Header.Namespace
	// Detection is read from the deltas after each kill's start, which may come before its result
	// (the watch can beat the delete call's return), so the kills are found first.
	type watch struct {
		entry int
		at    time.Time
		armed bool
		ready int32
		pods  map[string]bool
	}
	var watching []watch
	n := 0
	for _, ev := range rec.Events {
		if p, ok := ev.Payload.(actions.Result); ok {
			e := p.Entry
			ok := e.Result == actions.ResultOK || e.Result == actions.ResultDryRun
			if a := e.Action; ok && (a == "kill" || a == "monkey-kill" || a == "drain") {
				watching = append(watching, watch{entry: n, at: e.Time})
			}
			n++
		}
	}
	sort.SliceStable(watching, func(a, b int) bool { return watching[a].at.Before(watching[b].at) })
	seenTrace := map[string]bool{}
	seenLine := map[string]bool{}
	var active *load.Status
	for _, ev := range rec.Events {
		if ev.Time.After(f.end) {
			f.end = ev.Time
		}
		switch p := ev.Payload.(type) {
		case *model.ClusterDelta:
			for i := range watching {
				if w := &watching[i]; !w.armed && !ev.Time.Before(w.at) {
					w.armed, w.ready, w.pods = true, readyOf(c, ns, target), podSet(c, ns, target)
				}
			}
			c.Apply(p, ev.Time)
			kept := watching[:0]
			for _, w := range watching {
				if w.armed && noticed(c, ns, target, w.ready, w.pods) {
					f.detected[w.entry] = ev.Time
					continue
				}
				kept = append(kept, w)
			}
			watching = kept
		case session.Where:
			ns, target = p.Namespace, strings.TrimPrefix(p.Target, "deploy/")
		case actions.Result:
			e := p.Entry
			f.entries = append(f.entries, e)
		case sources.MetricsMsg:
			if p.Err != "" {
				continue
			}
			panel := f.series[p.Panel]
			if panel == nil {
				panel = map[string]map[int64]float64{}
				f.series[p.Panel] = panel
				if !slices.Contains(f.panelOrder, p.Panel) {
					f.panelOrder = append(f.panelOrder, p.Panel)
				}
			}
			for _, s := range p.Series {
				pts := panel[s.Name]
				if pts == nil {
					pts = map[int64]float64{}
					panel[s.Name] = pts
				}
				for _, pt := range s.Points {
					pts[pt.T.UnixNano()] = pt.V // a refresh repeats the window: the newest value wins
				}
			}
		case load.Status:
			if p.Active {
				st := p
				active = &st
			} else if active != nil {
				f.loads = append(f.loads, *active)
				active = nil
			}
		case sources.TracesMsg:
			for _, t := range p.Traces {
				if t.Error && !seenTrace[t.TraceID] {
					seenTrace[t.TraceID] = true
					f.failed = append(f.failed, t)
				}
			}
		case sources.LogsMsg:
			for _, l := range p.Lines {
				if !strings.EqualFold(l.Level, "error") {
					continue
				}
				k := fmt.Sprint(l.Time.UnixNano(), l.Pod, l.Seq, l.Msg)
				if !seenLine[k] {
					seenLine[k] = true
					f.errors = append(f.errors, l)
				}
			}
		case session.Probe:
			if p.Verdict != "" {
				f.verdicts = append(f.verdicts, p)
			}
		case session.Outcome:
			o := p
			f.outcome = &o
		}
	}
	if active != nil {
		f.loads = append(f.loads, *active) // still running when the recording ended
	}
	sort.SliceStable(f.failed, func(a, b int) bool { return f.failed[a].Start.Before(f.failed[b].Start) })
	sort.SliceStable(f.errors, func(a, b int) bool { return f.errors[a].Time.Before(f.errors[b].Time) })
	return f
}

// faults pairs each injected fault with what ended it: :unfault, its duration, HALT, or the end.
func (f *facts) faults() []window {
	var out []window
	open := map[string]int{}
	closeAll := func(t time.Time, match func(id string) bool) {
		for id, i := range open {
			if match(id) {
				out[i].end = t
				delete(open, id)
			}
		}
	}
	for _, e := range f.entries {
		if e.Result != actions.ResultOK {
			continue
		}
		switch e.Action {
		case "fault":
			for _, t := range e.Targets {
				if id, ok := strings.CutPrefix(t, "fault/"); ok {
					open[id] = len(out)
					out = append(out, window{id: id, start: e.Time, what: e.Detail})
				}
			}
		case "unfault":
			for _, t := range e.Targets {
				id := strings.TrimPrefix(t, "fault/")
				closeAll(e.Time, func(x string) bool { return id == "all" || x == id })
			}
		case "fault-expired":
			for _, t := range e.Targets {
				closeAll(e.Time, func(x string) bool { return strings.HasPrefix(t, "fault "+x+" ") })
			}
		case "halt":
			closeAll(e.Time, func(string) bool { return true })
		}
	}
	closeAll(f.end, func(string) bool { return true })
	return out
}

// acted says whether an entry is something a person or the monkey did (not a note or a measured event).
func acted(e actions.Entry) bool {
	if e.Result != actions.ResultOK && e.Result != actions.ResultDryRun || e.Action == "note" {
		return false
	}
	spec, ok := actions.Lookup(e.Action)
	return ok && !spec.Event
}

// RenderRecording renders a recorded session's report; charts are named BASE-PANEL.svg.
func RenderRecording(base string, rec *recording.Recording) (Files, error) {
	f := gather(rec)
	out := Files{Charts: map[string][]byte{}}
	var b bytes.Buffer
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	at := func(t time.Time) string { return "+" + fmtDur(t.Sub(f.start)) }
	h := f.h

	title := "session on " + h.Context
	if f.outcome != nil {
		title = f.outcome.Experiment
	}
	p("# Game day report: %s\n\n", title)
	if o := f.outcome; o != nil {
		if o.DryRun {
			p("**DRY RUN**: the actions were validated by the API server, nothing was changed; the verdict judges a system nothing happened to.\n\n")
		}
		p("**Outcome: %s**", strings.ToUpper(o.Outcome))
		if o.Reason != "" {
			p(": %s", o.Reason)
		}
		p("\n\n")
	}
	p("| | |\n| --- | --- |\n")
	row := func(k, v string) {
		if v != "" {
			p("| %s | %s |\n", k, cell(v))
		}
	}
	row("Context", h.Context)
	row("Namespace", h.Namespace)
	row("Target", h.Target)
	row("User", h.User)
	row("Scenario", h.Scenario)
	row("gameday", h.Gameday)
	demo := ""
	if h.Demo {
		demo = " (the simulated demo cluster)"
	}
	row("Start", h.Start.UTC().Format(time.RFC3339)+demo)
	row("Duration", fmtDur(f.end.Sub(f.start)))
	row("Recording", fmt.Sprintf("%s (%d events)", rec.Path, len(rec.Events)))
	row("Backends", strings.Join(nonEmpty("metrics "+h.Metrics, "traces "+h.Traces, "logs "+h.Logs), ", "))
	if rec.Truncated != "" {
		row("**Truncated**", fmt.Sprintf("recording incomplete from %s (%s): the report covers what was written before", f.end.UTC().Format("15:04:05"), rec.Truncated))
	}
	if rec.Skipped > 0 {
		row("Skipped", fmt.Sprintf("%d events of kinds this gameday does not know (a newer build wrote them)", rec.Skipped))
	}
	p("\n")

	if len(f.verdicts) > 0 {
		p("## Hypothesis\n\n| Probe | Phase | Verdict | Observed | Tolerance | Checks |\n| --- | --- | --- | --- | --- | --- |\n")
		for _, v := range f.verdicts {
			mark := v.Verdict
			if v.Verdict == "failed" || v.Verdict == "aborted" {
				mark = "**" + strings.ToUpper(v.Verdict) + "**"
			}
			checks := fmt.Sprint(v.Checks)
			if v.Breaches > 0 {
				checks += fmt.Sprintf(" (%d breached)", v.Breaches)
			}
			p("| %s | %s | %s | %s | %s | %s |\n", cell(v.Name), cell(v.Phase), mark, cell(v.Seen), cell(v.Tolerance), checks)
		}
		p("\n")
	}

	p("## Timeline\n\n| When | What | Result |\n| --- | --- | --- |\n")
	first := f.end
	for _, e := range f.entries {
		if acted(e) {
			first = e.Time
			break
		}
	}
	p("| +0s | baseline: recording started | until the first action, %s |\n", at(first))
	type line struct {
		t            time.Time
		what, result string
	}
	var rows []line
	for i, e := range f.entries {
		what := strings.TrimSpace(e.Action + " " + strings.Join(e.Targets, " "))
		if e.Actor != "" {
			what = e.Actor + ": " + what
		}
		result := e.Result
		switch {
		case e.Error != "":
			result += ": " + e.Error
		case e.Detail != "":
			result += ": " + e.Detail
		}
		if e.Action == "note" {
			what, result = "note", e.Detail
		}
		if e.Action == "halt" {
			what = "**HALT**"
		}
		rows = append(rows, line{e.Time, what, result})
		if d, ok := f.detected[i]; ok {
			rows = append(rows, line{d, "detection: " + h.Target + " noticed the loss", fmt.Sprintf("%s after the %s", fmtDur(d.Sub(e.Time)), e.Action)})
		}
	}
	sort.SliceStable(rows, func(a, b int) bool { return rows[a].t.Before(rows[b].t) })
	for _, r := range rows {
		p("| %s | %s | %s |\n", at(r.t), cell(r.what), cell(r.result))
	}
	p("| %s | recording ended | |\n\n", at(f.end))

	faults := f.faults()
	charts := 0
	titles := map[string]sources.Panel{}
	for _, pn := range h.Panels {
		titles[pn.ID] = pn
	}
	for _, id := range f.panelOrder {
		series := f.series[id]
		if len(series) == 0 {
			continue
		}
		pn, ok := titles[id]
		if !ok {
			pn = sources.Panel{ID: id, Title: id}
		}
		svg, left, err := f.panelChart(pn, series, faults)
		if err != nil {
			return out, fmt.Errorf("chart of %s: %w", id, err)
		}
		if charts == 0 {
			p("## Signals\n\nThe series as the cockpit fetched them; grey lines are the actions, shaded spans the faults.\n\n")
		}
		charts++
		name := fmt.Sprintf("%s-%s.svg", base, slug(id))
		out.Charts[name] = svg
		p("### %s\n\n![%s](%s)\n\n", cell(pn.Title), cell(pn.Title), name)
		if left > 0 {
			p("%d more series are not drawn.\n\n", left)
		}
	}
	if len(faults) > 0 {
		p("## Faults\n\n| Fault | From | Until | For | What |\n| --- | --- | --- | --- | --- |\n")
		for _, w := range faults {
			p("| %s | %s | %s | %s | %s |\n", w.id, at(w.start), at(w.end), fmtDur(w.end.Sub(w.start)), cell(w.what))
		}
		p("\n")
	}

	// One row per kill, in the order they ran; a kill whose recovery the session had not measured
	// when the recording ended still has its row, so the reader sees it was not seen.
	type killRow struct {
		kill         int
		took, detail string
	}
	var killRows []killRow
	open := map[string]int{} // a kill's targets -> its row, for the recovery measured after it
	for i, e := range f.entries {
		key := strings.Join(e.Targets, " ")
		switch e.Action {
		case "kill", "monkey-kill":
			if e.Result == actions.ResultOK {
				open[key] = len(killRows)
				killRows = append(killRows, killRow{kill: i, took: "not measured before the recording ended"})
			}
		case "recovery":
			k, ok := open[key]
			if !ok {
				continue
			}
			delete(open, key)
			killRows[k].took, killRows[k].detail = e.Recovery, e.Detail
			if e.Recovery == "" {
				killRows[k].took = "**not recovered**: " + e.Error
			}
		}
	}
	var recov []string
	for _, r := range killRows {
		k := f.entries[r.kill]
		detected := "not seen"
		if d, ok := f.detected[r.kill]; ok {
			detected = fmtDur(d.Sub(k.Time))
		}
		recov = append(recov, fmt.Sprintf("| %s | %s | %s | %s | %s |\n", cell(strings.Join(k.Targets, " ")), at(k.Time), detected, cell(r.took), cell(r.detail)))
	}
	if len(recov) > 0 {
		p("## Recovery\n\nDetected: the target's ready replicas fell or its controller made a replacement pod. Recovered: ready replicas back to desired.\n\n")
		p("| Kill | Killed at | Detected after | Recovered after | Detail |\n| --- | --- | --- | --- | --- |\n%s\n", strings.Join(recov, ""))
	}
	if len(f.loads) > 0 {
		p("## Load\n\n| Profile | Sent | Completed | Errors | of which failed checks | Success | p50 | p99 | Max | p99 from the actual send | Elapsed |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
		for _, l := range f.loads {
			svc := "" // recordings made before the second definition was kept
			if l.ServiceP99 > 0 {
				svc = fmtDur(l.ServiceP99)
			}
			p("| %s | %d | %d | %d | %d | %.2f%% | %s | %s | %s | %s | %s |\n", cell(l.Profile.String()), l.Sent, l.Completed, l.Errors, l.CheckFailures,
				100*l.Success, fmtDur(l.P50), fmtDur(l.P99), fmtDur(l.Max), svc, fmtDur(l.Elapsed))
		}
		p("\nEach row is a load run's last second. p50, p99 and Max count from each request's intended send time (a wait\n" +
			"behind a stalled server counts); from the actual send is what vegeta and k6 report.\n\n")
	}
	if len(f.failed) > 0 {
		p("## Failed traces\n\n| When | Trace | Root | Duration |\n| --- | --- | --- | --- |\n")
		for i, t := range f.failed {
			if i == maxFailed {
				p("\n%d more failed traces are in the recording (gameday replay shows them).\n", len(f.failed)-maxFailed)
				break
			}
			p("| %s | `%s` | %s | %s |\n", at(t.Start), t.TraceID, cell(t.Service+" "+t.Root), fmtDur(t.Duration))
		}
		p("\n")
	}
	if len(f.errors) > 0 {
		p("## Error logs around each action\n\nThe most frequent ERROR lines within %s of each action.\n\n", fmtDur(Around))
		for _, e := range f.entries {
			if !acted(e) {
				continue
			}
			p("**%s %s** (%s)\n\n", at(e.Time), cell(e.Action), cell(strings.Join(e.Targets, " ")))
			groups := f.errorsAround(e.Time)
			if len(groups) == 0 {
				p("No error lines.\n\n")
				continue
			}
			for i, g := range groups {
				if i == maxErrorGroups {
					p("- and %d more kinds of error\n", len(groups)-maxErrorGroups)
					break
				}
				p("- %d × `%s` (first %s on %s)\n", g.n, strings.ReplaceAll(g.msg, "`", "'"), at(g.first.Time), g.first.Pod)
			}
			p("\n")
		}
	}
	var notes []actions.Entry
	for _, e := range f.entries {
		if e.Action == "note" && e.Result == actions.ResultOK {
			notes = append(notes, e)
		}
	}
	if len(notes) > 0 {
		p("## Notes\n\n")
		for _, e := range notes {
			who := ""
			if e.User != "" {
				who = " (" + e.User + ")"
			}
			p("- %s %s%s\n", at(e.Time), e.Detail, who)
		}
		p("\n")
	}
	out.Markdown = b.Bytes()
	return out, nil
}

type errorGroup struct {
	msg   string
	n     int
	first sources.LogLine
}

func (f *facts) errorsAround(t time.Time) []errorGroup {
	by := map[string]*errorGroup{}
	for _, l := range f.errors {
		if l.Time.Before(t.Add(-Around)) || l.Time.After(t.Add(Around)) {
			continue
		}
		msg := l.Msg
		if msg == "" {
			msg = l.Raw
		}
		msg = strings.Join(strings.Fields(msg), " ")
		if g := by[msg]; g != nil {
			g.n++
		} else {
			by[msg] = &errorGroup{msg: msg, n: 1, first: l}
		}
	}
	var out []errorGroup
	for _, g := range by {
		out = append(out, *g)
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].n != out[b].n {
			return out[a].n > out[b].n
		}
		return out[a].first.Time.Before(out[b].first.Time)
	})
	return out
}

var palette = []color.Color{
	color.RGBA{R: 31, G: 119, B: 180, A: 255}, color.RGBA{R: 255, G: 127, B: 14, A: 255}, color.RGBA{R: 44, G: 160, B: 44, A: 255},
	color.RGBA{R: 148, G: 103, B: 189, A: 255}, color.RGBA{R: 140, G: 86, B: 75, A: 255}, color.RGBA{R: 227, G: 119, B: 194, A: 255},
	color.RGBA{R: 127, G: 127, B: 127, A: 255}, color.RGBA{R: 188, G: 189, B: 34, A: 255},
}

// panelChart draws a panel's recorded series over the session, the faults shaded and the actions as
// labelled lines; it returns how many series it left out.
func (f *facts) panelChart(pn sources.Panel, series map[string]map[int64]float64, faults []window) ([]byte, int, error) {
	plt := plot.New()
	plt.Title.Text = pn.Title
	plt.X.Label.Text = "seconds since the start"
	plt.Y.Label.Text = pn.Unit
	names := slices.Sorted(maps.Keys(series))
	left := max(len(names)-maxSeries, 0)
	names = names[:min(len(names), maxSeries)]
	sec := func(ns int64) float64 { return time.Unix(0, ns).Sub(f.start).Seconds() }
	lo, hi := 0.0, 0.0
	var lines []*plotter.Line
	for i, n := range names {
		ts := slices.Sorted(maps.Keys(series[n]))
		pts := make(plotter.XYs, 0, len(ts))
		for _, t := range ts {
			v := series[n][t]
			pts = append(pts, plotter.XY{X: sec(t), Y: v})
			lo, hi = min(lo, v), max(hi, v)
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, 0, err
		}
		l.Color = palette[i%len(palette)]
		l.Width = vg.Points(1.2)
		lines = append(lines, l)
		plt.Legend.Add(n, l)
	}
	if hi <= lo {
		hi = lo + 1
	}
	xmax := f.end.Sub(f.start).Seconds()
	for _, w := range faults {
		x0, x1 := w.start.Sub(f.start).Seconds(), w.end.Sub(f.start).Seconds()
		poly, err := plotter.NewPolygon(plotter.XYs{{X: x0, Y: lo}, {X: x1, Y: lo}, {X: x1, Y: hi}, {X: x0, Y: hi}})
		if err != nil {
			return nil, 0, err
		}
		poly.Color = color.NRGBA{R: 214, G: 39, B: 40, A: 50}
		poly.LineStyle.Width = 0
		plt.Add(poly)
	}
	for _, l := range lines {
		plt.Add(l)
	}
	var labels plotter.XYLabels
	for _, e := range f.entries {
		if !acted(e) {
			continue
		}
		x := e.Time.Sub(f.start).Seconds()
		l, _ := plotter.NewLine(plotter.XYs{{X: x, Y: lo}, {X: x, Y: hi}})
		l.Color = color.Gray{Y: 150}
		plt.Add(l)
		labels.XYs = append(labels.XYs, plotter.XY{X: x, Y: hi})
		labels.Labels = append(labels.Labels, " "+actions.MarkerLabel(e.Action))
	}
	if len(labels.XYs) > 0 {
		lb, err := plotter.NewLabels(labels)
		if err != nil {
			return nil, 0, err
		}
		plt.Add(lb)
	}
	plt.X.Min, plt.X.Max = 0, max(xmax, 1)
	plt.Legend.Top = true
	c := vgsvg.NewWith(vgsvg.UseWH(7*vg.Inch, 3*vg.Inch), vgsvg.EmbedFonts(false))
	plt.Draw(draw.New(c))
	var out bytes.Buffer
	if _, err := c.WriteTo(&out); err != nil {
		return nil, 0, err
	}
	return out.Bytes(), left, nil
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if f := strings.Fields(s); len(f) > 1 {
			out = append(out, s)
		}
	}
	return out
}
