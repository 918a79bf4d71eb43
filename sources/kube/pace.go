package kube

import (
	"context"
	"net"
	"sync/atomic"
	"time"
)

// Pacer batches the wake-ups of a watch connection. Under churn the apiserver sends ~100 small watch
// events a second, and each one woke the whole chain (netpoll, HTTP/2 read loop, TLS, decoder,
// reflector, informer) from idle, with cold caches: that cost several times the decoding itself.
// Once started, a paced connection that has drained its socket waits until one interval after that
// read before reading again, so the events of an interval arrive in one burst. Reads that fill the
// caller's buffer, and connections moving a list or a relist (bulkPerInterval), are not paced. The UI
// shows batches at 10 Hz anyway.
type Pacer struct {
	interval time.Duration
	on       atomic.Bool
}

// NewPacer returns a pacer that does nothing until Start.
func NewPacer(interval time.Duration) *Pacer { return &Pacer{interval: interval} }

// Start turns pacing on: call it after the first sync, which should run at full speed.
func (p *Pacer) Start() { p.on.Store(true) }

// Dial wraps a dial function (nil: a net.Dialer like client-go's) so that its connections are paced.
func (p *Pacer) Dial(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if dial == nil {
		dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &pacedConn{Conn: c, p: p}, nil
	}
}

// bulkPerInterval: a connection that read this much in the last interval is moving a list, not a
// trickle of events, and is not paced. It is below what the socket buffers hold (128 KiB by default on
// Linux), so pacing can never be what limits a transfer's rate.
const bulkPerInterval = 64 << 10

type pacedConn struct {
	net.Conn
	p        *Pacer
	next     time.Time // a read waits until then; zero: read now
	winStart time.Time // the current measuring interval
	winBytes int
	bulk     bool // the last interval moved bulkPerInterval or more
}

// Read is only ever called by one goroutine at a time (the TLS layer holds its input lock).
func (c *pacedConn) Read(b []byte) (int, error) {
	if !c.next.IsZero() && c.p.on.Load() {
		if d := time.Until(c.next); d > 0 {
			time.Sleep(d)
		}
	}
	n, err := c.Conn.Read(b)
	now := time.Now()
	c.winBytes += n
	if now.Sub(c.winStart) >= c.p.interval {
		c.bulk = c.winBytes >= bulkPerInterval
		c.winStart, c.winBytes = now, 0
	}
	if n < len(b) && !c.bulk {
		c.next = now.Add(c.p.interval)
	} else {
		c.next = time.Time{}
	}
	return n, err
}
