package session

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/model"
)

// recoveryTimeout is how long a stopwatch waits for the target to be back before it reports failure.
const recoveryTimeout = 10 * time.Minute

// stopwatch times a kill's recovery: replacement scheduled, replacement Ready, ready replicas back to
// desired. Observed times come from the session's clock; the API's own timestamps are kept beside them.
type stopwatch struct {
	entry       actions.Entry
	ns, deploy  string
	before      map[string]bool
	killed      []string
	scheduled   time.Time
	ready       time.Time
	recovered   time.Time
	apiSched    time.Time
	apiReady    time.Time
	replacement string
	// readyAt is when each replacement was first seen Ready (a kill of N pods waits for N).
	readyAt map[string]time.Time
}

// Recovery is one finished recovery measurement.
type Recovery struct {
	Kill        actions.Entry
	Replacement string
	// Scheduled, Ready and Recovered are measured from the kill: a replacement on a node, a
	// replacement Ready, the target's ready replicas back to desired (0 when it did not happen).
	Scheduled, Ready, Recovered time.Duration
	APIScheduled, APIReady      time.Time
	Started                     time.Time
	TimedOut                    bool
	// Killed is how many pods the kill took; Replacements how many came back Ready and AllReady when
	// the last of them did (a kill of one pod: the same as Ready).
	Killed, Replacements int
	AllReady             time.Duration
}

func (s *Session) startStopwatch(e actions.Entry, p actions.Plan, before map[string]bool) {
	sw := &stopwatch{entry: e, ns: p.Namespace, deploy: p.Workload, before: before}
	for _, name := range p.Pods {
		sw.killed = append(sw.killed, p.Namespace+"/"+name)
	}
	s.mu.Lock()
	s.watches = append(s.watches, sw)
	s.mu.Unlock()
	s.evalStopwatches()
}

// evalStopwatches advances every running stopwatch against the store; finished ones are journaled and
// published.
func (s *Session) evalStopwatches() {
	s.mu.Lock()
	if len(s.watches) == 0 {
		s.mu.Unlock()
		return
	}
	now := s.Clock.Now()
	c := s.store
	var finished []*stopwatch
	keep := s.watches[:0]
	for _, sw := range s.watches {
		sw.advance(c, now)
		timedOut := sw.recovered.IsZero() && now.Sub(sw.entry.Time) > recoveryTimeout
		if sw.recovered.IsZero() && !timedOut {
			keep = append(keep, sw)
			continue
		}
		finished = append(finished, sw)
	}
	s.watches = keep
	s.mu.Unlock()
	for _, sw := range finished {
		r := sw.result(sw.recovered.IsZero())
		s.journalRecovery(r, sw.deploy, now)
		s.mu.Lock()
		s.recoveries = append(s.recoveries, r) // after the journal and the bus: a reader of Recoveries finds both
		s.mu.Unlock()
	}
}

func (sw *stopwatch) advance(c *model.Cluster, now time.Time) {
	d := c.Deployment(sw.ns, sw.deploy)
	for k, p := range c.Pods {
		if sw.before[k] || !model.Matches(p, d) || p.Terminating() {
			continue
		}
		if sw.scheduled.IsZero() && p.Node != "" {
			sw.scheduled, sw.apiSched, sw.replacement = now, p.Scheduled, p.Name
		}
		if p.Ready {
			if sw.readyAt == nil {
				sw.readyAt = map[string]time.Time{}
			}
			if _, seen := sw.readyAt[p.Name]; !seen {
				sw.readyAt[p.Name] = now
			}
		}
		if sw.ready.IsZero() && p.Ready {
			sw.ready, sw.apiReady = now, p.ReadyAt
			if sw.scheduled.IsZero() {
				sw.scheduled, sw.apiSched, sw.replacement = now, p.Scheduled, p.Name
			}
		}
	}
	gone := true
	for _, k := range sw.killed {
		if p, ok := c.Pods[k]; ok && !p.Terminating() {
			gone = false
		}
	}
	if !sw.ready.IsZero() && d != nil && d.Ready >= d.Desired && gone {
		sw.recovered = now
	}
}

func (sw *stopwatch) result(timedOut bool) Recovery {
	t0 := sw.entry.Time
	r := Recovery{Kill: sw.entry, Replacement: sw.replacement, APIScheduled: sw.apiSched, APIReady: sw.apiReady, Started: t0, TimedOut: timedOut}
	if !sw.scheduled.IsZero() {
		r.Scheduled = sw.scheduled.Sub(t0)
	}
	if !sw.ready.IsZero() {
		r.Ready = sw.ready.Sub(t0)
	}
	if !sw.recovered.IsZero() {
		r.Recovered = sw.recovered.Sub(t0)
	}
	r.Killed = len(sw.killed)
	var times []time.Time
	for _, at := range sw.readyAt {
		times = append(times, at)
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	r.Replacements = min(len(times), r.Killed)
	if r.Replacements > 0 && r.Replacements == r.Killed {
		r.AllReady = times[r.Killed-1].Sub(t0)
	}
	return r
}

func (s *Session) journalRecovery(r Recovery, deploy string, now time.Time) {
	detail := fmt.Sprintf("recovered in %s: after kill at %s: replacement %s scheduled +%s, ready +%s, deploy/%s back to desired +%s",
		secs(r.Recovered), r.Kill.Time.Format("15:04:05"), r.Replacement, secs(r.Scheduled), secs(r.Ready), deploy, secs(r.Recovered))
	if r.Killed > 1 {
		all := "not all ready"
		if r.AllReady > 0 {
			all = "all ready +" + secs(r.AllReady)
		}
		detail = fmt.Sprintf("recovered in %s: after kill of %d pods at %s: %d replacements, first ready +%s, %s, deploy/%s back to desired +%s",
			secs(r.Recovered), r.Killed, r.Kill.Time.Format("15:04:05"), r.Replacements, secs(r.Ready), all, deploy, secs(r.Recovered))
	}
	if r.TimedOut {
		detail = strings.SplitN(detail, ": ", 2)[1]
	}
	entry := actions.Entry{Time: now, Action: actions.Recovery, Targets: r.Kill.Targets, Detail: detail, Recovery: secs(r.Recovered)}
	var err error
	if r.TimedOut {
		err = fmt.Errorf("deploy/%s not back to desired %s after the kill", deploy, strings.TrimSuffix(recoveryTimeout.String(), "0s"))
		entry.Recovery = ""
	}
	_, _ = s.done(s.Env.Record(entry, err))
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }
