// Package traces reads traces from a Zipkin v2 API server. Spans decode into zipkin-go's
// zmodel.SpanModel; another backend (Jaeger) can sit behind the same sources.TraceBackend.
package zipkin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	zmodel "github.com/openzipkin/zipkin-go/model"

	"github.com/gamedaylab/gameday/sources"
)

// Zipkin is a Zipkin v2 HTTP API client.
type Zipkin struct {
	base   *url.URL
	client *http.Client
	name   string
}

// NewZipkin connects to a Zipkin server at rawURL (e.g. http://zipkin:9411).
func NewZipkin(rawURL string) (*Zipkin, error) {
	u, err := url.Parse(strings.TrimRight(rawURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--zipkin-url %q: want a URL like http://zipkin:9411", rawURL)
	}
	return &Zipkin{base: u, client: &http.Client{Timeout: sources.CallTimeout}, name: "zipkin " + u.Host}, nil
}

// NewVia reaches a Zipkin at base through rt (the apiserver's service proxy), named name.
func NewVia(base string, rt http.RoundTripper, name string) (*Zipkin, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil {
		return nil, fmt.Errorf("zipkin at %q: %w", base, err)
	}
	return &Zipkin{base: u, client: &http.Client{Timeout: sources.CallTimeout, Transport: rt}, name: name}, nil
}

// Name says which server is used.
func (z *Zipkin) Name() string { return z.name }

func (z *Zipkin) get(ctx context.Context, path string, q url.Values, out any) error {
	u := *z.base
	u.Path += path
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := z.client.Do(req)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
			return sources.Unreachable(err)
		}
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return sources.Unreachable(err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("zipkin %s: not found", path)
	case resp.StatusCode >= 500:
		return sources.Unreachable(fmt.Errorf("zipkin %s: %s", path, resp.Status))
	case resp.StatusCode >= 400:
		return fmt.Errorf("zipkin %s: %s: %s", path, resp.Status, firstLine(string(body)))
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("zipkin %s: %w", path, err)
	}
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Services lists the service names Zipkin knows.
func (z *Zipkin) Services(ctx context.Context) ([]string, error) {
	var out []string
	err := z.get(ctx, "/api/v2/services", nil, &out)
	return out, err
}

// SpanNames lists the span names Zipkin knows for service (sorted, as Zipkin returns them).
func (z *Zipkin) SpanNames(ctx context.Context, service string) ([]string, error) {
	if service == "" {
		return nil, fmt.Errorf("span names: a service name is required")
	}
	var out []string
	err := z.get(ctx, "/api/v2/spans", url.Values{"serviceName": {strings.ToLower(service)}}, &out)
	return out, err
}

// DecodeTraces decodes a /api/v2/traces response: a list of traces, each a list of spans. Malformed
// input is an error, never a panic.
func DecodeTraces(b []byte) ([][]zmodel.SpanModel, error) {
	var out [][]zmodel.SpanModel
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("decoding traces: %w", err)
	}
	return out, nil
}

// Recent lists recent traces of q.Service, newest first, filtered as asked.
func (z *Zipkin) Recent(ctx context.Context, q sources.TraceQuery) ([]sources.TraceSummary, error) {
	v := url.Values{}
	if q.Service != "" {
		v.Set("serviceName", strings.ToLower(q.Service)) // zipkin-go lowercases service names
	}
	if q.SpanName != "" {
		v.Set("spanName", strings.ToLower(q.SpanName))
	}
	if q.MinDuration > 0 {
		v.Set("minDuration", strconv.FormatInt(q.MinDuration.Microseconds(), 10))
	}
	if q.ErrorsOnly {
		v.Set("annotationQuery", "error")
	}
	end := q.End
	if end.IsZero() {
		end = time.Now()
	}
	v.Set("endTs", strconv.FormatInt(end.UnixMilli(), 10))
	lb := q.Lookback
	if lb <= 0 {
		lb = 15 * time.Minute
	}
	v.Set("lookback", strconv.FormatInt(lb.Milliseconds(), 10))
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	v.Set("limit", strconv.Itoa(limit))
	var raw json.RawMessage
	if err := z.get(ctx, "/api/v2/traces", v, &raw); err != nil {
		return nil, err
	}
	traces, err := DecodeTraces(raw)
	if err != nil {
		return nil, err
	}
	out := make([]sources.TraceSummary, 0, len(traces))
	for _, t := range traces {
		if len(t) > 0 {
			out = append(out, sources.SummarizeTrace(t))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.After(out[j].Start) })
	return out, nil
}

// Trace fetches one whole trace.
func (z *Zipkin) Trace(ctx context.Context, id string) ([]zmodel.SpanModel, error) {
	if _, err := zmodel.TraceIDFromHex(id); err != nil {
		return nil, fmt.Errorf("trace id %q: %w", id, err)
	}
	var spans []zmodel.SpanModel
	if err := z.get(ctx, "/api/v2/trace/"+id, nil, &spans); err != nil {
		return nil, err
	}
	return spans, nil
}
