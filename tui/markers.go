package tui

import (
	"strings"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/model"
)

// autoscalerMark is the marker label of a cluster-autoscaler event that marks the graphs ("" for
// the others: its NotTriggerScaleUp repeats every loop and would bury them).
func autoscalerMark(reason string) string {
	switch reason {
	case "TriggeredScaleUp":
		return "scale-up"
	case "ScaledUpGroup":
		return "node group up"
	case "ScaleDown", "ScaleDownEmpty":
		return "scale-down"
	}
	return ""
}

// markAutoscaler puts a marker on the graphs for each autoscaler event the store saw for the first
// time (its arrival number is past the last one marked; an update of the same event keeps its number).
func (m *Model) markAutoscaler(events []model.Event) bool {
	added, last := false, m.markedSeq // one delta's events are numbered in time order, not in its order
	for _, e := range events {
		entry := m.ctx.Cluster.Events[e.Key()]
		label := autoscalerMark(e.Reason)
		if label == "" || entry == nil || entry.Seq <= last {
			continue
		}
		m.markedSeq = max(m.markedSeq, entry.Seq)
		m.ctx.Markers.Add(e.Time, label)
		added = true
	}
	return added
}

// markResult marks the graphs with an action; a fault's window is shaded from its injection to its
// end (its expiry, :unfault or HALT).
func (m *Model) markResult(e actions.Entry) {
	label := actions.MarkerLabel(e.Action)
	id := ""
	for _, t := range e.Targets {
		if rest, ok := strings.CutPrefix(t, "fault/"); ok {
			id = rest
		}
	}
	switch {
	case e.Action == actions.InjectFault && id != "" && e.Result == actions.ResultOK:
		m.ctx.Markers.OpenSpan(e.Time, label, id)
		return
	case e.Action == actions.Halt || e.Action == actions.Unfault && id == "all":
		m.ctx.Markers.CloseSpan(e.Time, "")
	case (e.Action == actions.Unfault || e.Action == actions.FaultExpired) && id != "":
		m.ctx.Markers.CloseSpan(e.Time, id)
	}
	m.ctx.Markers.Add(e.Time, label)
}
