package actions

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/model"
)

// fuzzWorld is a small cluster the fuzzers plan against: a target with pods, nodes in zones, a
// VirtualService, load configured.
func fuzzWorld() World {
	c := model.NewCluster()
	c.Synced = true
	c.Deployments["shop/web"] = &model.Deployment{Namespace: "shop", Name: "web", Desired: 3, Ready: 3, Selector: map[string]string{"app": "web"}}
	for i, n := range []string{"web-a", "web-b", "web-c"} {
		c.Pods["shop/"+n] = &model.Pod{Namespace: "shop", Name: n, Ready: true, Labels: map[string]string{"app": "web"}, Node: []string{"n1", "n2", "n3"}[i]}
	}
	for i, n := range []string{"n1", "n2", "n3"} {
		c.Nodes[n] = &model.Node{Name: n, Ready: true, Zone: []string{"a", "b", "c"}[i]}
	}
	vs := model.VirtualService{Namespace: "shop", Name: "web", Hosts: []string{"web"}}
	c.VirtualServices[vs.Key()] = &vs
	return World{Namespace: "shop", Target: "web", Cluster: c, RateStep: 50, MaxRate: 1000,
		Burst: load.Profile{Name: "burst", Kind: load.Constant, Rate: 100, To: 100, Duration: time.Minute}}
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// checkStep fails when a planned step carries a number no one could mean: NaN, an infinity, a
// negative duration, an out-of-range count.
func checkStep(t *testing.T, in string, st Step) {
	t.Helper()
	if p := st.Profile; p != nil {
		if err := p.Validate(); err != nil {
			t.Fatalf("%q planned a load that is not valid: %v (%+v)", in, err, *p)
		}
	}
	if !finite(st.Rate) || math.Abs(st.Rate) > load.MaxRate {
		t.Fatalf("%q planned a rate change of %v", in, st.Rate)
	}
	if f := st.Fault; f != nil {
		for _, v := range []float64{f.DelayPct, f.AbortPct} {
			if !finite(v) || v < 0 || v > 100 {
				t.Fatalf("%q planned a fault with a percentage of %v", in, v)
			}
		}
		if f.Delay < 0 || f.For < 0 {
			t.Fatalf("%q planned a fault with delay %s for %s", in, f.Delay, f.For)
		}
	}
	if p := st.Plan; p != nil && (p.Replicas < 0 || p.Replicas > MaxReplicas) {
		t.Fatalf("%q planned %d replicas", in, p.Replicas)
	}
	if st.MonkeyFor < 0 {
		t.Fatalf("%q planned the monkey for %s", in, st.MonkeyFor)
	}
}

// FuzzCommand: any `:` command line (and so any scenario step: the same name and arguments) either
// is refused with an error or plans a step whose numbers are finite and in range; never a panic.
func FuzzCommand(f *testing.F) {
	for _, s := range []string{"kill 2", "kill 50%!", "kill all! grace 0", "scale +1", "scale 5", "load ramp:0-400 2m", "load NaN 30s",
		"rate -50", "rate +Inf", "fault web abort 500 30% for 2m", "fault web delay 2s NaN%", "monkey on for 5m", "drain zone a",
		"cordon n1", "uncordon zone b", "unfault all", "note hello", "halt", "load 1e400", "scale 4294967297", "load sine:1-2/0s"} {
		f.Add(s)
	}
	w := fuzzWorld()
	e := &Env{Guard: &Guard{MinReady: 1}}
	f.Fuzz(func(t *testing.T, line string) {
		fs := strings.Fields(line)
		if len(fs) == 0 {
			return
		}
		spec, ok := ByCommand(fs[0])
		if !ok || spec.Plan == nil {
			return
		}
		args := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), fs[0]))
		if spec.ParseArgs != nil {
			_ = spec.ParseArgs(args)
		}
		st, err := spec.Plan(e, w, args)
		if err == nil {
			checkStep(t, line, st)
		}
	})
}

// FuzzPrompt: any answer to a key's question (how many pods, which profile, which fault) is checked
// as it is typed and planned as the key would: an error, or a step with finite numbers.
func FuzzPrompt(f *testing.F) {
	for _, s := range []string{"2", "50%", "all!", "2! grace 0", "NaN", "ramp:0-400", "web abort 500 30%", "", "-1", "1e9"} {
		f.Add(s)
	}
	w := fuzzWorld()
	e := &Env{Guard: &Guard{MinReady: 1}}
	var asks []Spec
	for _, s := range Catalog() {
		if s.Ask != nil && s.Plan != nil {
			asks = append(asks, s)
		}
	}
	f.Fuzz(func(t *testing.T, answer string) {
		for _, s := range asks {
			if s.Ask.Check != nil && s.Ask.Check(w, answer) != nil {
				continue
			}
			args := answer
			if s.Ask.Args != nil {
				args = s.Ask.Args(answer)
			}
			if st, err := s.Plan(e, w, args); err == nil {
				checkStep(t, string(s.Name)+" "+answer, st)
			}
		}
	})
}
