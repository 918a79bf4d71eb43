package engine

import (
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

type worker struct {
	ch       chan int64
	mu       sync.Mutex
	hist     *hdr.Histogram
	svc      *hdr.Histogram // from the actual send: what vegeta and k6 report
	ok, fail int64
	codes    map[int]int64
	errs     map[string]int64
	checks   map[string]int64
	bytesIn  int64
	bytesOut int64
}

// maxBacklog bounds sends waiting for a worker; beyond it they are dropped (and reported).
const maxBacklog = 1 << 20

// dispatch hands a send to the most recently idle worker, or queues it; it returns the backlog length.
func (r *run) dispatch(at int64) int {
	r.dmu.Lock()
	if n := len(r.idleW); n > 0 {
		w := r.idleW[n-1]
		r.idleW = r.idleW[:n-1]
		r.dmu.Unlock()
		r.scheduled.Add(1)
		w.ch <- at
		return 0
	}
	if len(r.backlog) >= maxBacklog {
		r.dmu.Unlock()
		r.dropped.Add(1)
		return maxBacklog
	}
	r.backlog = append(r.backlog, at)
	n := len(r.backlog)
	r.dmu.Unlock()
	r.scheduled.Add(1)
	return n
}

// backlogAge is how late the oldest waiting send already is.
func (r *run) backlogAge(now time.Time) time.Duration {
	r.dmu.Lock()
	defer r.dmu.Unlock()
	if len(r.backlog) == 0 {
		return 0
	}
	return now.Sub(time.Unix(0, r.backlog[0]))
}

// next is what a worker does after a send: take the oldest waiting send (got), or park (idle) until
// dispatch hands it one or closeWorkers closes its channel. Once the schedule is over it does neither
// and the worker ends.
func (r *run) next(w *worker) (at int64, got, parked bool) {
	r.dmu.Lock()
	defer r.dmu.Unlock()
	if len(r.backlog) > 0 {
		at := r.backlog[0]
		r.backlog = r.backlog[1:]
		if len(r.backlog) == 0 {
			r.backlog = nil // let the array go
		}
		return at, true, false
	}
	if r.closed {
		return 0, false, false
	}
	r.idleW = append(r.idleW, w)
	r.idle.Add(1)
	return 0, false, true
}

// closeWorkers ends every parked worker once the schedule is over; busy ones end after their send.
func (r *run) closeWorkers() {
	r.dmu.Lock()
	defer r.dmu.Unlock()
	r.closed = true
	for _, w := range r.idleW {
		close(w.ch)
	}
	r.idleW = nil
	if r.ctx.Err() != nil {
		r.dropped.Add(int64(len(r.backlog)))
		r.backlog = nil
	}
}

func (r *run) spawn(n int) {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	for i := 0; i < n && len(r.workers) < r.e.opts.MaxWorkers; i++ {
		w := &worker{hist: newHist(), svc: newHist(), codes: map[int]int64{}, errs: map[string]int64{}, checks: map[string]int64{}, ch: make(chan int64, 1)}
		r.workers = append(r.workers, w)
		r.wg.Add(1)
		go r.work(w)
	}
}

func (r *run) work(w *worker) {
	defer r.wg.Done()
	// A worker starts by looking for work like after a send: one spawned just before the schedule
	// ended must not wait on a channel nobody will close (it was never parked).
	for {
		at, got, parked := r.next(w)
		if !got {
			if !parked {
				return
			}
			var open bool
			if at, open = <-w.ch; !open {
				return
			}
			r.idle.Add(-1)
		}
		if r.ctx.Err() == nil { // HALT: drain without sending
			r.inflight.Add(1)
			r.send(w, time.Unix(0, at))
			r.inflight.Add(-1)
		}
	}
}
