package panes

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	zmodel "github.com/openzipkin/zipkin-go/model"

	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/tui/core"
)

// fetcher stands in for the session's side of the panes' questions: it keeps the last one asked.
type fetcher struct {
	last sources.Asked
	ids  []string
}

func (f *fetcher) FetchTrace(a sources.Asked, id string)     { f.last, f.ids = a, append(f.ids, id) }
func (f *fetcher) FetchTraceLogs(a sources.Asked, id string) { f.last, f.ids = a, append(f.ids, id) }
func (f *fetcher) FetchSpanNames(a sources.Asked, s string)  { f.last, f.ids = a, append(f.ids, s) }
func (f *fetcher) FetchWindow(a sources.Asked, _, _ time.Time) {
	f.last = a
}

func oneSpan(trace uint64, name string) []zmodel.SpanModel {
	return []zmodel.SpanModel{{SpanContext: zmodel.SpanContext{TraceID: zmodel.TraceID{Low: trace}, ID: 1},
		Name: name, Timestamp: now, Duration: time.Millisecond, LocalEndpoint: &zmodel.Endpoint{ServiceName: "web"}}}
}

// TestATraceOpensOnlyForTheOpenQuestion (issue 33): a waterfall opens for the answer to the pane's
// newest question only. A late answer to an older one, an answer nobody here asked for, and one to a
// question left with esc are dropped (before, each of them opened a waterfall).
func TestATraceOpensOnlyForTheOpenQuestion(t *testing.T) {
	ctx := testCtx()
	f := &fetcher{}
	ctx.Fetch = f
	tr := NewTraces(ctx, "zipkin z", sources.TraceQuery{Service: "web"}, nil)
	tr.SetSize(100, 20)
	shows := func(name string) bool { return strings.Contains(ansi.Strip(tr.View()), name) }

	tr.Update(core.OpenTraceMsg{TraceID: "a"})
	first := f.last
	tr.Update(core.OpenTraceMsg{TraceID: "b"})
	second := f.last
	if first.Seq == 0 || second == first || second.Pane != "Traces" {
		t.Fatalf("questions %+v then %+v", first, second)
	}
	tr.Update(sources.TraceMsg{TraceID: "a", Spans: oneSpan(10, "old-question"), Asked: first})
	if shows("old-question") {
		t.Fatal("the answer to an older question opened a waterfall")
	}
	tr.Update(sources.TraceMsg{TraceID: "x", Spans: oneSpan(11, "nobodys"), Asked: sources.Asked{}})
	if shows("nobodys") {
		t.Fatal("an answer to no question opened a waterfall")
	}
	tr.Update(sources.TraceMsg{TraceID: "b", Spans: oneSpan(12, "newest-question"), Asked: second})
	if !shows("newest-question") {
		t.Fatalf("the answer to the open question did not open:\n%s", ansi.Strip(tr.View()))
	}
	tr.Update(keyEsc)
	tr.Update(core.OpenTraceMsg{TraceID: "c"})
	third := f.last
	tr.Update(keyEsc) // changed my mind before it came
	tr.Update(sources.TraceMsg{TraceID: "c", Spans: oneSpan(13, "left-with-esc"), Asked: third})
	if shows("left-with-esc") {
		t.Fatal("a question left with esc still opened its waterfall")
	}
}

// TestLogsShowOnlyTheirOpenQuestion (issue 33): the logs pane's pivot (a trace's lines) shows the
// answer to its own newest question; another pane's or an older answer neither replaces the tail nor
// takes the focus.
func TestLogsShowOnlyTheirOpenQuestion(t *testing.T) {
	ctx := testCtx()
	f := &fetcher{}
	ctx.Fetch = f
	lg := NewLogs(ctx, "es e", nil)
	lg.SetSize(100, 20)
	line := func(msg string) []sources.LogLine {
		return []sources.LogLine{{Time: now, Pod: "web-1", Msg: msg, Raw: msg}}
	}
	if cmd := lg.Update(sources.TraceLogsMsg{TraceID: "t0", Lines: line("unasked"), Asked: ctx.Ask(core.PaneTraces)}); cmd != nil || lg.pinned() {
		t.Fatal("an answer to the traces pane's question pinned the logs")
	}
	lg.Update(core.TraceLogsMsg{TraceID: "t1"})
	old := f.last
	lg.Update(core.TraceLogsMsg{TraceID: "t2"})
	open := f.last
	if cmd := lg.Update(sources.TraceLogsMsg{TraceID: "t1", Lines: line("older"), Asked: old}); cmd != nil || lg.pinned() {
		t.Fatal("the answer to an older question was shown")
	}
	cmd := lg.Update(sources.TraceLogsMsg{TraceID: "t2", Lines: line("newest"), Asked: open})
	if cmd == nil || !strings.Contains(ansi.Strip(lg.View()), "newest") {
		t.Fatalf("the open question's answer:\n%s", ansi.Strip(lg.View()))
	}
	if fm, ok := cmd().(core.FocusPaneMsg); !ok || fm.Pane != core.PaneLogs {
		t.Fatalf("the answer asks for %+v, want the logs pane focused", fm)
	}
}
