package report

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/recording"
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
		what := strings.TrimSpace(string(e.Action) + " " + strings.Join(e.Targets, " "))
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
		if e.Action == actions.Note {
			what, result = "note", e.Detail
		}
		if e.Action == actions.Halt {
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
		case actions.Kill, actions.MonkeyKill:
			if e.Result == actions.ResultOK {
				open[key] = len(killRows)
				killRows = append(killRows, killRow{kill: i, took: "not measured before the recording ended"})
			}
		case actions.Recovery:
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
			p("**%s %s** (%s)\n\n", at(e.Time), cell(string(e.Action)), cell(strings.Join(e.Targets, " ")))
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
		if e.Action == actions.Note && e.Result == actions.ResultOK {
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

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if f := strings.Fields(s); len(f) > 1 {
			out = append(out, s)
		}
	}
	return out
}
