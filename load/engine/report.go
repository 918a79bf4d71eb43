package engine

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// WithHistogram fills Histogram and ServiceHistogram (encoded, compressed) so the result can be
// shipped and merged.
func (r Result) WithHistogram() (Result, error) {
	var err error
	if r.Histogram, err = encodeHist(r.hist); err != nil {
		return r, err
	}
	r.ServiceHistogram, err = encodeHist(r.svcHist)
	return r, err
}

func encodeHist(h *hdr.Histogram) (string, error) {
	if h == nil {
		return "", nil
	}
	b, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return "", fmt.Errorf("encode histogram: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

func decodeHist(s string) (*hdr.Histogram, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	return hdr.Decode(b)
}

// addCounts adds src's counts into dst (status codes, error kinds).
func addCounts[K comparable](dst, src map[K]int64) {
	for k, v := range src {
		dst[k] += v
	}
}

// Merge combines worker results into one: counts add up, histograms merge, rates add up.
func Merge(parts []Result) (Result, error) {
	out := Result{Codes: map[int]int64{}, Errors: map[string]int64{}, Checks: map[string]int64{}}
	h, sh := newHist(), newHist()
	for i, p := range parts {
		if p.Histogram == "" {
			return out, fmt.Errorf("worker %d sent no histogram", i)
		}
		ph, err := decodeHist(p.Histogram)
		if err != nil {
			return out, fmt.Errorf("worker %d histogram: %w", i, err)
		}
		h.Merge(ph)
		if p.ServiceHistogram != "" {
			ps, err := decodeHist(p.ServiceHistogram)
			if err != nil {
				return out, fmt.Errorf("worker %d service histogram: %w", i, err)
			}
			sh.Merge(ps)
		}
		if i == 0 || p.Started.Before(out.Started) {
			out.Started = p.Started
		}
		out.Profile = p.Profile
		out.Duration = max(out.Duration, p.Duration)
		out.Scheduled += p.Scheduled
		out.Requests += p.Requests
		out.Completed += p.Completed
		out.Success += p.Success
		out.Failed += p.Failed
		out.Dropped += p.Dropped
		out.RequestedRate += p.RequestedRate
		out.AchievedRate += p.AchievedRate
		out.BytesIn += p.BytesIn
		out.BytesOut += p.BytesOut
		addCounts(out.Codes, p.Codes)
		addCounts(out.Errors, p.Errors)
		addCounts(out.Checks, p.Checks)
		for _, d := range p.Diagnostics {
			out.Diagnostics = append(out.Diagnostics, fmt.Sprintf("worker %d: %s", i, d))
		}
	}
	if out.Completed > 0 {
		out.SuccessRatio = float64(out.Success) / float64(out.Completed)
	}
	out.hist, out.svcHist = h, sh
	out.fillLatency()
	return out.WithHistogram()
}

// Thresholds make a run pass or fail (CI).
type Thresholds struct {
	MaxP99     time.Duration
	MinSuccess float64 // 0..1
}

// Check lists the thresholds the result breaches.
func (t Thresholds) Check(r Result) []string {
	var out []string
	if t.MaxP99 > 0 && r.Latency.P99 > t.MaxP99 {
		out = append(out, fmt.Sprintf("p99 %s is above --max-p99 %s", r.Latency.P99, t.MaxP99))
	}
	if t.MinSuccess > 0 && r.SuccessRatio < t.MinSuccess {
		out = append(out, fmt.Sprintf("success %.2f%% is below --min-success %.2f%%", 100*r.SuccessRatio, 100*t.MinSuccess))
	}
	return out
}

// WriteText prints the human report and the thresholds' verdict.
func (r Result) WriteText(w io.Writer, th Thresholds) {
	breaches := th.Check(r)
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("profile      %s", r.Profile.String())
	p("requests     %d sent of %d scheduled in %s (%d never sent)", r.Requests, r.Scheduled+r.Dropped, r.Duration.Round(time.Millisecond), r.Dropped)
	p("rate         requested %.1f/s, achieved %.1f/s (%.2f%%)", r.RequestedRate, r.AchievedRate, 100*safeDiv(r.AchievedRate, r.RequestedRate))
	p("success      %.2f%% (%d ok, %d failed)", 100*r.SuccessRatio, r.Success, r.Failed)
	l := r.Latency
	p("latency      min %s  mean %s  p50 %s  p90 %s  p95 %s  p99 %s  p99.9 %s  max %s",
		l.Min, l.Mean.Round(time.Microsecond), l.P50, l.P90, l.P95, l.P99, l.P999, l.Max)
	p("             (from each request's intended send time: queueing behind a slow response counts)")
	if s := r.ServiceLatency; s.Max > 0 {
		p("from send    p50 %s  p99 %s  max %s (without the generator's queueing, as vegeta and k6 measure)", s.P50, s.P99, s.Max)
	}
	var codes []string
	for c, n := range r.Codes {
		codes = append(codes, fmt.Sprintf("%d×%d", c, n))
	}
	sort.Strings(codes)
	p("status       %s", strings.Join(codes, "  "))
	if len(r.Errors) > 0 {
		var errs []string
		for k, n := range r.Errors {
			errs = append(errs, fmt.Sprintf("%s×%d", k, n))
		}
		sort.Strings(errs)
		p("errors       %s", strings.Join(errs, "  "))
	}
	if len(r.Checks) > 0 {
		var cs []string
		for k, n := range r.Checks {
			cs = append(cs, fmt.Sprintf("%s×%d", k, n))
		}
		sort.Strings(cs)
		p("checks       %d answered but failed a check: %s", sum(r.Checks), strings.Join(cs, "  "))
	}
	p("bytes        in %d  out %d", r.BytesIn, r.BytesOut)
	for _, d := range r.Diagnostics {
		p("generator    %s", d)
	}
	switch {
	case r.Interrupted != "":
		p("result       INTERRUPTED %s", strings.TrimPrefix(r.Interrupted, "interrupted "))
		return
	case th == Thresholds{}:
		// A run without thresholds checks nothing: saying PASS over 0 % success would mislead.
		p("result       no thresholds set (--max-p99, --min-success): nothing checked")
		return
	case len(breaches) == 0:
		p("result       PASS")
		return
	}
	for _, b := range breaches {
		p("result       FAIL: %s", b)
	}
}

// WriteJSON prints the machine report (CI), with the thresholds' verdict.
func (r Result) WriteJSON(w io.Writer, breaches []string) error {
	out := struct {
		Result
		Pass     bool     `json:"pass"`
		Breaches []string `json:"breaches,omitempty"`
	}{r, len(breaches) == 0 && r.Interrupted == "", breaches}
	out.Histogram = ""
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// MarshalJSON writes latencies in milliseconds, the unit CI dashboards expect.
func (l Latency) MarshalJSON() ([]byte, error) {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return json.Marshal(map[string]float64{"minMs": ms(l.Min), "meanMs": ms(l.Mean), "p50Ms": ms(l.P50), "p90Ms": ms(l.P90),
		"p95Ms": ms(l.P95), "p99Ms": ms(l.P99), "p999Ms": ms(l.P999), "maxMs": ms(l.Max)})
}

// UnmarshalJSON reads what MarshalJSON wrote (workers' results are merged by the coordinator).
func (l *Latency) UnmarshalJSON(b []byte) error {
	var m map[string]float64
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	d := func(k string) time.Duration { return time.Duration(m[k] * float64(time.Millisecond)) }
	*l = Latency{Min: d("minMs"), Mean: d("meanMs"), P50: d("p50Ms"), P90: d("p90Ms"), P95: d("p95Ms"), P99: d("p99Ms"), P999: d("p999Ms"), Max: d("maxMs")}
	return nil
}
