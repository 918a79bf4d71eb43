package session

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/signals"
	"github.com/gamedaylab/gameday/sources"
)

// Detector is a metrics backend that tells which conventions a target's series follow (Prometheus).
type Detector interface {
	Detect(ctx context.Context, t signals.Target, now time.Time) ([]signals.Resolution, signals.Facts, error)
}

// Signals is how each signal of the target is read, as last detected: the cockpit's panes title
// their graphs with the convention, :signals lists it all, gameday signals prints it.
type Signals struct {
	Namespace, Target string
	Resolutions       []signals.Resolution
	Err               string `json:",omitempty"`
	At                time.Time
}

// Of is the resolution of one signal (zero when there is none).
func (s Signals) Of(n signals.Name) signals.Resolution {
	for _, r := range s.Resolutions {
		if r.Signal == n {
			return r
		}
	}
	return signals.Resolution{}
}

// signalTarget is the target as detection needs it: its namespace, name and live ReplicaSets (its
// pods' names), from the session's store.
func (s *Session) signalTarget() (signals.Target, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.target == "" || !s.store.Synced {
		return signals.Target{}, false
	}
	t := signals.Target{Namespace: s.namespace, Deployment: s.target}
	for _, rs := range s.store.ReplicaSets {
		if rs.Namespace == t.Namespace && rs.Deployment == t.Deployment {
			t.ReplicaSets = append(t.ReplicaSets, rs.Name)
		}
	}
	slices.Sort(t.ReplicaSets)
	return t, true
}

// DetectSignals detects how each signal of the target is read now (Prometheus' series, else the
// session's own view), publishes it and, when no panels are configured, makes it the graphs' queries.
func (s *Session) DetectSignals(ctx context.Context) (Signals, error) {
	t, ok := s.signalTarget()
	if !ok {
		return Signals{}, nil
	}
	out := Signals{Namespace: t.Namespace, Target: t.Deployment, At: s.Clock.Now()}
	d, ok := s.MetricsBackend.(Detector)
	if !ok {
		return out, nil
	}
	ctx, cancel := context.WithTimeout(ctx, sources.CallTimeout)
	defer cancel()
	t.Services = s.servicesOf(ctx, t)
	rs, _, err := d.Detect(ctx, t, s.Clock.Now())
	if err != nil {
		out.Err = model.ErrText(err)
		return out, err
	}
	out.Resolutions = rs
	// The demo's graphs stay the simulation's own panels (a load line beside the rate, more than a
	// signal holds).
	var panels []sources.Panel
	switch cfg := s.opts.Config; {
	case s.Metrics == nil || s.Sim != nil:
	case len(cfg.Metrics.Panels) == 0:
		panels = sources.SignalPanels(rs)
	case sources.HasSignals(configuredPanels(cfg)):
		panels = sources.ResolveSignals(configuredPanels(cfg), rs)
	}
	if panels != nil {
		s.Metrics.SetPanels(panels)
		var live []sources.Panel
		for _, p := range panels {
			if len(p.Live) > 0 {
				live = append(live, p)
			}
		}
		s.mu.Lock()
		s.livePanels = live
		s.mu.Unlock()
	}
	s.Publish(out)
	s.mu.Lock()
	s.signals = out
	s.mu.Unlock()
	return out, nil
}

// servicesOf names the Services whose selector takes the target's pods (edge conventions key on
// them): one list of the namespace's Services, matched against a pod's labels.
func (s *Session) servicesOf(ctx context.Context, t signals.Target) []string {
	if s.Env.Client == nil || s.Sim != nil {
		return nil
	}
	s.mu.Lock()
	var labels map[string]string
	for _, p := range s.store.TargetPods(t.Namespace, t.Deployment) {
		labels = p.Labels
		break
	}
	s.mu.Unlock()
	if len(labels) == 0 {
		return nil
	}
	list, err := s.Env.Client.CoreV1().Services(t.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil
	}
	var out []string
	for _, svc := range list.Items {
		sel := svc.Spec.Selector
		if len(sel) == 0 {
			continue
		}
		match := true
		for k, v := range sel {
			match = match && labels[k] == v
		}
		if match {
			out = append(out, svc.Name)
		}
	}
	slices.Sort(out)
	return out
}

// LastSignals is what the last detection found (no I/O).
func (s *Session) LastSignals() Signals {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signals
}

