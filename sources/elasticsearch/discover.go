package elasticsearch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/sources/discover"
)

// Want is what an in-cluster Elasticsearch or OpenSearch (the store of an EFK stack) looks like.
var Want = discover.Want{
	What: "Elasticsearch / OpenSearch", Flag: "--es-url",
	Services: []string{
		"elasticsearch-master",      // elastic/elasticsearch chart
		"*-es-http",                 // ECK: CLUSTER-es-http
		"opensearch-cluster-master", // opensearch-project chart
		"elasticsearch",
		"opensearch",
		"elasticsearch-logging", // the old cluster/addons EFK
		"logging-es",
	},
	PortNames:   []string{"http", "https", "rest"},
	PortNumbers: []int32{9200, 443, 80},
	Namespaces:  []string{"logging", "elastic-system", "elasticsearch", "opensearch", "efk", "kube-logging", "observability", "monitoring", "default", "kube-system"},
}

// info is the root endpoint's answer: which server and version.
type info struct {
	Version struct {
		Number       string `json:"number"`
		Distribution string `json:"distribution"`
	} `json:"version"`
	Tagline string `json:"tagline"`
}

// probeWith proves a candidate is an Elasticsearch-API server, with the configured credentials.
func probeWith(cfg Config) func(ctx context.Context, base string, rt http.RoundTripper) (string, error) {
	return func(ctx context.Context, base string, rt http.RoundTripper) (string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/", nil)
		if err != nil {
			return "", err
		}
		switch {
		case cfg.APIKey != "":
			req.Header.Set("Authorization", "ApiKey "+cfg.APIKey)
		case cfg.Username != "":
			req.SetBasicAuth(cfg.Username, cfg.Password)
		}
		resp, err := (&http.Client{Transport: rt, Timeout: 5 * time.Second}).Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if resp.StatusCode == http.StatusUnauthorized {
			return "", fmt.Errorf("answered %s: give logs.username and GAMEDAY_ES_PASSWORD (or an API key)", resp.Status)
		}
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("answered %s: %s", resp.Status, firstLine(string(body)))
		}
		var in info
		if err := json.Unmarshal(body, &in); err != nil || in.Version.Number == "" {
			return "", fmt.Errorf("not an Elasticsearch API (no version in %s)", firstLine(string(body)))
		}
		return Product(in.Version.Distribution) + " " + in.Version.Number, nil
	}
}

// Product names the server from its root answer's distribution.
func Product(distribution string) string {
	if strings.EqualFold(distribution, "opensearch") {
		return "OpenSearch"
	}
	return "Elasticsearch"
}

// Discover finds an in-cluster Elasticsearch or OpenSearch and returns a backend reaching it through
// the apiserver; cfg gives the index, fields and credentials (its URL is ignored).
func Discover(ctx context.Context, cs kubernetes.Interface, rc *rest.Config, cfg Config) (*ES, discover.Report, error) {
	w := Want
	w.Probe = probeWith(cfg)
	f, rep, err := discover.Find(ctx, cs, rc, w)
	if err != nil {
		return nil, rep, fmt.Errorf("%w: %w", sources.ErrNoBackend, err)
	}
	product := strings.ToLower(strings.Fields(f.Detail)[0])
	cfg.URL, cfg.Transport, cfg.Name = f.Base, f.RT, f.Name(product)
	es, err := New(cfg)
	return es, rep, err
}

// Lazy is a logs backend whose server is found in the background.
type Lazy struct {
	l *discover.Later[*ES]
}

// DiscoverLater starts discovery and returns the backend that will use what it finds.
func DiscoverLater(ctx context.Context, cs kubernetes.Interface, rc *rest.Config, cfg Config) *Lazy {
	return &Lazy{l: discover.Start(ctx, Want.What, func(ctx context.Context) (*ES, discover.Report, error) {
		return Discover(ctx, cs, rc, cfg)
	})}
}

// Report is what discovery looked for, tried and found.
func (l *Lazy) Report() discover.Report { return l.l.Report() }

// Name says what is used, or what is happening.
func (l *Lazy) Name() string {
	return l.l.Name((*ES).Name, "no Elasticsearch (--es-url)", "looking for Elasticsearch / OpenSearch…")
}

func (l *Lazy) get() (*ES, error) {
	return l.l.Backend(sources.Unreachable(errors.New("looking for Elasticsearch / OpenSearch in the cluster")))
}

// Tail tails the found server.
func (l *Lazy) Tail(ctx context.Context, q sources.LogQuery, after sources.LogCursor) ([]sources.LogLine, sources.LogCursor, error) {
	e, err := l.get()
	if err != nil {
		return nil, after, err
	}
	return e.Tail(ctx, q, after)
}

// ByTrace finds a trace's lines on the found server.
func (l *Lazy) ByTrace(ctx context.Context, traceID string) ([]sources.LogLine, error) {
	e, err := l.get()
	if err != nil {
		return nil, err
	}
	return e.ByTrace(ctx, traceID)
}

// Count counts lines on the found server.
func (l *Lazy) Count(ctx context.Context, q sources.LogQuery, end time.Time) (int, error) {
	e, err := l.get()
	if err != nil {
		return 0, err
	}
	return e.Count(ctx, q, end)
}
