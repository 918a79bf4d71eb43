// Package monkey is continuous chaos in a limited scope (kube-monkey, chaoskube): pods opt in by a
// label (or their Deployment is named), each target is hit at random times with a mean time between
// kills, within time windows and a cap per hour, never below the ready minimum or against a
// disruption budget (kills are evictions). Every kill is a catalog action (monkey-kill) run through the
// session, journaled with the actor "monkey", timed and marked like any kill. HALT stops it.
package monkey

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/model"
)

// Session is what the monkey acts through.
type Session interface {
	View(func(actions.World))
	Prepare(spec actions.Spec, args string) (actions.Step, error)
	Do(ctx context.Context, st actions.Step) (actions.Result, error)
	Now() time.Time
}

// Options are the monkey's scope and pace.
type Options struct {
	// Namespaces it may act in (empty: the session's namespace).
	Namespaces []string
	// Selector makes pods eligible (an opt-in label); Targets names Deployments that are eligible
	// without it. With neither, nothing is.
	Selector string
	Targets  []string
	// Kill is how many pods per kill: "1", "N", "N%", or "upto N%" (a random share up to N %).
	Kill string
	// MTBF is the mean time between kills per target (exponentially distributed, not a period).
	MTBF   time.Duration
	MinAge time.Duration
	// Window limits kills to days and hours in a time zone ("" always).
	Window string
	// MaxPerHour caps kills over the last hour, all targets together (0: no cap).
	MaxPerHour int
	Seed       int64
}

// Status is what the cockpit shows: running, the next kill and when.
type Status struct {
	Running  bool
	Next     string // namespace/deploy
	At       time.Time
	Until    time.Time // zero: until stopped
	Kills    int
	Skipped  int
	Refused  int
	LastNote string
}

// Monkey runs kills on a session while started.
type Monkey struct {
	sess   Session
	opts   Options
	sel    labels.Selector
	window *Window
	count  countSpec

	mu      sync.Mutex
	rng     *rand.Rand
	cancel  context.CancelFunc
	done    chan struct{}
	next    map[string]time.Time // target -> its next kill
	kills   []time.Time          // for the hourly cap
	status  Status
	skipOne bool
}

type countSpec struct {
	n, pct int
	upTo   bool
}

// New checks the options (each error names the option and what is wanted) and makes a stopped monkey.
func New(sess Session, o Options) (*Monkey, error) {
	m := &Monkey{sess: sess, opts: o, next: map[string]time.Time{}}
	if o.MTBF <= 0 {
		return nil, errors.New("monkey.mtbf: want a positive mean time between kills (e.g. 2m)")
	}
	if o.Selector == "" && len(o.Targets) == 0 {
		return nil, errors.New("monkey: nothing opts in: set monkey.selector (a pod label, e.g. gameday.dev/monkey=enabled) or name monkey.targets")
	}
	if o.Selector != "" {
		sel, err := labels.Parse(o.Selector)
		if err != nil {
			return nil, fmt.Errorf("monkey.selector %q: %w", o.Selector, err)
		}
		m.sel = sel
	}
	c, err := parseKill(o.Kill)
	if err != nil {
		return nil, err
	}
	m.count = c
	if o.Window != "" {
		w, err := ParseWindow(o.Window)
		if err != nil {
			return nil, err
		}
		m.window = &w
	}
	seed := o.Seed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	m.rng = rand.New(rand.NewSource(seed))
	return m, nil
}

func parseKill(s string) (countSpec, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		s = "1"
	}
	var c countSpec
	if v, ok := strings.CutPrefix(s, "upto "); ok {
		c.upTo, s = true, strings.TrimSpace(v)
		if !strings.HasSuffix(s, "%") {
			return c, fmt.Errorf("monkey.kill %q: upto takes a percentage (upto 30%%)", "upto "+s)
		}
	}
	if v, ok := strings.CutSuffix(s, "%"); ok {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 100 {
			return c, fmt.Errorf("monkey.kill %q: want 1, N, N%% or upto N%% (N%% from 1%% to 100%%)", s)
		}
		c.pct = p
		return c, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return c, fmt.Errorf("monkey.kill %q: want 1, N, N%% or upto N%%", s)
	}
	c.n = n
	return c, nil
}

// of is how many of n pods one kill takes.
func (c countSpec) of(n int, rng *rand.Rand) int {
	if c.n > 0 {
		return min(c.n, n)
	}
	k := int(math.Floor(float64(n) * float64(c.pct) / 100))
	if c.upTo && k > 1 {
		k = 1 + rng.Intn(k)
	}
	return max(min(k, n), 1)
}

// Start runs the monkey (for d, or until stopped when d is 0).
func (m *Monkey) Start(d time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cancel != nil {
		return errors.New("the chaos monkey is already running")
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel, m.done = cancel, make(chan struct{})
	now := m.sess.Now()
	m.next = map[string]time.Time{}
	m.status = Status{Running: true}
	if d > 0 {
		m.status.Until = now.Add(d)
	}
	go m.run(ctx, m.done)
	return nil
}

// Stop ends the monkey at once (HALT); false when it was not running.
func (m *Monkey) Stop() bool {
	m.mu.Lock()
	cancel, done := m.cancel, m.done
	m.cancel = nil
	m.status.Running = false
	m.mu.Unlock()
	if cancel == nil {
		return false
	}
	cancel()
	<-done
	return true
}

// Running reports whether the monkey is on.
func (m *Monkey) Running() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cancel != nil
}

