// Package logs tails container logs from an Elasticsearch-API server (the EFK stack's store) with the
// official go-elasticsearch client: sort by @timestamp plus a tiebreaker, page with search_after, read
// only lines older than a settle delay, so nothing is shown twice or skipped.
package elasticsearch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/gamedaylab/gameday/sources"
)

// Fields are the document fields the backend reads. The defaults are what Fluent Bit's kubernetes
// filter writes (with Merge_Log on, the app's JSON fields are at the top level).
type Fields struct {
	Timestamp  string
	Message    string // the raw line
	Namespace  string
	Pod        string
	Container  string
	Level      string
	Msg        string // the app's own message field (falls back to Message)
	TraceID    string
	Tiebreaker string // a unique sortable field: _id (OpenSearch; Elasticsearch 8 needs a keyword field)
}

// DefaultFields are Fluent Bit's.
func DefaultFields() Fields {
	return Fields{Timestamp: "@timestamp", Message: "log", Namespace: "kubernetes.namespace_name",
		Pod: "kubernetes.pod_name", Container: "kubernetes.container_name", Level: "level", Msg: "msg",
		TraceID: "trace_id", Tiebreaker: "_id"}
}

// Config is how to reach the server and what to read.
type Config struct {
	URL      string
	Index    string // index pattern: logstash-* (Fluentd), fluent-bit, kubernetes-*...
	Username string
	Password string
	APIKey   string
	CAFile   string
	Fields   Fields
	// Settle: only lines older than this are read, so a line indexed late is never skipped. A shipper
	// flushes every second and the store refreshes every second, more under load: 5 s by default.
	Settle time.Duration
	// Transport and Name are set for a server found in the cluster (the apiserver's service proxy).
	Transport http.RoundTripper
	Name      string
}

// ES is the logs backend.
type ES struct {
	client *elasticsearch.Client
	cfg    Config
	seq    atomic.Uint64
}

// productHeader adds X-Elastic-Product to responses of Elasticsearch-API servers that are not
// Elasticsearch (OpenSearch), so the official client, which checks for it, talks to them.
type productHeader struct{ base http.RoundTripper }

func (p productHeader) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := p.base.RoundTrip(r)
	if err == nil && resp.Header.Get("X-Elastic-Product") == "" {
		resp.Header.Set("X-Elastic-Product", "Elasticsearch")
	}
	return resp, err
}

// New makes the backend.
func New(cfg Config) (*ES, error) {
	if !strings.HasPrefix(cfg.URL, "http://") && !strings.HasPrefix(cfg.URL, "https://") {
		return nil, fmt.Errorf("--es-url %q: want a URL like http://elasticsearch:9200", cfg.URL)
	}
	if cfg.Index == "" {
		cfg.Index = "logstash-*"
	}
	def := DefaultFields()
	f := &cfg.Fields
	for _, p := range []struct {
		v *string
		d string
	}{{&f.Timestamp, def.Timestamp}, {&f.Message, def.Message},
		{&f.Namespace, def.Namespace}, {&f.Pod, def.Pod}, {&f.Container, def.Container}, {&f.Level, def.Level},
		{&f.Msg, def.Msg}, {&f.TraceID, def.TraceID}, {&f.Tiebreaker, def.Tiebreaker}} {
		if *p.v == "" {
			*p.v = p.d
		}
	}
	if cfg.Settle <= 0 {
		cfg.Settle = 5 * time.Second
	}
	var base http.RoundTripper = cfg.Transport
	if base == nil {
		t, err := sources.Transport("elasticsearch", cfg.CAFile)
		if err != nil {
			return nil, err
		}
		base = t
	}
	c, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{cfg.URL}, Username: cfg.Username,
		Password: cfg.Password, APIKey: cfg.APIKey, Transport: sources.Bounded(productHeader{base: base}), MaxRetries: 1})
	if err != nil {
		return nil, fmt.Errorf("elasticsearch client: %w", err)
	}
	return &ES{client: c, cfg: cfg}, nil
}

// Name says which server and index are read.
func (e *ES) Name() string {
	if e.cfg.Name != "" {
		return e.cfg.Name + " " + e.cfg.Index
	}
	host := strings.TrimPrefix(strings.TrimPrefix(e.cfg.URL, "http://"), "https://")
	return "es " + host + "/" + e.cfg.Index
}

// Hit is one search hit.
type Hit struct {
	ID     string          `json:"_id"`
	Source json.RawMessage `json:"_source"`
	Sort   []any           `json:"sort"`
}

