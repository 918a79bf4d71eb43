package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/gamedaylab/gameday/experiment"
	"github.com/gamedaylab/gameday/tui/core"
)

// refreshRunbook takes the scenario run's snapshot and renders the runbook text (on the tick: View
// only shows it).
func (m *Model) refreshRunbook() {
	if m.deps.Runbook == nil {
		return
	}
	ended := m.runbook.Outcome == ""
	m.runbook = m.deps.Runbook.Snapshot()
	if ended = ended && m.runbook.Outcome != ""; ended {
		// Said once, wherever the facilitator is looking: the verdict and where its report is.
		msg := "scenario " + m.runbook.Outcome
		for _, l := range m.runbook.Record.Lines {
			if rest, ok := strings.CutPrefix(l, "report  "); ok {
				msg += " · report " + rest
			}
		}
		m.setStatus(msg, m.runbook.Outcome != experiment.Held)
	}
	if m.showRunbook { // hidden, only the header's badge reads the snapshot
		w, _ := m.bodySize()
		if m.runbookDocked() {
			gw, _ := m.gridSize()
			w -= gw
		}
		// Wrapped, not cut: a docked column is narrow, and a probe's expectation is the point.
		m.runbookText = ansi.Wrap(renderRunbook(m, m.runbook), max(w-2, 10), " ")
	}
}

// dockWidth is the narrowest screen on which the runbook docks beside the panes; below it the
// runbook takes the whole body while shown.
const dockWidth = 120

func (m *Model) runbookDocked() bool { return m.ctx.Width >= dockWidth }

// gridSize is the panes' area: the body, less the docked runbook's column while it is shown.
func (m *Model) gridSize() (w, h int) {
	w, h = m.bodySize()
	if m.showRunbook && m.runbookDocked() {
		w -= min(max(w/3, 44), 72)
	}
	return w, h
}

func (m *Model) runbookFrame(w, h int) string {
	return core.Frame(m.ctx.Styles, "Runbook · "+m.runbook.Record.Experiment+" ("+keyName(m.ctx.Keys.Runbook)+": close)", m.runbookText, w, h, true)
}

// steadyHolds is false only when a scenario is loaded and its latest steady-state check failed.
func (m *Model) steadyHolds() bool {
	return m.deps.Runbook == nil || m.runbook.Steady == nil || *m.runbook.Steady
}

// nextStep lets the run go on when it waits for the facilitator.
func (m *Model) nextStep() {
	if !m.runbook.Waiting {
		switch {
		case m.runbook.Outcome != "":
			m.setStatus("the scenario has ended: "+m.runbook.Outcome, false)
		default:
			m.setStatus("the runbook is not waiting: the current step runs by itself", false)
		}
		return
	}
	select {
	case m.deps.Gate <- struct{}{}:
		m.setStatus("runbook: next step", false)
	default:
	}
	m.runbook.Waiting = false
}

// steadyBadge is the header's word on the steady state ("" without a scenario).
func (m *Model) steadyBadge() string {
	if m.deps.Runbook == nil {
		return ""
	}
	st := m.ctx.Styles
	switch {
	case m.runbook.Outcome != "":
		return st.Muted.Render("scenario " + m.runbook.Outcome)
	case m.runbook.Steady == nil:
		return st.Muted.Render("steady ?")
	case *m.runbook.Steady:
		return st.OK.Render("STEADY ✓")
	}
	return st.Err.Render("STEADY ✗")
}

func renderRunbook(m *Model, sn experiment.Snapshot) string {
	st := m.ctx.Styles
	plan := sn.Plan
	var b strings.Builder
	line := func(s string) { b.WriteString(s + "\n") }
	timer := "not started"
	if !sn.StartedAt.IsZero() {
		timer = fmtClock(m.sess.Now().Sub(sn.StartedAt))
	}
	switch {
	case sn.Outcome != "":
		why := ""
		if sn.Record.Reason != "" {
			why = " · " + sn.Record.Reason
		}
		line(st.Accent.Render(fmt.Sprintf("outcome: %s", sn.Outcome)) + st.Muted.Render(why))
	case sn.Waiting && sn.Current < 0:
		line(st.Warn.Render(fmt.Sprintf("press %s to start the method", keyName(m.ctx.Keys.NextStep))) + st.Muted.Render(" · "+timer))
	case sn.Waiting:
		line(st.Warn.Render(fmt.Sprintf("step %d waits: press %s to go on", sn.Current+1, keyName(m.ctx.Keys.NextStep))) + st.Muted.Render(" · "+timer))
	default:
		line(st.Text.Render(fmt.Sprintf("method %s", timer)))
	}
	switch {
	case sn.Steady == nil:
		line(st.Muted.Render("steady state: not checked yet"))
	case *sn.Steady:
		line(st.OK.Render("steady state holds"))
	default:
		line(st.Err.Render("steady state does not hold: " + sn.SteadyWhy))
	}
	if plan.Tool != "" {
		line(st.Muted.Render("a " + plan.Tool + " experiment, run by its rules"))
	}
	line("")
	line(st.Accent.Render("Hypothesis"))
	latest := map[string]experiment.Verdict{}
	for _, v := range sn.Record.Verdicts {
		latest[v.Probe] = v
	}
	for _, p := range plan.Probes {
		mark, seen := st.Muted.Render("○"), ""
		status := ""
		if v, ok := latest[p.Name]; ok {
			status, seen = v.Status, fmt.Sprintf(" %s: %s", v.Phase, v.Observed)
		}
		// A check newer than the last verdict (a during-probe under way) is shown live.
		if c, ok := sn.Latest[p.Name]; ok && (status == "" || c.Time.After(latest[p.Name].End)) {
			status, seen = experiment.StatusHeld, " now: "+c.Seen
			if !c.Held {
				status = experiment.StatusFailed
				if c.Err != "" {
					seen = " now: " + c.Err
				}
			}
		}
		switch status {
		case experiment.StatusHeld:
			mark = st.OK.Render("●")
		case experiment.StatusInconclusive:
			mark = st.Warn.Render("●")
		case "":
		default:
			mark = st.Err.Render("●")
		}
		line(fmt.Sprintf("%s %s %s%s", mark, p.Name, st.Muted.Render("want "+p.Want), st.Muted.Render(seen)))
	}
	line("")
	line(st.Accent.Render("Method"))
	done := map[int]experiment.StepRecord{}
	for _, r := range sn.Record.Steps {
		done[r.N] = r
	}
	for i, s := range plan.Steps {
		n := i + 1
		mark := " "
		status := ""
		if r, ok := done[n]; ok {
			status = r.Status
			mark = st.OK.Render("✓")
			if r.Status != "ok" && r.Status != "dry-run" {
				mark = st.Err.Render("✗")
			}
		} else if i == sn.Current && sn.Outcome == "" {
			mark = st.Warn.Render("▶")
		}
		text := s.Text
		if s.Manual {
			text += " (manual)"
		}
		line(fmt.Sprintf("%s %d %s %s", mark, n, text, st.Muted.Render(status)))
	}
	if plan.Rollbacks > 0 {
		line(st.Muted.Render(fmt.Sprintf("then %d rollback(s), then HALT", plan.Rollbacks)))
	}
	line("")
	lines := sn.Record.Lines
	if len(lines) > 6 {
		lines = lines[len(lines)-6:]
	}
	for _, l := range lines {
		line(st.Muted.Render(l))
	}
	return strings.TrimRight(b.String(), "\n")
}

func fmtClock(d time.Duration) string {
	d = d.Round(time.Second)
	return fmt.Sprintf("%02d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}
