package sim

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	zmodel "github.com/openzipkin/zipkin-go/model"

	"github.com/gamedaylab/gameday/sources"
)

// store keeps one point per second per series for the last hour.
type store struct {
	series map[string]*ring[sources.Point]
	traces *ring[[]zmodel.SpanModel]
	logs   *ring[sources.LogLine]
	seq    uint64
}

func newStore() *store {
	return &store{series: map[string]*ring[sources.Point]{}, traces: newRing[[]zmodel.SpanModel](2000),
		logs: newRing[sources.LogLine](20000)}
}

func (st *store) add(name string, t time.Time, v float64) {
	r, ok := st.series[name]
	if !ok {
		r = newRing[sources.Point](3600)
		st.series[name] = r
	}
	r.push(sources.Point{T: t, V: v})
}

// ring is a fixed-capacity FIFO: the oldest items fall off.
type ring[T any] struct {
	buf   []T
	start int
	n     int
}

func newRing[T any](capacity int) *ring[T] { return &ring[T]{buf: make([]T, capacity)} }

func (r *ring[T]) push(v T) {
	if r.n < len(r.buf) {
		r.buf[(r.start+r.n)%len(r.buf)] = v
		r.n++
		return
	}
	r.buf[r.start] = v
	r.start = (r.start + 1) % len(r.buf)
}

func (r *ring[T]) len() int { return r.n }

// at returns the i-th oldest item.
func (r *ring[T]) at(i int) T { return r.buf[(r.start+i)%len(r.buf)] }

// ---- requests: traces and logs ----

var routes = []struct {
	method, path string
	dbQuery      string
}{
	{"GET", "/api/items", "select items"},
	{"GET", "/api/items/{id}", "select item by id"},
	{"POST", "/api/cart", "insert cart line"},
	{"GET", "/", ""},
}

func (s *Sim) newID() zmodel.ID { return zmodel.ID(s.rng.Uint64() | 1) }

func (s *Sim) pickPod(workload string, at time.Time) string {
	var names []string
	for _, p := range s.plans() {
		if p.workload == workload && p.servesTraffic(at) {
			names = append(names, p.name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	// Deterministic: sort before picking (map order is random).
	sortStrings(names)
	return names[s.rng.Intn(len(names))]
}

// recordRequest makes one sampled request: a gateway -> web -> db trace whose span durations follow
// the current load, and the access (or error) log lines of the pods that served it.
func (s *Sim) recordRequest(at time.Time, t *traffic) {
	r := routes[s.rng.Intn(len(routes))]
	tid := zmodel.TraceID{High: s.rng.Uint64(), Low: s.rng.Uint64()}
	gw, web, db := t.latency(s)
	failed := s.rng.Float64() < t.errFrac
	gwPod, webPod := s.pickPod("gateway", at), s.pickPod(Target, at)
	status := 200
	if r.method == "POST" {
		status = 201
	}
	errText := ""
	if failed {
		status = 503
		errText = "upstream web: no healthy endpoint"
		switch {
		case webPod != "" && at.Before(t.lossTill):
			status, errText = 502, "upstream web: connection reset by peer"
		case webPod != "":
			errText = "upstream web: queue full (overloaded)"
		}
	}
	name := strings.ToLower(r.method + " " + r.path)
	rootID := s.newID()
	total := gw + web + db
	if failed && webPod == "" {
		total = gw
	}
	spans := []zmodel.SpanModel{{
		SpanContext: zmodel.SpanContext{TraceID: tid, ID: rootID},
		Name:        name, Kind: zmodel.Server, Timestamp: at, Duration: secs(total),
		LocalEndpoint: &zmodel.Endpoint{ServiceName: "gateway"},
		Tags:          map[string]string{"http.method": r.method, "http.path": r.path, "http.status_code": fmt.Sprint(status), "pod": gwPod},
	}}
	if failed {
		spans[0].Tags["error"] = errText
		s.load.noteFailed(at, tid.String())
	}
	if !(failed && webPod == "") {
		webID := s.newID()
		webStart := at.Add(secs(gw / 2))
		ws := zmodel.SpanModel{
			SpanContext: zmodel.SpanContext{TraceID: tid, ID: webID, ParentID: &rootID},
			Name:        name, Kind: zmodel.Server, Timestamp: webStart, Duration: secs(web + db),
			LocalEndpoint: &zmodel.Endpoint{ServiceName: "web"},
			Tags:          map[string]string{"http.method": r.method, "http.path": r.path, "http.status_code": fmt.Sprint(status), "pod": webPod},
			Annotations:   []zmodel.Annotation{{Timestamp: webStart.Add(secs(web * 0.3)), Value: "handler.start"}},
		}
		if failed {
			ws.Tags["error"] = errText
		}
		spans = append(spans, ws)
		if r.dbQuery != "" && !failed {
			dbID := s.newID()
			spans = append(spans, zmodel.SpanModel{
				SpanContext: zmodel.SpanContext{TraceID: tid, ID: dbID, ParentID: &webID},
				Name:        r.dbQuery, Kind: zmodel.Client, Timestamp: webStart.Add(secs(web * 0.4)), Duration: secs(db),
				LocalEndpoint:  &zmodel.Endpoint{ServiceName: "web"},
				RemoteEndpoint: &zmodel.Endpoint{ServiceName: "db"},
				Tags:           map[string]string{"db.system": "postgresql", "db.statement": r.dbQuery},
			})
		}
	}
	s.store.traces.push(spans)

	ms := total * 1000
	if gwPod != "" {
		lvl := "info"
		if failed {
			lvl = "error"
		}
		s.addLog(s.Now(), gwPod, "gateway", lvl, fmt.Sprintf("%s %s %d", r.method, r.path, status),
			tid.String(), map[string]any{"route": r.path, "status": status, "duration_ms": round1(ms), "error": errText})
	}
	if webPod != "" {
		lvl, msg := "info", fmt.Sprintf("%s %s %d", r.method, r.path, status)
		if failed {
			lvl = "warn"
			if status == 502 {
				lvl, msg = "error", "request aborted: pod shutting down"
			} else {
				msg = "shedding request: queue full"
			}
		} else if web > 0.25 {
			lvl, msg = "warn", fmt.Sprintf("slow request %s %s took %.0fms", r.method, r.path, (web+db)*1000)
		}
		s.addLog(s.Now(), webPod, "web", lvl, msg, tid.String(),
			map[string]any{"route": r.path, "status": status, "duration_ms": round1((web + db) * 1000)})
	}
}

func (s *Sim) logLifecycle(p *podPlan, at time.Time, level, msg string) {
	s.addLog(at, p.name, p.workload, level, msg, "", nil)
}

// addLog appends a line in the shape the demo app writes (JSON on stdout). Lines are stamped in
// insertion order (time, then sequence), which is what makes the cursor tail exact.
func (s *Sim) addLog(at time.Time, pod, container, level, msg, traceID string, fields map[string]any) {
	rec := map[string]any{"time": at.UTC().Format(time.RFC3339Nano), "level": level, "msg": msg, "pod": pod}
	if traceID != "" {
		rec["trace_id"] = traceID
	}
	for k, v := range fields {
		if v != "" && v != nil {
			rec[k] = v
		}
	}
	raw, _ := json.Marshal(rec)
	s.store.seq++
	s.store.logs.push(sources.LogLine{Time: at, Namespace: Namespace, Pod: pod, Container: container, Level: level,
		Msg: msg, TraceID: traceID, Raw: string(raw), Seq: s.store.seq})
}

func secs(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

func round1(f float64) float64 { return math.Round(f*10) / 10 }

func sortStrings(a []string) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}
