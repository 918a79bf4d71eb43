package sim

import (
	"math"
	"time"
)

// traffic is the request model: an offered rate (a baseline that wobbles, plus the load generator)
// served by the ready web pods, each with a CPU cost per request and a CPU limit that caps its
// throughput. Latency follows queueing (M/M/1-like: 1/(1-utilisation)); errors come from missing
// capacity and from requests that hit a pod as it is killed.
type traffic struct {
	base     float64 // baseline offered requests/s
	offered  float64
	served   float64
	errFrac  float64
	gwMean   float64 // seconds
	webMean  float64
	dbMean   float64
	ready    int
	lossTill time.Time // requests still routed to a killed pod until endpoints catch up
	lossFrac float64
	nextSamp time.Time
	debt     float64 // fractional traces owed
}

const (
	baseRate     = 150.0
	webService   = 0.012 // seconds of service per request at an idle pod
	maxUtil      = 0.97
	endpointsLag = 1500 * time.Millisecond
)

func (t *traffic) init(s *Sim) {
	t.base = baseRate
	t.nextSamp = s.Now().Truncate(time.Second).Add(time.Second)
}

// podLost records that a serving pod stopped serving: until endpoints are updated, its share of the
// requests fails (all of them on a hard kill, a few in-flight ones on a graceful drain).
func (t *traffic) podLost(s *Sim, p *podPlan, now time.Time, hard bool) {
	if p.workload != Target {
		return
	}
	s.sessionsLost(p.name)
	share := 1.0 / math.Max(float64(t.ready), 1)
	if !hard {
		share *= 0.15
	}
	if now.Before(t.lossTill) {
		t.lossFrac = math.Min(t.lossFrac+share, 1)
	} else {
		t.lossFrac = share
	}
	t.lossTill = now.Add(endpointsLag)
}

func (t *traffic) inflightPerPod(s *Sim) int {
	if t.ready == 0 {
		return 0
	}
	return int(math.Round(t.served * (t.webMean + t.dbMean) / float64(t.ready)))
}

func (t *traffic) step(s *Sim, now time.Time, dt time.Duration) {
	sec := dt.Seconds()
	w := s.specs[Target]
	wobble := 1 + 0.08*math.Sin(2*math.Pi*float64(now.Unix()%300)/300)
	// A traffic peak in the history (12 to 9 minutes before the cockpit opens): the HPA scaled out and
	// back in, so the graphs and the events pane have a story from the first frame.
	if since := s.opts.Start.Sub(now); since <= 12*time.Minute && since >= 9*time.Minute {
		wobble *= 1 + 0.7*math.Sin(math.Pi*float64(12*time.Minute-since)/float64(3*time.Minute))
	}
	noise := 1 + 0.03*s.rng.NormFloat64()
	t.offered = math.Max(t.base*wobble*noise, 0) + s.load.rateAt(s, now)

	t.ready = 0
	for _, p := range s.plans() {
		if p.workload == Target && p.servesTraffic(now) {
			t.ready++
		}
	}
	capPod := (w.cpuLimit - w.idleCPU) / w.perReqCPU
	capacity := float64(t.ready) * capPod
	t.gwMean = 0.0015
	switch {
	case t.ready == 0:
		t.served, t.errFrac, t.webMean = 0, 1, 0
	default:
		rho := t.offered / capacity
		t.served = math.Min(t.offered, capacity*maxUtil)
		t.errFrac = 0
		if t.offered > 0 {
			t.errFrac = 1 - t.served/t.offered
		}
		t.webMean = webService / (1 - math.Min(rho, maxUtil))
	}
	if now.Before(t.lossTill) {
		t.errFrac = math.Min(1, t.errFrac+t.lossFrac*(1-t.errFrac))
	}
	t.dbMean = 0.003 * (1 + t.served/1500)

	// Per-pod CPU, smoothed like metrics-server's window so the HPA sees a believable signal.
	alpha := 1 - math.Exp(-sec/8)
	for _, p := range s.plans() {
		ws := s.specs[p.workload]
		var perPod float64
		live := 0
		for _, q := range s.plans() {
			if q.workload == p.workload && q.servesTraffic(now) {
				live++
			}
		}
		if p.servesTraffic(now) && live > 0 {
			switch p.workload {
			case Target:
				perPod = t.served / float64(live)
			case "gateway":
				perPod = t.offered / float64(live)
			default:
				perPod = t.served / float64(live)
			}
		}
		target := math.Min(ws.idleCPU+ws.perReqCPU*perPod, ws.cpuLimit) * (1 + 0.02*s.rng.NormFloat64())
		if p.stage(now) == 2 {
			target = ws.idleCPU * 4 // start-up work
		}
		p.cpu += (target - p.cpu) * alpha
	}

	s.load.account(s, now, dt, t)

	// Sampled requests become traces and log lines.
	t.debt += math.Min(2+t.offered/80, 10) * sec
	for t.debt >= 1 {
		t.debt--
		at := now.Add(-time.Duration(s.rng.Float64() * float64(dt)))
		s.recordRequest(at, t)
	}

	for !now.Before(t.nextSamp) {
		s.sample(t.nextSamp, t)
		t.nextSamp = t.nextSamp.Add(time.Second)
	}
}

// latency draws one request's latency: fixed gateway and db parts plus an exponential web part.
func (t *traffic) latency(s *Sim) (gw, web, db float64) {
	gw = t.gwMean * (0.8 + 0.4*s.rng.Float64())
	web = s.rng.ExpFloat64() * t.webMean
	db = t.dbMean * (0.7 + 0.6*s.rng.Float64())
	return
}

// p returns the latency quantile q of the model.
func (t *traffic) p(q float64) float64 {
	if t.ready == 0 {
		return t.gwMean
	}
	return t.gwMean + t.dbMean - math.Log(1-q)*t.webMean
}

// slowerThan is the share of requests slower than d: the tail of the latency distribution p.
func (t *traffic) slowerThan(d time.Duration) float64 {
	if t.ready == 0 {
		return 0 // nothing answers: those are errors, not slow answers
	}
	over := d.Seconds() - t.gwMean - t.dbMean
	if over <= 0 {
		return 1
	}
	if t.webMean <= 0 {
		return 0
	}
	return math.Exp(-over / t.webMean)
}

func (s *Sim) sample(at time.Time, t *traffic) {
	st := s.store
	st.add("rate", at, t.offered)
	st.add("5xx", at, t.offered*t.errFrac)
	st.add("load", at, s.load.rateAt(s, at))
	st.add("errors", at, 100*t.errFrac)
	st.add("p50", at, t.p(0.5))
	st.add("p99", at, t.p(0.99))
	st.add("ready", at, float64(t.ready))
	desired := float64(t.ready)
	if dep := s.deployment(Target); dep != nil && dep.Spec.Replicas != nil {
		desired = float64(*dep.Spec.Replicas)
	}
	st.add("desired", at, desired)
	var cpu float64
	n := 0
	for _, p := range s.plans() {
		if p.workload == Target && p.servesTraffic(at) {
			cpu += p.cpu
			n++
		}
	}
	if n > 0 {
		st.add("cpu", at, cpu/float64(n)/s.specs[Target].cpuRequest*100)
	} else {
		st.add("cpu", at, 0)
	}
}
