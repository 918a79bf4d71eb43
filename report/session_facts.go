package report

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/recording"
	"github.com/gamedaylab/gameday/session"
	"github.com/gamedaylab/gameday/sources"
)

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
			if a := e.Action; ok && (a == actions.Kill || a == actions.MonkeyKill || a == actions.Drain) {
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
		case actions.InjectFault:
			for _, t := range e.Targets {
				if id, ok := strings.CutPrefix(t, "fault/"); ok {
					open[id] = len(out)
					out = append(out, window{id: id, start: e.Time, what: e.Detail})
				}
			}
		case actions.Unfault:
			for _, t := range e.Targets {
				id := strings.TrimPrefix(t, "fault/")
				closeAll(e.Time, func(x string) bool { return id == "all" || x == id })
			}
		case actions.FaultExpired:
			for _, t := range e.Targets {
				closeAll(e.Time, func(x string) bool { return strings.HasPrefix(t, "fault "+x+" ") })
			}
		case actions.Halt:
			closeAll(e.Time, func(string) bool { return true })
		}
	}
	closeAll(f.end, func(string) bool { return true })
	return out
}

// acted says whether an entry is something a person or the monkey did (not a note or a measured event).
func acted(e actions.Entry) bool {
	if e.Result != actions.ResultOK && e.Result != actions.ResultDryRun || e.Action == actions.Note {
		return false
	}
	spec, ok := actions.Lookup(e.Action)
	return ok && !spec.Event
}
