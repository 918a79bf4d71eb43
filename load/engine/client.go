package engine

import (
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// newClient is a run's HTTP client. fasthttp rather than net/http: net/http's client spends much of
// its CPU per request in the hand-offs between its per-connection read and write goroutines, and the
// generator, competing with the server for the same cores, fell behind its schedule first; fasthttp
// sends and reads on the caller's goroutine (numbers in docs/ARCHITECTURE.md).
// It has no per-request context, so a run tracks its connections and HALT closes them, which ends
// every request in flight; a run's client dials nothing after that.
func newClient(o Options, conns *connSet) *fasthttp.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &fasthttp.Client{
		Name:                          "gameday-load",
		MaxConnsPerHost:               o.MaxWorkers,
		MaxIdleConnDuration:           90 * time.Second,
		ConnPoolStrategy:              fasthttp.LIFO,
		DisableHeaderNamesNormalizing: true,
		DisablePathNormalizing:        true,
		// A failed request is a result, never retried: a retry would hide the error and send more than
		// the schedule asked for (and after HALT, send again).
		MaxIdemponentCallAttempts: 1,
		RetryIfErr:                func(*fasthttp.Request, int, error) (bool, bool) { return false, false },
		TLSConfig:                 &tls.Config{RootCAs: o.RootCAs},
		Dial: func(addr string) (net.Conn, error) {
			c, err := dialer.Dial("tcp", addr)
			if err != nil {
				return nil, err
			}
			return conns.add(c)
		},
	}
}

// connSet is every open connection of the engine's client, so HALT can close them.
type connSet struct {
	mu     sync.Mutex
	m      map[*trackedConn]struct{}
	closed bool
}

type trackedConn struct {
	net.Conn
	set  *connSet
	once sync.Once
}

func (s *connSet) add(c net.Conn) (net.Conn, error) {
	tc := &trackedConn{Conn: c, set: s}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		_ = c.Close()
		return nil, errHalted
	}
	if s.m == nil {
		s.m = map[*trackedConn]struct{}{}
	}
	s.m[tc] = struct{}{}
	return tc, nil
}

var errHalted = errors.New("load stopped")

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.set.mu.Lock()
		delete(c.set.m, c)
		c.set.mu.Unlock()
	})
	return c.Conn.Close()
}

// closeAll ends every connection: requests in flight on them fail at once.
func (s *connSet) closeAll() {
	s.mu.Lock()
	s.closed = true
	cs := make([]*trackedConn, 0, len(s.m))
	for c := range s.m {
		cs = append(cs, c)
	}
	s.mu.Unlock()
	for _, c := range cs {
		_ = c.Close()
	}
}
