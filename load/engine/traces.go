package engine

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// failedRing keeps the trace ids of the newest failed requests.
type failedRing struct {
	mu  sync.Mutex
	ids [maxFailedTraces]failedTrace
	n   int // written so far; the ring holds the last min(n, len(ids))
}

type failedTrace struct {
	at int64 // send time, unix ns
	id [16]byte
}

// maxFailedTraces is how many failed requests' trace ids a run keeps.
const maxFailedTraces = 1000

func (f *failedRing) add(at time.Time, id [16]byte) {
	f.mu.Lock()
	f.ids[f.n%len(f.ids)] = failedTrace{at.UnixNano(), id}
	f.n++
	f.mu.Unlock()
}

// since lists the ids of failures sent at or after t, oldest first, at most the last limit.
func (f *failedRing) since(t time.Time, limit int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for i := max(0, f.n-len(f.ids)); i < f.n; i++ {
		if e := f.ids[i%len(f.ids)]; e.at >= t.UnixNano() {
			out = append(out, hex.EncodeToString(e.id[:]))
		}
	}
	return out[max(0, len(out)-limit):]
}

// FailedTraces implements load.FailedTracer for the current (or last) run.
func (e *Engine) FailedTraces(since time.Time, limit int) []string {
	e.mu.Lock()
	r := e.cur
	e.mu.Unlock()
	if r == nil {
		return nil
	}
	return r.failed.since(since, limit) // empty without trace headers: nothing was kept
}

// traceHeaders gives a request a new trace (128-bit id) and root span id, as B3 headers.
func traceHeaders(req *fasthttp.Request) (id [16]byte) {
	binary.BigEndian.PutUint64(id[:8], rand.Uint64())
	binary.BigEndian.PutUint64(id[8:], rand.Uint64())
	var span [8]byte
	binary.BigEndian.PutUint64(span[:], rand.Uint64()|1)
	var tb [32]byte
	var sb [16]byte
	hex.Encode(tb[:], id[:])
	hex.Encode(sb[:], span[:])
	req.Header.SetBytesV("X-B3-TraceId", tb[:])
	req.Header.SetBytesV("X-B3-SpanId", sb[:])
	return id
}
