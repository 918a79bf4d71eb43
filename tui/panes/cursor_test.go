package panes

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/tui/core"
)

var (
	keyLeft  = tea.KeyPressMsg{Code: tea.KeyLeft}
	keyEnter = tea.KeyPressMsg{Code: tea.KeyEnter}
	keyEsc   = tea.KeyPressMsg{Code: tea.KeyEscape}
)

// TestGraphCursor: ← puts the cursor on the latest moment and walks back a column at a time; the
// legend shows each series' value at the cursor; Enter asks for the window around it (it does not
// zoom then); esc removes the cursor, and Enter zooms again.
func TestGraphCursor(t *testing.T) {
	ctx := testCtx()
	m := NewMetrics(ctx, []sources.Panel{{ID: "rate", Title: "Requests", Unit: "req/s"}}, 5*time.Minute, "test", nil)
	m.SetSize(100, 20)
	start := now.Add(-5 * time.Minute)
	var total, errs sources.Series
	total.Name, errs.Name = "total", "5xx"
	for i := 0; i <= 300; i++ {
		at := start.Add(time.Duration(i) * time.Second)
		v := 10.0
		if i >= 200 && i < 210 {
			v = 90 // the spike
		}
		total.Points = append(total.Points, sources.Point{T: at, V: v})
		errs.Points = append(errs.Points, sources.Point{T: at, V: v / 10})
	}
	m.Update(sources.MetricsMsg{Panel: "rate", Series: []sources.Series{total, errs}, Start: start, End: now})
	m.Update(keyLeft)
	if !m.Cursor().Equal(now) {
		t.Fatalf("the first ← puts the cursor at the latest moment, got %s", m.Cursor())
	}
	for !m.Cursor().Before(start.Add(205 * time.Second)) {
		m.Update(keyLeft)
	}
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "Requests @") || !strings.Contains(v, "━ total 90/s") || !strings.Contains(v, "━ 5xx 9/s") {
		t.Fatalf("the legend does not show the values at the cursor (%s):\n%s", m.Cursor().Format("15:04:05"), v)
	}
	if !strings.Contains(v, "┃") || !strings.Contains(m.Title(), "at "+m.Cursor().Local().Format("15:04:05")) {
		t.Fatalf("no cursor line or title:\n%s\n%s", m.Title(), v)
	}
	cmd := m.Update(keyEnter)
	if cmd == nil {
		t.Fatal("Enter with the cursor asks for nothing")
	}
	w, ok := cmd().(core.WindowMsg)
	if !ok || !w.Start.Before(m.Cursor()) || !w.End.After(m.Cursor()) || w.End.Sub(w.Start) < 10*time.Second {
		t.Fatalf("Enter asked %+v around %s", w, m.Cursor())
	}
	if m.zoomed {
		t.Fatal("Enter with the cursor zoomed the graph")
	}
	m.Update(keyEsc)
	if !m.Cursor().IsZero() || strings.Contains(ansi.Strip(m.View()), "┃") {
		t.Fatal("esc left the cursor")
	}
	m.Update(keyEnter)
	if !m.zoomed {
		t.Fatal("Enter without the cursor zooms")
	}
}

// TestWindowOfTracesAndLogs: the pivot's answer replaces the live lists (traces slowest first as the
// session sorted them, the window's log lines); live lists arriving meanwhile wait; esc returns to
// them; an answer to a window already left is dropped.
func TestWindowOfTracesAndLogs(t *testing.T) {
	ctx := testCtx()
	tr := NewTraces(ctx, "zipkin z", sources.TraceQuery{Service: "web"}, nil)
	tr.SetSize(100, 20)
	lg := NewLogs(ctx, "es e", nil)
	lg.SetSize(100, 20)
	tr.Update(sources.TracesMsg{Traces: []sources.TraceSummary{{TraceID: "a1", Root: "live-one", Start: now, Duration: time.Millisecond}}})
	from, to := now.Add(-time.Minute), now.Add(-50*time.Second)
	asked := ctx.Ask(core.PaneTraces)
	tr.Update(core.WindowMsg{Start: from, End: to, Asked: asked})
	lg.Update(core.WindowMsg{Start: from, End: to, Asked: asked})
	if v := ansi.Strip(tr.View()); !strings.Contains(v, "asking for the traces of the window") {
		t.Fatalf("while asking:\n%s", v)
	}
	ans := sources.WindowMsg{Start: from, End: to, Asked: asked,
		Traces: []sources.TraceSummary{{TraceID: "b1", Root: "slow-one", Start: from, Duration: 150 * time.Millisecond}, {TraceID: "b2", Root: "fast-one", Start: from, Duration: 2 * time.Millisecond}},
		Lines:  []sources.LogLine{{Time: from.Add(time.Second), Pod: "web-1", Msg: "GET /api/work 200", Raw: "GET /api/work 200"}}}
	tr.Update(ans)
	lg.Update(ans)
	tr.Update(sources.TracesMsg{Traces: []sources.TraceSummary{{TraceID: "a2", Root: "live-two", Start: now, Duration: time.Millisecond}}})
	v := ansi.Strip(tr.View())
	if !strings.Contains(tr.Title(), "slowest first · [2]") || strings.Index(v, "slow-one") > strings.Index(v, "fast-one") || strings.Contains(v, "live-two") {
		t.Fatalf("window list:\n%s\n%s", tr.Title(), v)
	}
	if lv := ansi.Strip(lg.View()); !strings.Contains(lg.Title(), "· 1 lines (esc: live)") || !strings.Contains(lv, "GET /api/work 200") {
		t.Fatalf("window lines:\n%s\n%s", lg.Title(), lv)
	}
	tr.Update(keyEsc)
	if v := ansi.Strip(tr.View()); !strings.Contains(v, "live-two") || strings.Contains(v, "slow-one") {
		t.Fatalf("esc did not return to the live list:\n%s", v)
	}
	tr.Update(ans) // late: the window was left
	if strings.Contains(ansi.Strip(tr.View()), "slow-one") {
		t.Fatal("a late answer replaced the live list")
	}
	lg.Update(keyEsc)
	if strings.Contains(lg.Title(), "esc: live") {
		t.Fatalf("esc left the logs' window: %s", lg.Title())
	}
}
