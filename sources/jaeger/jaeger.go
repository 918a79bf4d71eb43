// Package jaeger reads traces from Jaeger's query service (the HTTP API its UI uses, served by
// Jaeger v1's query and Jaeger v2's jaeger_query extension alike). Spans become zipkin-go's
// zmodel.SpanModel, so the Traces pane, its waterfall and the pivots work the same on both backends.
package jaeger

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

// Jaeger is a client of Jaeger's query HTTP API.
type Jaeger struct {
	base   *url.URL
	client *http.Client
	name   string
}

// New connects to a Jaeger query service at rawURL (e.g. http://jaeger-query:16686).
func New(rawURL string) (*Jaeger, error) {
	u, err := url.Parse(strings.TrimRight(rawURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--jaeger-url %q: want a URL like http://jaeger-query:16686", rawURL)
	}
	return &Jaeger{base: u, client: &http.Client{Timeout: sources.CallTimeout}, name: "jaeger " + u.Host}, nil
}

// NewVia reaches a Jaeger at base through rt (the apiserver's service proxy), named name.
func NewVia(base string, rt http.RoundTripper, name string) (*Jaeger, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil {
		return nil, fmt.Errorf("jaeger at %q: %w", base, err)
	}
	return &Jaeger{base: u, client: &http.Client{Timeout: sources.CallTimeout, Transport: rt}, name: name}, nil
}

// Name says which server is used.
func (j *Jaeger) Name() string { return j.name }

// envelope is every answer of the API: data, or errors.
type envelope struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
	} `json:"errors"`
}

func (j *Jaeger) get(ctx context.Context, path string, q url.Values, out any) error {
	u := *j.base
	u.Path += path
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := j.client.Do(req)
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
	var env envelope
	jsonErr := json.Unmarshal(body, &env)
	msg := resp.Status
	if jsonErr == nil && len(env.Errors) > 0 {
		msg = env.Errors[0].Msg
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("jaeger %s: not found", path)
	case resp.StatusCode >= 500:
		return sources.Unreachable(fmt.Errorf("jaeger %s: %s", path, msg))
	case resp.StatusCode >= 400:
		return fmt.Errorf("jaeger %s: %s", path, msg)
	case jsonErr != nil:
		return fmt.Errorf("jaeger %s: %w", path, jsonErr)
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return fmt.Errorf("jaeger %s: %w", path, err)
	}
	return nil
}

// Services lists the services Jaeger knows.
func (j *Jaeger) Services(ctx context.Context) ([]string, error) {
	var out []string
	err := j.get(ctx, "/api/services", nil, &out)
	sort.Strings(out)
	return out, err
}

// SpanNames lists the operations Jaeger knows for service, sorted.
func (j *Jaeger) SpanNames(ctx context.Context, service string) ([]string, error) {
	if service == "" {
		return nil, fmt.Errorf("span names: a service name is required")
	}
	var out []string
	err := j.get(ctx, "/api/services/"+url.PathEscape(service)+"/operations", nil, &out)
	sort.Strings(out)
	return out, err
}

