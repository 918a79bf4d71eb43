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
// read before reading again, so the events of an interval arrive in one burst. A read that fills
// the caller's buffer (a large list, a relist) is not paced. The UI shows batches at 10 Hz anyway.
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

type pacedConn struct {
	net.Conn
	p    *Pacer
	next time.Time // a read waits until then; zero: read now
}

// Read is only ever called by one goroutine at a time (the TLS layer holds its input lock).
func (c *pacedConn) Read(b []byte) (int, error) {
	if !c.next.IsZero() && c.p.on.Load() {
		if d := time.Until(c.next); d > 0 {
			time.Sleep(d)
		}
	}
	n, err := c.Conn.Read(b)
	if n < len(b) {
		c.next = time.Now().Add(c.p.interval)
	} else {
		c.next = time.Time{}
	}
	return n, err
}
