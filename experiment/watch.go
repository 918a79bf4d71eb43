package experiment

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/scenario"
)

// watch checks the during-probes every tick while the method runs. A breach counts once it has lasted
// the probe's `for` (at once without one); a counted breach of an abort probe HALTs at once and stops
// the method. The returned func stops the watch and journals each probe's verdict.
func (r *runner) watch(ctx context.Context, stopMethod context.CancelFunc) (stop func()) {
	var during []scenario.Probe
	for _, p := range r.e.Hypothesis.Probes {
		if inPhase(p, "during") {
			during = append(during, p)
		}
	}
	if len(during) == 0 {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan []Verdict)
	// The watch outlives the method's context (its last verdicts are taken after the method ends),
	// but not its stop: a check still waiting on a backend a second after it is cut short.
	wctx, wcancel := context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		start := r.s.Now()
		checks := make([][]Check, len(during))
		breach := make([]time.Time, len(during)) // when the current breach began (zero: none)
		counted := make([]bool, len(during))
		aborted := ""
		for {
			for i, p := range during {
				c := r.checkQuiet(wctx, p, "during", true)
				checks[i] = append(checks[i], c)
				if c.Held || gap(p, c) {
					breach[i] = time.Time{}
					continue
				}
				if breach[i].IsZero() {
					breach[i] = c.Time
					if !counted[i] {
						r.say("during probe %s: breach begins: %s", p.Name, seenOf(c))
					}
				}
				lasted := c.Time.Sub(breach[i])
				if lasted < p.For.Duration || counted[i] {
					continue
				}
				counted[i] = true
				r.set(Deviated, fmt.Sprintf("probe %s breached during the method for %s: %s", p.Name, lasted.Round(time.Second), seenOf(c)))
				r.say("during probe %s: BREACHED for %s (for: %s): %s", p.Name, lasted.Round(time.Second), p.For.Duration, seenOf(c))
				if p.Abort && aborted == "" {
					aborted = p.Name
					r.abort(p, lasted, c)
					stopMethod()
				}
			}
			select {
			case <-done:
			default:
				if aborted == "" {
					r.sleepOr(done, r.o.Tick)
					continue
				}
				<-done
			}
			end := r.s.Now()
			out := make([]Verdict, len(during))
			for i, p := range during {
				v := verdict(p, "during", start, end, checks[i])
				if !counted[i] && v.Status == StatusFailed {
					// breaches shorter than `for` do not count: the verdict holds, the count says they happened
					v.Status, v.Met = StatusHeld, true
					v.Observed = fmt.Sprintf("%d breaching checks, none lasting %s; last: %s", v.Breaches, p.For.Duration, seenOf(checks[i][len(checks[i])-1]))
				}
				if v.Status == StatusInconclusive {
					// Checks without data (a rate window not yet filled) do not outweigh those with:
					// inconclusive only when none saw anything.
					nd, last := 0, -1
					for k, c := range checks[i] {
						if gap(p, c) {
							nd++
						} else {
							last = k
						}
					}
					if last >= 0 {
						v.Status, v.Met, v.Value = StatusHeld, true, checks[i][last].Value
						v.Observed = fmt.Sprintf("%s (%d of %d checks had no data)", seenOf(checks[i][last]), nd, len(checks[i]))
					} else {
						r.set(Inconclusive, fmt.Sprintf("probe %s saw no data during the method", p.Name))
					}
				}
				if p.Name == aborted {
					v.Status = StatusAborted
				}
				out[i] = v
			}
			finished <- out
			return
		}
	}()
	return func() {
		close(done)
		cut := time.AfterFunc(time.Second, wcancel)
		defer cut.Stop()
		defer wcancel()
		vs := <-finished
		r.verdicts(vs...)
		for _, v := range vs {
			r.say("during probe %s: %s over %d checks (%s)", v.Probe, v.Status, v.Checks, v.Observed)
		}
	}
}

// abort HALTs at once: load stops and every injected fault is reverted before the method even
// notices; the rollbacks and a second HALT follow in revert.
func (r *runner) abort(p scenario.Probe, lasted time.Duration, c Check) {
	r.set(Aborted, fmt.Sprintf("probe %s (abort: true) breached for %s: %s", p.Name, lasted.Round(time.Second), seenOf(c)))
	r.say("ABORT: probe %s breached for %s: HALT", p.Name, lasted.Round(time.Second))
	res, err := r.s.Halt(r.o.Reverts)
	if err != nil {
		r.say("ABORT: HALT: %s: a person must look", err)
		r.set(RevertFailed, fmt.Sprintf("HALT on abort: %v", err))
		return
	}
	r.say("ABORT: HALT: %s", res.Entry.Detail)
	r.record(func(j *RunRecord) {
		j.Reverts = append(j.Reverts, StepRecord{Kind: "halt", Action: string(actions.Halt), Args: "abort by " + p.Name, Start: c.Time, End: r.s.Now(),
			Status: res.Entry.Result, Detail: res.Entry.Detail})
	})
}

