package litmus

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/gamedaylab/gameday/experiment/bridge"
	"github.com/gamedaylab/gameday/session"
)

// Options tune a run.
type Options struct {
	Out io.Writer
	// Target is the Deployment (deploy/NAME) whose pods an engine with an empty appinfo deletes.
	Target string
	// HTTP is the probes' client (nil: a default one).
	HTTP *http.Client
	Rand *rand.Rand
}

// Result is one fault's outcome, as its ChaosResult would say it.
type Result struct {
	Engine, Fault string
	// Verdict is Pass or Fail.
	Verdict      string
	ProbeSuccess int // probeSuccessPercentage
	Probes       []ProbeResult
	Killed       []string
	Err          error
}

// ProbeResult is one probe's outcome.
type ProbeResult struct {
	Name, Mode string
	Passed     bool
	Checks     int
	Detail     string // why it failed
}

// Run runs each engine's faults in order on the session.
func Run(ctx context.Context, s *session.Session, engines []Engine, o Options) []Result {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{}
	}
	if o.Rand == nil {
		o.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	var out []Result
	for _, e := range engines {
		for _, f := range e.Experiments {
			r := runFault(ctx, s, e, f, o)
			fmt.Fprintf(o.Out, "%s/%s: verdict %s, probe success %d%%\n", e.Name, f.Name, r.Verdict, r.ProbeSuccess)
			out = append(out, r)
		}
	}
	return out
}

// Score is Litmus's resiliency score: the faults' probe success percentages weighted (10 each, as
// Litmus gives a fault without a weight), truncated to two decimals.
func Score(results []Result) float64 {
	if len(results) == 0 {
		return 0
	}
	sum := 0.0
	for _, r := range results {
		sum += 10 * float64(r.ProbeSuccess)
	}
	return math.Trunc(sum/(10*float64(len(results)))*100) / 100
}

// runner is one fault's run: its probes' state.
type runner struct {
	s       *session.Session
	e       Engine
	f       Fault
	o       Options
	ns      string
	mu      sync.Mutex
	results map[string]*ProbeResult
	pre     map[string]bool // Edge probes' pre-chaos outcome
	alive   int             // the app's running pods when the targets were last picked
}

func runFault(ctx context.Context, s *session.Session, e Engine, f Fault, o Options) Result {
	r := &runner{s: s, e: e, f: f, o: o, ns: e.AppNS, results: map[string]*ProbeResult{}, pre: map[string]bool{}}
	if r.ns == "" {
		r.ns = s.Namespace()
	}
	res := Result{Engine: e.Name, Fault: f.Name}
	for _, p := range f.Probes {
		r.results[p.Name] = &ProbeResult{Name: p.Name, Mode: p.Mode, Passed: true}
	}
	// pre-chaos: SOT and Edge once, Continuous from now to the end
	for _, p := range f.Probes {
		if p.Mode == "SOT" || p.Mode == "Edge" {
			ok := r.check(ctx, p)
			r.pre[p.Name] = ok
		}
	}
	stopAll := r.poll(ctx, "Continuous")
	stopChaos := r.poll(ctx, "OnChaos")
	killed, err := r.chaos(ctx)
	stopChaos()
	res.Killed = killed
	for _, p := range f.Probes {
		if p.Mode == "EOT" || p.Mode == "Edge" {
			ok := r.check(ctx, p)
			if p.Mode == "Edge" && !r.pre[p.Name] {
				ok = false
			}
			_ = ok
		}
	}
	stopAll()
	passed := 0
	for _, p := range f.Probes {
		pr := r.results[p.Name]
		res.Probes = append(res.Probes, *pr)
		if pr.Passed {
			passed++
		}
	}
	res.Err = err
	switch {
	case err == nil && passed == len(f.Probes):
		res.Verdict, res.ProbeSuccess = "Pass", 100
	default:
		res.Verdict = "Fail"
		if len(f.Probes) > 0 {
			res.ProbeSuccess = passed * 100 / len(f.Probes)
		}
	}
	return res
}

// poll checks the probes of mode every polling interval until the returned stop is called; each
// failed check fails the probe.
func (r *runner) poll(ctx context.Context, mode string) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, p := range r.f.Probes {
		if p.Mode != mode {
			continue
		}
		wg.Go(func() {
			sleep(ctx, p.InitialDelay)
			every := p.Polling
			if every <= 0 {
				every = p.Interval
			}
			for ctx.Err() == nil {
				r.check(ctx, p)
				sleep(ctx, every)
			}
		})
	}
	return func() { cancel(); wg.Wait() }
}

