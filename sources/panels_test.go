package sources

import (
	"strings"
	"testing"

	"github.com/gamedaylab/gameday/signals"
)

// TestResolveSignals (issue 28): a configured panel's line naming a signal takes the detected query
// (a share of 5xx drawn in % on a "%" panel), a signal drawn from the cluster becomes a live line,
// PromQL lines stay, and a panel left with nothing says why instead of drawing an empty graph.
func TestResolveSignals(t *testing.T) {
	panels := []Panel{
		{ID: "a", Title: "Errors", Unit: "%", Queries: []PanelQuery{{Legend: "5xx", Signal: signals.Errors}, {Legend: "mine", Expr: "up"}}},
		{ID: "b", Title: "Replicas", Unit: "count", Queries: []PanelQuery{{Legend: "ready", Signal: signals.Ready}}},
		{ID: "c", Title: "p99", Unit: "s", Queries: []PanelQuery{{Legend: "p99", Signal: signals.P99}}},
	}
	before := ResolveSignals(panels, nil)
	if len(before[0].Queries) != 1 || before[0].Queries[0].Expr != "up" || !strings.Contains(before[2].Missing, "p99: not detected yet") {
		t.Fatalf("before detection: %+v", before)
	}
	rs := []signals.Resolution{
		{Signal: signals.Errors, Convention: "Istio · destination", Query: "E"},
		{Signal: signals.Ready, Convention: "the watch", Source: "watch"},
		{Signal: signals.P99, Why: "no histogram"},
	}
	got := ResolveSignals(panels, rs)
	if q := got[0].Queries; len(q) != 2 || q[0].Expr != "100 * (E)" || q[0].Legend != "5xx" || q[1].Expr != "up" || got[0].Convention != "Istio · destination" {
		t.Errorf("errors panel: %+v", got[0])
	}
	if l := got[1].Live; len(l) != 1 || l[0].Signal != signals.Ready || l[0].Legend != "ready" || len(got[1].Queries) != 0 || got[1].Missing != "" {
		t.Errorf("replicas panel: %+v", got[1])
	}
	if got[2].Missing != "p99: no histogram" || len(got[2].Queries) != 0 {
		t.Errorf("p99 panel: %+v", got[2])
	}
	if panels[0].Queries[0].Expr != "" {
		t.Error("the configured panels were changed in place")
	}
	if !HasSignals(panels) || HasSignals(DefaultPanels()) {
		t.Error("HasSignals")
	}
}
