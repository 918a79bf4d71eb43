package sim

import (
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// HTTP is the simulated cluster's services answering HTTP, so an experiment's http probes work on
// the demo: a request to SERVICE.demo (also .demo.svc and .demo.svc.cluster.local) is answered as
// the simulation stands: 503 with no ready pod, a 5xx for the share of requests web fails now, else
// 200 with a small JSON body (/healthz: "ok"), after the simulated latency. Any other host goes to
// next (the real network).
func (s *Sim) HTTP(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return simHTTP{s: s, next: next}
}

type simHTTP struct {
	s    *Sim
	next http.RoundTripper
}

func (h simHTTP) RoundTrip(r *http.Request) (*http.Response, error) {
	host := r.URL.Hostname()
	svc, ok := "", false
	for _, suffix := range []string{"." + Namespace + ".svc.cluster.local", "." + Namespace + ".svc", "." + Namespace} {
		if name, found := strings.CutSuffix(host, suffix); found {
			svc, ok = name, true
			break
		}
	}
	if !ok {
		return h.next.RoundTrip(r)
	}
	s := h.s
	s.mu.Lock()
	ready := 0
	for _, p := range s.plans() {
		if p.workload == svc && p.servesTraffic(s.Now()) {
			ready++
		}
	}
	code, body := http.StatusOK, `{"service":"`+svc+`","ok":true}`+"\n"
	t := &s.traffic
	latency := secs(t.p(0.5))
	switch {
	case ready == 0:
		code, body = http.StatusServiceUnavailable, "no healthy upstream\n"
	case svc == Target && rand.Float64() < t.errFrac: // not the sim's own rng: a probe must not change the simulation
		code, body = http.StatusServiceUnavailable, "upstream overloaded\n"
	case strings.HasSuffix(r.URL.Path, "/healthz"):
		body = "ok\n"
	}
	s.mu.Unlock()
	select {
	case <-time.After(latency):
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	return &http.Response{StatusCode: code, Status: http.StatusText(code), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)), Request: r}, nil
}