// check runs one probe's check with its attempts (interval apart) and records a failure.
func (r *runner) check(ctx context.Context, p Probe) bool {
	var err error
	for i := 0; i < max(1, p.Attempts); i++ {
		if i > 0 {
			sleep(ctx, p.Interval)
		}
		if ctx.Err() != nil {
			return true // stopped, not failed
		}
		if err = r.checkOnce(ctx, p); err == nil {
			break
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	pr := r.results[p.Name]
	if ctx.Err() != nil && err != nil {
		return true // the check was cut short by the stop
	}
	pr.Checks++
	if err != nil && pr.Passed {
		pr.Passed, pr.Detail = false, err.Error()
		fmt.Fprintf(r.o.Out, "  probe %s (%s): failed: %v\n", p.Name, p.Mode, err)
	}
	return err == nil
}

func (r *runner) checkOnce(ctx context.Context, p Probe) error {
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	switch {
	case p.HTTP != nil:
		return r.httpCheck(ctx, p.HTTP)
	case p.Prom != nil:
		return r.promCheck(ctx, p.Prom)
	case p.K8s != nil:
		return r.k8sCheck(ctx, p.K8s)
	}
	return fmt.Errorf("probe type %s is not run by gameday", p.Type)
}

func (r *runner) httpCheck(ctx context.Context, h *HTTPInputs) error {
	var body io.Reader
	if h.Method == http.MethodPost {
		body = strings.NewReader(h.Body)
	}
	req, err := http.NewRequestWithContext(ctx, h.Method, h.URL, body)
	if err != nil {
		return err
	}
	if h.ContentType != "" {
		req.Header.Set("Content-Type", h.ContentType)
	}
	c := r.o.HTTP
	if h.InsecureSkipVerify {
		cp := *c
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the probe asked: insecureSkipVerify
		cp.Transport = tr
		c = &cp
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", h.Method, h.URL, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return compare(float64(resp.StatusCode), h.Criteria, h.ResponseCode, "status code")
}

func (r *runner) promCheck(ctx context.Context, p *PromInputs) error {
	u := strings.TrimSuffix(p.Endpoint, "/") + "/api/v1/query?" + url.Values{"query": {p.Query}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := r.o.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("prometheus %s: %w", p.Endpoint, err)
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			ResultType string            `json:"resultType"`
			Result     []json.RawMessage `json:"result"`
		} `json:"data"`
		Error string `json:"error"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("prometheus %s: status %d %s %v", p.Endpoint, resp.StatusCode, body.Error, err)
	}
	var sample struct {
		Value [2]any `json:"value"`
	}
	var raw json.RawMessage
	switch {
	case body.Data.ResultType == "scalar":
		raw, _ = json.Marshal(map[string]any{})
	case len(body.Data.Result) != 1:
		return fmt.Errorf("the query gave %d series; a promProbe compares one value", len(body.Data.Result))
	default:
		raw = body.Data.Result[0]
	}
	if err := json.Unmarshal(raw, &sample); err != nil {
		return fmt.Errorf("the query's value: %w", err)
	}
	v, err := strconv.ParseFloat(fmt.Sprint(sample.Value[1]), 64)
	if err != nil {
		return fmt.Errorf("the query's value %v: %w", sample.Value[1], err)
	}
	return compare(v, p.Criteria, p.Value, "value")
}

func (r *runner) k8sCheck(ctx context.Context, k *K8sInputs) error {
	dyn := r.s.Dynamic()
	if dyn == nil {
		return fmt.Errorf("k8sProbe: no cluster to ask")
	}
	gvr := schema.GroupVersionResource{Group: k.Group, Version: k.Version, Resource: k.Resource}
	ns := k.Namespace
	list, err := dyn.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{LabelSelector: k.LabelSelector, FieldSelector: k.FieldSelector})
	if err != nil {
		return fmt.Errorf("k8sProbe %s: %w", gvr.String(), err)
	}
	n := len(list.Items)
	if k.ResourceNames != "" {
		names := map[string]bool{}
		for _, x := range strings.Split(k.ResourceNames, ",") {
			names[strings.TrimSpace(x)] = true
		}
		n = 0
		for _, it := range list.Items {
			if names[it.GetName()] {
				n++
			}
		}
	}
	switch {
	case k.Operation == "present" && n == 0:
		return fmt.Errorf("no %s matches: want present", k.Resource)
	case k.Operation == "absent" && n > 0:
		return fmt.Errorf("%d %s match: want absent", n, k.Resource)
	}
	return nil
}

// compare is litmus-go's comparator of numbers: a is the observed value, b the expected one (a
// comma list for oneOf and between).
func compare(a float64, criteria, b, what string) error {
	list := func() []float64 {
		var out []float64
		for _, x := range strings.Split(b, ",") {
			v, _ := strconv.ParseFloat(strings.TrimSpace(x), 64)
			out = append(out, v)
		}
		return out
	}
	bv, _ := strconv.ParseFloat(strings.TrimSpace(b), 64)
	ok := false
	switch criteria {
	case ">=":
		ok = a >= bv
	case "<=":
		ok = a <= bv
	case ">":
		ok = a > bv
	case "<":
		ok = a < bv
	case "==":
		ok = a == bv
	case "!=":
		ok = a != bv
	case "oneOf", "OneOf":
		for _, v := range list() {
			ok = ok || a == v
		}
	case "between", "Between":
		l := list()
		ok = len(l) == 2 && a >= l[0] && a <= l[1]
	default:
		return fmt.Errorf("criteria %q not supported", criteria)
	}
	if !ok {
		return fmt.Errorf("%s %v is not %s %s", what, a, criteria, b)
	}
	return nil
}

// chaos is litmus-go's pod-delete loop: until TOTAL_CHAOS_DURATION has passed, pick the targets
// and delete each (at once when FORCE), waiting CHAOS_INTERVAL after each.
func (r *runner) chaos(ctx context.Context) ([]string, error) {
	if r.f.Latency > 0 {
		return r.delay(ctx)
	}
	b := bridge.Bridge{S: r.s}
	var killed []string
	start := time.Now()
	for time.Since(start) < r.f.Duration {
		if ctx.Err() != nil {
			return killed, ctx.Err()
		}
		pods, err := r.targets(ctx)
		if err != nil {
			return killed, err
		}
		for _, p := range pods {
			var grace *int64
			if r.f.Force {
				zero := int64(0)
				grace = &zero
			}
			did, err := b.KillPod(ctx, p, grace)
			if err != nil {
				return killed, fmt.Errorf("pod/%s: %w", p.Name, err)
			}
			killed = append(killed, p.Name)
			r.say("  %s/%s: %s", r.e.Name, r.f.Name, did)
			sleep(ctx, r.f.Interval)
		}
	}
	return killed, nil
}

// targets are the pods of this iteration: TARGET_PODS, else PODS_AFFECTED_PERC of the app's
// running pods (at least one: max(1, perc·n/100), as litmus-go), picked at random.
func (r *runner) targets(ctx context.Context) ([]corev1.Pod, error) {
	cs := r.s.Env.Client
	if len(r.f.Targets) > 0 {
		var out []corev1.Pod
		for _, name := range r.f.Targets {
			p, err := cs.CoreV1().Pods(r.ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return nil, fmt.Errorf("TARGET_PODS %s: %w", name, err)
			}
			out = append(out, *p)
		}
		return out, nil
	}
	selector := r.e.AppLabel
	if selector == "" {
		name, ok := strings.CutPrefix(r.o.Target, "deploy/")
		if !ok || name == "" {
			return nil, fmt.Errorf("appinfo.applabel is empty (chaos-charts ship it so) and no TARGET_PODS: give --target deploy/NAME or fill appinfo")
		}
		d, err := cs.AppsV1().Deployments(r.ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("--target %s: %w", r.o.Target, err)
		}
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil {
			return nil, err
		}
		selector = sel.String()
	}
	list, err := cs.CoreV1().Pods(r.ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, fmt.Errorf("pods %s: %w", selector, err)
	}
	var running []corev1.Pod
	for _, p := range list.Items {
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
			running = append(running, p)
		}
	}
	if len(running) == 0 {
		return nil, fmt.Errorf("no running pod with labels %s in %s", selector, r.ns)
	}
	r.alive = len(running)
	n := min(len(running), max(1, r.f.Percent*len(running)/100))
	r.o.Rand.Shuffle(len(running), func(i, j int) { running[i], running[j] = running[j], running[i] })
	return running[:n], nil
}

func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
