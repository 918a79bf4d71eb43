package chaostoolkit

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

func (x *SessionExecutor) client(verify bool) *http.Client {
	c := x.HTTP
	if c == nil {
		c = &http.Client{}
	}
	if verify {
		return c
	}
	cp := *c
	var base *http.Transport
	if t, ok := c.Transport.(*http.Transport); ok {
		base = t.Clone()
	} else {
		base = http.DefaultTransport.(*http.Transport).Clone()
	}
	base.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the experiment asked: verify_tls false
	cp.Transport = base
	return &cp
}

// http runs the Chaos Toolkit's http provider: arguments are the query (GET) or the body (JSON when
// the request's Content-Type is application/json, else a form); 4xx and 5xx do not fail the
// activity; the output is {status, headers, body}, the body decoded when the answer is JSON.
func (x *SessionExecutor) http(ctx context.Context, p Provider, vars Vars) (any, error) {
	u, _ := vars.Substitute(p.URL).(string)
	headers, _ := vars.Substitute(p.Headers).(map[string]any)
	args, _ := vars.Substitute(p.Arguments).(map[string]any)
	timeout := 30 * time.Second
	switch t := vars.Substitute(p.Timeout).(type) {
	case int64, float64:
		timeout = seconds(t)
	case []any: // [connect, read]: the sum bounds the whole request
		timeout = 0
		for _, x := range t {
			timeout += seconds(x)
		}
	}
	var body io.Reader
	contentType := ""
	for k, v := range headers {
		if strings.EqualFold(k, "Content-Type") {
			contentType, _ = v.(string)
		}
	}
	if p.Method == http.MethodGet {
		if len(args) > 0 {
			q := url.Values{}
			for _, k := range sortedKeys(args) {
				q.Set(k, pyStr(args[k]))
			}
			sep := "?"
			if strings.Contains(u, "?") {
				sep = "&"
			}
			u += sep + q.Encode()
		}
	} else if len(args) > 0 {
		if contentType == "application/json" {
			b, _ := json.Marshal(args)
			body = bytes.NewReader(b)
		} else {
			f := url.Values{}
			for _, k := range sortedKeys(args) {
				f.Set(k, pyStr(args[k]))
			}
			body = strings.NewReader(f.Encode())
			if contentType == "" {
				contentType = "application/x-www-form-urlencoded"
				headers = mapsWith(headers, "Content-Type", contentType)
			}
		}
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, p.Method, u, body)
	if err != nil {
		return nil, fmt.Errorf("http activity: %w", err)
	}
	for k, v := range headers {
		req.Header.Set(k, pyStr(v))
	}
	resp, err := x.client(p.VerifyTLS).Do(req)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return nil, fmt.Errorf("activity took too long to complete")
		}
		return nil, fmt.Errorf("failed to connect to %s: %w", u, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", u, err)
	}
	hdr := map[string]any{}
	for k := range resp.Header {
		hdr[k] = resp.Header.Get(k)
	}
	var out any = string(raw)
	if resp.Header.Get("Content-Type") == "application/json" {
		if v, err := pyJSON(raw); err == nil {
			out = v
		}
	}
	return map[string]any{"status": int64(resp.StatusCode), "headers": hdr, "body": out}, nil
}

func mapsWith(m map[string]any, k string, v any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for a, b := range m {
		out[a] = b
	}
	out[k] = v
	return out
}