// Skip drops the next kill (it is scheduled again) and says which it was.
func (m *Monkey) Skip() (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cancel == nil {
		return "", errors.New("the chaos monkey is not running")
	}
	if m.status.Next == "" {
		return "", errors.New("no kill is scheduled yet")
	}
	m.skipOne = true
	return m.status.Next, nil
}

// Status is the monkey's state now.
func (m *Monkey) Status() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.status
}

// run wakes every 100 ms of wall time: kills are due at session times, and a HALT must stop it
// within a second.
func (m *Monkey) run(ctx context.Context, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := m.sess.Now()
		m.mu.Lock()
		until := m.status.Until
		m.mu.Unlock()
		if !until.IsZero() && !now.Before(until) {
			m.mu.Lock()
			m.cancel, m.status.Running = nil, false
			m.mu.Unlock()
			return
		}
		target, due := m.schedule(now)
		if target == "" || now.Before(due) {
			continue
		}
		m.fire(ctx, target, now)
	}
}

// schedule keeps a next-kill time per eligible target and returns the earliest.
func (m *Monkey) schedule(now time.Time) (string, time.Time) {
	targets := m.eligible()
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := map[string]bool{}
	for _, t := range targets {
		seen[t] = true
		if _, ok := m.next[t]; !ok {
			m.next[t] = now.Add(m.interval())
		}
	}
	for t := range m.next {
		if !seen[t] {
			delete(m.next, t)
		}
	}
	first, at := "", time.Time{}
	for _, t := range targets {
		if first == "" || m.next[t].Before(at) {
			first, at = t, m.next[t]
		}
	}
	m.status.Next, m.status.At = first, at
	return first, at
}

// interval is exponentially distributed with mean MTBF: kills come at random, as a Poisson process.
func (m *Monkey) interval() time.Duration {
	return time.Duration(m.rng.ExpFloat64() * float64(m.opts.MTBF))
}

// eligible lists namespace/deploy of the Deployments in scope: named, or with an opted-in pod.
func (m *Monkey) eligible() []string {
	set := map[string]bool{}
	m.sess.View(func(w actions.World) {
		nss := m.opts.Namespaces
		if len(nss) == 0 {
			nss = []string{w.Namespace}
		}
		inNS := map[string]bool{}
		for _, ns := range nss {
			inNS[ns] = true
		}
		for _, d := range w.Cluster.Deployments {
			if !inNS[d.Namespace] {
				continue
			}
			named := false
			for _, t := range m.opts.Targets {
				if strings.TrimPrefix(t, "deploy/") == d.Name {
					named = true
				}
			}
			if named || (m.sel != nil && m.optedIn(w.Cluster, d)) {
				set[d.Namespace+"/"+d.Name] = true
			}
		}
	})
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

func (m *Monkey) optedIn(c *model.Cluster, d *model.Deployment) bool {
	for _, p := range c.TargetPods(d.Namespace, d.Name) {
		if m.sel.Matches(labels.Set(p.Labels)) {
			return true
		}
	}
	return false
}

// fire runs one kill of target (unless skipped, outside the window or over the cap) and schedules
// the next.
func (m *Monkey) fire(ctx context.Context, target string, now time.Time) {
	m.mu.Lock()
	m.next[target] = now.Add(m.interval())
	skip := m.skipOne
	m.skipOne = false
	hour := m.kills[:0]
	for _, k := range m.kills {
		if now.Sub(k) < time.Hour {
			hour = append(hour, k)
		}
	}
	m.kills = hour
	capped := m.opts.MaxPerHour > 0 && len(hour) >= m.opts.MaxPerHour
	m.mu.Unlock()
	note := ""
	switch {
	case skip:
		note = "skipped " + target
		m.mu.Lock()
		m.status.Skipped++
		m.mu.Unlock()
	case m.window != nil && !m.window.Contains(now):
		note = "outside the window " + m.opts.Window + ": " + target + " spared"
	case capped:
		note = fmt.Sprintf("the cap of %d kills an hour is reached: %s spared", m.opts.MaxPerHour, target)
	}
	if note != "" {
		m.note(note)
		return
	}
	n := 1
	m.sess.View(func(w actions.World) {
		ns, d, _ := strings.Cut(target, "/")
		n = m.count.of(len(w.Cluster.TargetPods(ns, d)), m.rng)
	})
	spec, _ := actions.Lookup("monkey-kill")
	st, err := m.sess.Prepare(spec, fmt.Sprintf("%s %d %s", target, n, m.opts.MinAge))
	if err != nil {
		m.note(err.Error())
		return
	}
	r, err := m.sess.Do(ctx, st)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err == nil && (r.Entry.Result == actions.ResultOK || r.Entry.Result == actions.ResultDryRun) {
		m.kills = append(m.kills, now)
		m.status.Kills++
		m.status.LastNote = r.Entry.Detail
		return
	}
	m.status.Refused++
	m.status.LastNote = r.Entry.Error
}

func (m *Monkey) note(s string) {
	m.mu.Lock()
	m.status.LastNote = s
	m.mu.Unlock()
}