// DecodeSearch decodes a search response. Malformed input is an error, never a panic.
func DecodeSearch(b []byte) ([]Hit, error) {
	var r struct {
		Hits *struct {
			Hits []Hit `json:"hits"`
		} `json:"hits"`
		Error json.RawMessage `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // sort values keep their exact form for search_after
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("decoding search response: %w", err)
	}
	if len(r.Error) > 0 && string(r.Error) != "null" {
		return nil, fmt.Errorf("search failed: %s", errText(r.Error))
	}
	if r.Hits == nil {
		return nil, errors.New("decoding search response: no hits object")
	}
	for i, h := range r.Hits.Hits {
		if len(h.Sort) == 0 {
			return nil, fmt.Errorf("decoding search response: hit %d has no sort values", i)
		}
	}
	return r.Hits.Hits, nil
}

func errText(raw json.RawMessage) string {
	var e struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
		Root   []struct {
			Reason string `json:"reason"`
		} `json:"root_cause"`
		Failed []struct {
			Reason struct {
				Reason string `json:"reason"`
			} `json:"reason"`
		} `json:"failed_shards"`
	}
	if json.Unmarshal(raw, &e) == nil && e.Reason != "" {
		why := ""
		switch {
		case len(e.Root) > 0 && e.Root[0].Reason != "" && e.Root[0].Reason != e.Reason:
			why = e.Root[0].Reason
		case len(e.Failed) > 0 && e.Failed[0].Reason.Reason != "":
			why = e.Failed[0].Reason.Reason
		}
		if why != "" {
			return e.Reason + ": " + why
		}
		return e.Reason
	}
	return string(raw)
}

// lookup reads a dotted field from a document, nested (Fluent Bit) or flat ("a.b" keys).
func lookup(doc map[string]any, path string) any {
	if v, ok := doc[path]; ok {
		return v
	}
	head, rest, ok := strings.Cut(path, ".")
	if !ok {
		return nil
	}
	for i := len(path); i > 0; i-- { // the longest flat prefix first: {"kubernetes.labels": {...}}
		if path[i-1] != '.' {
			continue
		}
		if sub, ok := doc[path[:i-1]].(map[string]any); ok {
			return lookup(sub, path[i:])
		}
	}
	if sub, ok := doc[head].(map[string]any); ok {
		return lookup(sub, rest)
	}
	return nil
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// line turns a document into a log line.
func (e *ES) line(h Hit) (sources.LogLine, error) {
	var doc map[string]any
	if err := json.Unmarshal(h.Source, &doc); err != nil {
		return sources.LogLine{}, fmt.Errorf("hit %s: %w", h.ID, err)
	}
	f := e.cfg.Fields
	ts, _ := time.Parse(time.RFC3339Nano, str(lookup(doc, f.Timestamp)))
	l := sources.LogLine{Time: ts, Namespace: str(lookup(doc, f.Namespace)), Pod: str(lookup(doc, f.Pod)),
		Container: str(lookup(doc, f.Container)), Level: strings.ToLower(str(lookup(doc, f.Level))),
		Msg: str(lookup(doc, f.Msg)), TraceID: str(lookup(doc, f.TraceID)), Raw: str(lookup(doc, f.Message)), Seq: e.seq.Add(1)}
	// The raw line may itself be the app's JSON (no Merge_Log): read level, msg and trace id from it.
	if (l.Level == "" || l.Msg == "" || l.TraceID == "") && strings.HasPrefix(strings.TrimSpace(l.Raw), "{") {
		var inner map[string]any
		if json.Unmarshal([]byte(l.Raw), &inner) == nil {
			if l.Level == "" {
				l.Level = strings.ToLower(str(inner["level"]))
			}
			if l.Msg == "" {
				l.Msg = str(inner["msg"])
			}
			if l.TraceID == "" {
				l.TraceID = str(inner["trace_id"])
			}
		}
	}
	if l.Msg == "" {
		l.Msg = strings.TrimRight(l.Raw, "\n")
	}
	return l, nil
}

func (e *ES) search(ctx context.Context, body map[string]any) ([]Hit, error) {
	b, _ := json.Marshal(body)
	res, err := e.client.Search(e.client.Search.WithContext(ctx), e.client.Search.WithIndex(e.cfg.Index),
		e.client.Search.WithBody(bytes.NewReader(b)), e.client.Search.WithIgnoreUnavailable(true),
		e.client.Search.WithAllowNoIndices(true))
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "connection refused") {
			return nil, sources.Unreachable(err)
		}
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, sources.Unreachable(err)
	}
	if res.StatusCode >= 500 && res.StatusCode != 503 {
		return nil, sources.Unreachable(fmt.Errorf("%s: %s", res.Status(), firstLine(string(raw))))
	}
	return DecodeSearch(raw)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// query selects q's lines between since (zero: any) and until: the namespace, and the filter as an
// Elasticsearch query string.
func (e *ES) query(q sources.LogQuery, since, until time.Time) map[string]any {
	f := e.cfg.Fields
	rng := map[string]any{"lte": until.UTC().Format(time.RFC3339Nano)}
	if !since.IsZero() {
		rng["gte"] = since.UTC().Format(time.RFC3339Nano)
	}
	filter := []any{map[string]any{"range": map[string]any{f.Timestamp: rng}}}
	if q.Namespace != "" {
		filter = append(filter, map[string]any{"match_phrase": map[string]any{f.Namespace: q.Namespace}})
	}
	if len(q.TraceIDs) > 0 {
		ids := q.TraceIDs[max(0, len(q.TraceIDs)-sources.MaxTraceIDs):]
		should := make([]any, len(ids))
		for i, id := range ids {
			should[i] = map[string]any{"match_phrase": map[string]any{f.TraceID: id}}
		}
		filter = append(filter, map[string]any{"bool": map[string]any{"should": should, "minimum_should_match": 1}})
	}
	boolQ := map[string]any{"filter": filter}
	if strings.TrimSpace(q.Filter) != "" {
		boolQ["must"] = []any{map[string]any{"query_string": map[string]any{"query": q.Filter, "default_operator": "AND", "lenient": true}}}
	}
	return map[string]any{"bool": boolQ}
}

// Tail returns up to q.Limit lines after the cursor, oldest first.
func (e *ES) Tail(ctx context.Context, q sources.LogQuery, after sources.LogCursor) ([]sources.LogLine, sources.LogCursor, error) {
	f := e.cfg.Fields
	limit := q.Limit
	if limit <= 0 {
		limit = 500
	}
	since := q.Since
	if after.Set {
		since = time.Time{} // the cursor says where to go on
	}
	body := map[string]any{"size": limit, "query": e.query(q, since, time.Now().Add(-e.cfg.Settle)),
		"sort": []any{map[string]any{f.Timestamp: map[string]any{"order": "asc", "unmapped_type": "date"}}, map[string]any{f.Tiebreaker: map[string]any{"order": "asc", "unmapped_type": "keyword"}}}}
	if after.Set && len(after.Sort) > 0 {
		body["search_after"] = after.Sort
	}
	hits, err := e.search(ctx, body)
	if err != nil {
		return nil, after, err
	}
	out := make([]sources.LogLine, 0, len(hits))
	cur := after
	for _, h := range hits {
		l, err := e.line(h)
		if err != nil {
			return out, cur, err
		}
		out = append(out, l)
		cur = sources.LogCursor{Time: l.Time, Seq: l.Seq, Set: true, Sort: h.Sort}
	}
	return out, cur, nil
}

// Count is how many lines match q between q.Since and end (the _count API: nothing is fetched).
func (e *ES) Count(ctx context.Context, q sources.LogQuery, end time.Time) (int, error) {
	b, _ := json.Marshal(map[string]any{"query": e.query(q, q.Since, end)})
	res, err := e.client.Count(e.client.Count.WithContext(ctx), e.client.Count.WithIndex(e.cfg.Index),
		e.client.Count.WithBody(bytes.NewReader(b)), e.client.Count.WithIgnoreUnavailable(true), e.client.Count.WithAllowNoIndices(true))
	if err != nil {
		return 0, sources.Unreachable(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, sources.Unreachable(err)
	}
	if res.IsError() {
		return 0, fmt.Errorf("count: %s: %s", res.Status(), firstLine(string(raw)))
	}
	var out struct {
		Count *int `json:"count"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.Count == nil {
		return 0, fmt.Errorf("count: the answer has no count: %s", firstLine(string(raw)))
	}
	return *out.Count, nil
}

// ByTrace returns the lines carrying a trace id, oldest first.
func (e *ES) ByTrace(ctx context.Context, traceID string) ([]sources.LogLine, error) {
	f := e.cfg.Fields
	body := map[string]any{"size": 500, "query": map[string]any{"match_phrase": map[string]any{f.TraceID: traceID}},
		"sort": []any{map[string]any{f.Timestamp: map[string]any{"order": "asc", "unmapped_type": "date"}}, map[string]any{f.Tiebreaker: map[string]any{"order": "asc", "unmapped_type": "keyword"}}}}
	hits, err := e.search(ctx, body)
	if err != nil {
		return nil, err
	}
	var out []sources.LogLine
	for _, h := range hits {
		l, err := e.line(h)
		if err != nil {
			return out, err
		}
		out = append(out, l)
	}
	return out, nil
}