// Recent lists recent traces of q.Service, newest first, filtered as asked.
func (j *Jaeger) Recent(ctx context.Context, q sources.TraceQuery) ([]sources.TraceSummary, error) {
	if q.Service == "" {
		// Jaeger's search needs a service; its UI asks for one too.
		return nil, fmt.Errorf("jaeger: traces are searched by service: set traces.service or a target")
	}
	v := url.Values{"service": {q.Service}}
	if q.SpanName != "" {
		v.Set("operation", q.SpanName)
	}
	if q.MinDuration > 0 {
		v.Set("minDuration", q.MinDuration.String())
	}
	end := q.End
	if end.IsZero() {
		end = time.Now()
	}
	lb := q.Lookback
	if lb <= 0 {
		lb = 15 * time.Minute
	}
	v.Set("end", strconv.FormatInt(end.UnixMicro(), 10))
	v.Set("start", strconv.FormatInt(end.Add(-lb).UnixMicro(), 10))
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	// Failed traces are picked here, from a wider search: Jaeger v2's memory store answers a search
	// for the tag error=true with nothing (the API's tag arrives as a string, whose Bool() is false).
	ask := limit
	if q.ErrorsOnly {
		ask = max(limit*5, 500)
	}
	v.Set("limit", strconv.Itoa(ask))
	var raw json.RawMessage
	if err := j.get(ctx, "/api/traces", v, &raw); err != nil {
		return nil, err
	}
	traces, err := DecodeTraces(raw)
	if err != nil {
		return nil, err
	}
	out := make([]sources.TraceSummary, 0, len(traces))
	for _, t := range traces {
		if len(t) == 0 {
			continue
		}
		if s := sources.SummarizeTrace(t); s.Error || !q.ErrorsOnly {
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.After(out[j].Start) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Trace fetches one whole trace.
func (j *Jaeger) Trace(ctx context.Context, id string) ([]zmodel.SpanModel, error) {
	if _, err := zmodel.TraceIDFromHex(id); err != nil {
		return nil, fmt.Errorf("trace id %q: %w", id, err)
	}
	var raw json.RawMessage
	if err := j.get(ctx, "/api/traces/"+id, nil, &raw); err != nil {
		return nil, err
	}
	traces, err := DecodeTraces(raw)
	if err != nil {
		return nil, err
	}
	if len(traces) == 0 {
		return nil, fmt.Errorf("jaeger: trace %s: not found", id)
	}
	return traces[0], nil
}

type kv struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

type span struct {
	TraceID       string `json:"traceID"`
	SpanID        string `json:"spanID"`
	OperationName string `json:"operationName"`
	References    []struct {
		RefType string `json:"refType"`
		TraceID string `json:"traceID"`
		SpanID  string `json:"spanID"`
	} `json:"references"`
	StartTime int64 `json:"startTime"` // µs since the epoch
	Duration  int64 `json:"duration"`  // µs
	Tags      []kv  `json:"tags"`
	Logs      []struct {
		Timestamp int64 `json:"timestamp"`
		Fields    []kv  `json:"fields"`
	} `json:"logs"`
	ProcessID string `json:"processID"`
}

type trace struct {
	TraceID   string `json:"traceID"`
	Spans     []span `json:"spans"`
	Processes map[string]struct {
		ServiceName string `json:"serviceName"`
	} `json:"processes"`
}

// DecodeTraces decodes the data of a /api/traces answer into spans as zipkin-go models them.
// Malformed input is an error, never a panic.
func DecodeTraces(b []byte) ([][]zmodel.SpanModel, error) {
	var in []trace
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("decoding traces: %w", err)
	}
	out := make([][]zmodel.SpanModel, 0, len(in))
	for _, t := range in {
		spans := make([]zmodel.SpanModel, 0, len(t.Spans))
		for _, s := range t.Spans {
			m, err := convert(s, t.Processes[s.ProcessID].ServiceName)
			if err != nil {
				return nil, fmt.Errorf("decoding trace %q: %w", t.TraceID, err)
			}
			spans = append(spans, m)
		}
		out = append(out, spans)
	}
	return out, nil
}

// convert is one Jaeger span as Zipkin models it: the parent from the first reference, the kind
// from span.kind, an error from Jaeger's error tag or OpenTelemetry's status, logs as annotations.
func convert(s span, service string) (zmodel.SpanModel, error) {
	tid, err := zmodel.TraceIDFromHex(s.TraceID)
	if err != nil {
		return zmodel.SpanModel{}, fmt.Errorf("trace id: %w", err)
	}
	id, err := strconv.ParseUint(s.SpanID, 16, 64)
	if err != nil {
		return zmodel.SpanModel{}, fmt.Errorf("span id %q: not hex", s.SpanID)
	}
	m := zmodel.SpanModel{
		SpanContext: zmodel.SpanContext{TraceID: tid, ID: zmodel.ID(id)},
		Name:        s.OperationName,
		Timestamp:   time.UnixMicro(s.StartTime),
		Duration:    time.Duration(max(s.Duration, 0)) * time.Microsecond,
		Tags:        map[string]string{},
	}
	if service != "" {
		m.LocalEndpoint = &zmodel.Endpoint{ServiceName: service}
	}
	for _, r := range s.References {
		if p, err := strconv.ParseUint(r.SpanID, 16, 64); err == nil && (r.RefType == "CHILD_OF" || r.RefType == "FOLLOWS_FROM") {
			pid := zmodel.ID(p)
			m.ParentID = &pid
			break
		}
	}
	failed := false
	for _, t := range s.Tags {
		v := fmt.Sprint(t.Value)
		switch t.Key {
		case "span.kind":
			m.Kind = zmodel.Kind(strings.ToUpper(v))
			continue
		case "error":
			failed = failed || v == "true"
			continue
		case "otel.status_code":
			failed = failed || v == "ERROR"
		}
		m.Tags[t.Key] = v
	}
	if failed {
		m.Tags["error"] = "true"
	}
	for _, l := range s.Logs {
		parts := make([]string, 0, len(l.Fields))
		for _, f := range l.Fields {
			parts = append(parts, f.Key+"="+fmt.Sprint(f.Value))
		}
		m.Annotations = append(m.Annotations, zmodel.Annotation{Timestamp: time.UnixMicro(l.Timestamp), Value: strings.Join(parts, " ")})
	}
	return m, nil
}
