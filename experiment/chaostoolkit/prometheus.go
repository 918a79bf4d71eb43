package chaostoolkit

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// prometheus runs chaosprometheus's query and query_interval against configuration's
// prometheus_base_url (default http://localhost:9090) and returns Prometheus's JSON as is.
func (x *SessionExecutor) prometheus(ctx context.Context, fn string, args map[string]any, vars Vars) (any, string, error) {
	base := "http://localhost:9090"
	if b, ok := vars.Configuration["prometheus_base_url"].(string); ok && b != "" {
		base = b
	}
	q := url.Values{"query": {str(args, "query")}}
	path := "/api/v1/query"
	if fn == "query_interval" {
		path = "/api/v1/query_range"
		start, err := promTime(args["start"])
		if err != nil {
			return nil, "", fmt.Errorf("start: %w", err)
		}
		end, err := promTime(args["end"])
		if err != nil {
			return nil, "", fmt.Errorf("end: %w", err)
		}
		q.Set("start", start)
		q.Set("end", end)
		q.Set("step", pyStr(args["step"]))
	} else if w := args["when"]; w != nil {
		t, err := promTime(w)
		if err != nil {
			return nil, "", fmt.Errorf("when: %w", err)
		}
		q.Set("time", t)
	}
	verify := args["verify_tls"] != false
	timeout := 30 * time.Second
	if t := seconds(args["timeout"]); t > 0 {
		timeout = t
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path+"?"+q.Encode(), nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := x.client(verify).Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("Prometheus query %s failed: %w", q.Get("query"), err) //nolint:staticcheck // chaosprometheus's words
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, "", fmt.Errorf("Prometheus query %s: %w", q.Get("query"), err) //nolint:staticcheck // chaosprometheus's words
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("Prometheus query %s failed: %s", q.Get("query"), strings.TrimSpace(string(body))) //nolint:staticcheck // chaosprometheus's words
	}
	v, err := pyJSON(body)
	return v, "", err
}

// promTime reads a time as chaosprometheus accepts it: RFC 3339, "now", "N seconds|minutes|hours ago".
func promTime(x any) (string, error) {
	s := strings.TrimSpace(pyStr(x))
	if s == "now" {
		return strconv.FormatInt(time.Now().Unix(), 10), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return strconv.FormatFloat(float64(t.UnixNano())/1e9, 'f', 3, 64), nil
	}
	if f := strings.Fields(s); len(f) == 3 && f[2] == "ago" {
		n, err := strconv.ParseFloat(f[0], 64)
		if err == nil {
			unit := map[string]time.Duration{"second": time.Second, "seconds": time.Second, "minute": time.Minute, "minutes": time.Minute,
				"hour": time.Hour, "hours": time.Hour}[f[1]]
			if unit > 0 {
				return strconv.FormatInt(time.Now().Add(-time.Duration(n*float64(unit))).Unix(), 10), nil
			}
		}
	}
	return "", fmt.Errorf("%q: want RFC 3339, now, or N seconds|minutes|hours ago", s)
}