// sleepOr waits d of session time or until done is closed.
func (r *runner) sleepOr(done chan struct{}, d time.Duration) {
	until := r.s.Now().Add(d)
	for r.s.Now().Before(until) {
		select {
		case <-done:
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// define is a probe as the journal lists it.
func define(p scenario.Probe) ProbeDef {
	d := ProbeDef{Name: p.Name, Expect: tolerance(p), Phases: p.Phases, Abort: p.Abort, Weight: p.Weight}
	if len(d.Phases) == 0 {
		d.Phases = []string{"before", "after"}
	}
	if p.For.Duration > 0 {
		d.For = p.For.Duration.String()
	}
	switch {
	case p.Kubernetes != nil:
		d.Kind, d.What = "kubernetes", fmt.Sprintf("%s/%s: %s", p.Kubernetes.Kind, p.Kubernetes.Name, p.Kubernetes.Expr)
	case p.Prometheus != nil:
		d.Kind, d.What = "prometheus", p.Prometheus.Query
		if p.Prometheus.Window.Duration > 0 {
			d.What += " (every sample of " + p.Prometheus.Window.Duration.String() + ")"
		}
	case p.HTTP != nil:
		d.Kind, d.What = "http", strings.TrimSpace(p.HTTP.Method+" "+p.HTTP.URL)
	case p.Zipkin != nil:
		d.Kind, d.What = "zipkin", fmt.Sprintf("%s of %s %s", p.Zipkin.Measure, p.Zipkin.Service, p.Zipkin.SpanName)
	case p.Elasticsearch != nil:
		d.Kind, d.What = "elasticsearch", "count of "+p.Elasticsearch.Query
	case p.Signal != "":
		d.Kind, d.What = "signal", p.Signal+" of the target, in the convention detected for it"
	}
	return d
}

// tolerance is what a probe expects, in words.
func tolerance(p scenario.Probe) string {
	switch {
	case p.Kubernetes != nil:
		return p.Kubernetes.Expr
	case p.HTTP != nil:
		var w []string
		if len(p.HTTP.Status) > 0 {
			w = append(w, fmt.Sprintf("status in %v", p.HTTP.Status))
		} else {
			w = append(w, "status 2xx")
		}
		if p.HTTP.BodyContains != "" {
			w = append(w, fmt.Sprintf("body contains %q", p.HTTP.BodyContains))
		}
		if p.HTTP.JSONPath != "" {
			w = append(w, fmt.Sprintf("%s == %q", p.HTTP.JSONPath, p.HTTP.Equals))
		}
		if p.HTTP.MaxLatency.Duration > 0 {
			w = append(w, "latency <= "+p.HTTP.MaxLatency.Duration.String())
		}
		return strings.Join(w, ", ")
	}
	return p.Expect
}

// expand fills the file's vars and $namespace / $workload into every probe and step argument
// ($interval is left to the Prometheus backend, which knows the scrape interval).
func expand(e *scenario.Experiment, s interface {
	Namespace() string
	Target() string
}) *scenario.Experiment {
	rep := e.Expander(s.Namespace(), s.Target())
	x := *e
	x.Hypothesis.Probes = make([]scenario.Probe, len(e.Hypothesis.Probes))
	for i, p := range e.Hypothesis.Probes {
		if p.Kubernetes != nil {
			k := *p.Kubernetes
			k.Name = rep.Replace(k.Name)
			p.Kubernetes = &k
		}
		if p.Prometheus != nil {
			q := *p.Prometheus
			q.Query = rep.Replace(q.Query)
			p.Prometheus = &q
		}
		if p.HTTP != nil {
			h := *p.HTTP
			h.URL, h.BodyContains, h.Equals = rep.Replace(h.URL), rep.Replace(h.BodyContains), rep.Replace(h.Equals)
			p.HTTP = &h
		}
		if p.Zipkin != nil {
			z := *p.Zipkin
			z.Service, z.SpanName = rep.Replace(z.Service), rep.Replace(z.SpanName)
			p.Zipkin = &z
		}
		if p.Elasticsearch != nil {
			q := *p.Elasticsearch
			q.Query = rep.Replace(q.Query)
			p.Elasticsearch = &q
		}
		x.Hypothesis.Probes[i] = p
	}
	steps := func(in []scenario.Step) []scenario.Step {
		out := make([]scenario.Step, len(in))
		for i, st := range in {
			st.Args, st.Note = rep.Replace(st.Args), rep.Replace(st.Note)
			out[i] = st
		}
		return out
	}
	x.Method, x.Rollbacks = steps(e.Method), steps(e.Rollbacks)
	return &x
}