// watchSignals detects again whenever the target's shape changes (another target or namespace, a
// ReplicaSet that came or went); every 10 s while no request convention is found (series appear with
// the first requests, or the first scrapes of a new Prometheus) or after a failure (a Prometheus
// found late); and every 5 minutes all the same (a mesh injected since).
func (s *Session) watchSignals(ctx context.Context) {
	if _, ok := s.MetricsBackend.(Detector); !ok {
		return
	}
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	last, at, again := "", time.Time{}, time.Duration(0)
	for {
		if tg, ok := s.signalTarget(); ok {
			if key := tg.Key(); key != last || time.Since(at) > again {
				sig, err := s.DetectSignals(ctx)
				switch {
				case err != nil || !sig.Of(signals.Rate).Found():
					again = 10 * time.Second
				default:
					again = 5 * time.Minute
				}
				last, at = key, time.Now()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Value is a signal's value now: its query's latest sample, or, for a signal Prometheus lacks, the
// session's own view (the watch: replicas, restarts; metrics.k8s.io: CPU, memory). ok is false when
// there is none (no data, no convention).
func (s *Session) Value(ctx context.Context, r signals.Resolution) (v float64, ok bool, err error) {
	switch {
	case r.Query != "":
		now := s.Clock.Now() // the simulation's on the demo
		p := sources.Panel{ID: "signal:" + string(r.Signal), Queries: []sources.PanelQuery{{Legend: string(r.Signal), Expr: r.Query}}}
		ser, err := s.MetricsBackend.QueryRange(ctx, p, now.Add(-30*time.Second), now, 15*time.Second)
		if err != nil {
			return 0, false, err
		}
		for _, x := range ser {
			if n := len(x.Points); n > 0 {
				return x.Points[n-1].V, true, nil
			}
		}
		return 0, false, nil
	case r.Source == "watch":
		return s.watchValue(r.Signal)
	case r.Source == "metrics.k8s.io":
		return s.resourceValue(ctx, r.Signal)
	}
	return 0, false, nil
}

// watchValue reads replicas and restarts from the session's store.
func (s *Session) watchValue(n signals.Name) (float64, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.store.Deployment(s.namespace, s.target)
	if d == nil {
		return 0, false, nil
	}
	switch n {
	case signals.Ready:
		return float64(d.Ready), true, nil
	case signals.Desired:
		if h := s.store.HPAFor(s.namespace, s.target); h != nil {
			return float64(h.Desired), true, nil
		}
		return float64(d.Desired), true, nil
	case signals.Restarts:
		total := 0
		for _, p := range s.store.TargetPods(s.namespace, s.target) {
			total += int(p.Restarts)
		}
		return float64(total), true, nil
	}
	return 0, false, nil
}

// resourceValue reads CPU (% of the pods' requests) and memory (bytes) of the target's pods from
// metrics.k8s.io, what the HPA reads: live, no history.
func (s *Session) resourceValue(ctx context.Context, n signals.Name) (float64, bool, error) {
	if s.Env.Client == nil || s.Sim != nil {
		return 0, false, nil
	}
	s.mu.Lock()
	ns, target := s.namespace, s.target
	pods := map[string]bool{}
	for _, p := range s.store.TargetPods(ns, target) {
		pods[p.Name] = true
	}
	var perPod resource.Quantity
	if d := s.store.Deployment(ns, target); d != nil {
		for _, c := range d.Requests {
			if q, err := resource.ParseQuantity(c.Requests.CPU); err == nil {
				perPod.Add(q)
			}
		}
	}
	s.mu.Unlock()
	// JSON: the session's client asks for protobuf first, and metrics-server answers it.
	raw, err := s.Env.Client.CoreV1().RESTClient().Get().AbsPath("/apis/metrics.k8s.io/v1beta1/namespaces", ns, "pods").
		SetHeader("Accept", "application/json").Do(ctx).Raw()
	if err != nil {
		return 0, false, fmt.Errorf("metrics.k8s.io: %w", err)
	}
	var list struct {
		Items []struct {
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
			Containers []struct {
				Usage map[string]resource.Quantity `json:"usage"`
			} `json:"containers"`
		} `json:"items"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return 0, false, fmt.Errorf("metrics.k8s.io: %w", err)
	}
	var cpu, mem float64
	found := 0
	for _, it := range list.Items {
		if !pods[it.Metadata.Name] {
			continue
		}
		found++
		for _, c := range it.Containers {
			if q, ok := c.Usage["cpu"]; ok {
				cpu += q.AsApproximateFloat64()
			}
			if q, ok := c.Usage["memory"]; ok {
				mem += q.AsApproximateFloat64()
			}
		}
	}
	switch {
	case found == 0:
		return 0, false, nil
	case n == signals.Memory:
		return mem, true, nil
	case perPod.IsZero():
		return 0, false, nil // no request to be a percentage of
	}
	return 100 * cpu / (perPod.AsApproximateFloat64() * float64(found)), true, nil
}

// liveLoop draws the panels Prometheus cannot (ready and desired replicas from the watch, CPU and
// memory from metrics.k8s.io): every refresh, the values now, kept over the window, published as
// the panel's series. The history is what the session saw since it started.
func (s *Session) liveLoop(ctx context.Context) {
	if s.Metrics == nil || s.Sim != nil {
		return
	}
	cfg := s.opts.Config.Metrics
	t := time.NewTicker(cfg.Refresh.Duration)
	defer t.Stop()
	kept := map[string][]sources.Series{} // panel -> its series so far
	for {
		s.mu.Lock()
		panels := s.livePanels
		s.mu.Unlock()
		now := s.Clock.Now()
		start := now.Add(-cfg.Window.Duration)
		for _, p := range panels {
			sig := s.LastSignals()
			series := kept[p.ID]
			if len(series) != len(p.Live) {
				series = make([]sources.Series, len(p.Live))
			}
			source := ""
			for i, l := range p.Live {
				r := sig.Of(l.Signal)
				source = r.Source
				series[i].Name = l.Legend
				vctx, cancel := context.WithTimeout(ctx, sources.CallTimeout)
				v, ok, err := s.Value(vctx, r)
				cancel()
				if err == nil && ok {
					series[i].Points = append(series[i].Points, sources.Point{T: now, V: v})
				}
				for len(series[i].Points) > 0 && series[i].Points[0].T.Before(start) {
					series[i].Points = series[i].Points[1:]
				}
			}
			kept[p.ID] = series
			s.send(ctx, sources.MetricsMsg{Source: "live from " + source, Panel: p.ID, Series: append([]sources.Series(nil), series...), Start: start, End: now})
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
