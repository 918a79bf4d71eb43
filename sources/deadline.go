package sources

import (
	"context"
	"io"
	"net/http"
	"time"
)

// CallTimeout bounds every call to a backend (Prometheus, Zipkin, Elasticsearch, a discovery probe):
// a server that accepts and never answers must not hold a poller, a probe or a stop.
const CallTimeout = 10 * time.Second

// HangAfter is how long a call may go unanswered before the header shows its backend as hanging.
const HangAfter = 3 * time.Second

// Bounded gives every request through rt a deadline of CallTimeout, or the caller's when it is
// sooner; the deadline holds until the response body is closed.
func Bounded(rt http.RoundTripper) http.RoundTripper {
	if _, ok := rt.(bounded); ok {
		return rt
	}
	return bounded{rt: rt}
}

type bounded struct{ rt http.RoundTripper }

func (b bounded) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), CallTimeout)
	res, err := b.rt.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	res.Body = cancelOnClose{ReadCloser: res.Body, cancel: cancel}
	return res, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
