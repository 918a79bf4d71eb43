package engine

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

func (r *run) send(w *worker, intended time.Time) {
	if d := time.Until(intended); d > 0 {
		time.Sleep(d)
	}
	start := time.Now()
	lag := start.Sub(intended)
	if lag > 5*time.Millisecond {
		r.lateSends.Add(1)
	}
	r.sent.Add(1)
	if s := int(start.Sub(r.start) / time.Second); s >= 0 {
		r.perSecond[s%len(r.perSecond)].Add(1)
	}
	t := &r.e.opts.Targets[int(r.rr.Add(1)-1)%len(r.e.opts.Targets)]
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	req.SetRequestURI(t.URL)
	req.Header.SetMethod(t.Method)
	for _, h := range t.hdrs {
		req.Header.Add(h[0], h[1])
	}
	if len(t.Body) > 0 {
		req.SetBodyRaw(t.Body)
	}
	var tid [16]byte
	traced := !r.e.opts.NoTraceHeaders && !t.ownTrace
	if traced {
		tid = traceHeaders(req)
	}
	var u *vuser
	var cookie *string
	var err error
	if t.users != nil {
		u = t.users.pick()
		if cookie, err = r.cookie(t, u); err == nil {
			req.Header.Set("Cookie", *cookie)
		}
	}
	if err == nil {
		err = r.client.DoDeadline(req, resp, start.Add(r.e.opts.Timeout))
	}
	code := resp.StatusCode()
	in := int64(len(resp.Body()))
	// Latency from the intended send time: a stalled server delays everything queued behind it, and
	// that delay is what a user would have waited.
	lat := time.Since(intended)
	check := ""
	switch {
	case err != nil:
	case r.lost(t, u, cookie, code):
		check = "session lost"
	case t.Check != nil:
		check = t.Check.Failed(code, resp.Body(), lat)
	}
	fasthttp.ReleaseRequest(req)
	fasthttp.ReleaseResponse(resp)
	took := time.Since(start)
	r.svcNs.Add(int64(took))
	r.svcN.Add(1)
	if err != nil && r.ctx.Err() != nil {
		return // stopped by HALT (its connections were closed): not a result
	}
	if traced && (err != nil || check != "" || code < 200 || code >= 400) {
		r.failed.add(start, tid)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	_ = w.hist.RecordValue(max(lat.Microseconds(), 1))
	_ = w.svc.RecordValue(max(took.Microseconds(), 1))
	w.bytesIn += in
	w.bytesOut += int64(len(t.Body))
	switch {
	case err != nil:
		w.fail++
		if strings.HasPrefix(err.Error(), "login: ") {
			w.errs[err.Error()]++
		} else {
			w.errs[errKind(err)]++
		}
	case check != "":
		w.fail++
		w.codes[code]++
		w.checks[check]++
	case code >= 200 && code < 400:
		w.ok++
		w.codes[code]++
	default:
		w.fail++
		w.codes[code]++
	}
}

// errKind names an error class for the report.
func errKind(err error) string {
	var ne net.Error
	var ce *tls.CertificateVerificationError
	var de *net.DNSError
	switch {
	case errors.As(err, &de):
		return "DNS lookup failed"
	case errors.As(err, &ce):
		return "TLS certificate not trusted"
	case errors.Is(err, syscall.EMFILE), strings.Contains(err.Error(), "too many open files"):
		return "file descriptors exhausted"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "ephemeral ports exhausted"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, fasthttp.ErrConnectionClosed):
		return "connection closed"
	}
	return "other"
}
