package actions

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/model"
)

func pods(ready, notReady int) []model.Pod {
	var out []model.Pod
	for i := 0; i < ready; i++ {
		out = append(out, model.Pod{Namespace: "ns", Name: "r" + string(rune('a'+i)), Ready: true})
	}
	for i := 0; i < notReady; i++ {
		out = append(out, model.Pod{Namespace: "ns", Name: "n" + string(rune('a'+i))})
	}
	return out
}

func TestParseCount(t *testing.T) {
	good := map[string]Count{"3": {N: 3}, "50%": {Pct: 50}, "all": {All: true}, "2!": {N: 2, Force: true}, " ALL! ": {All: true, Force: true}}
	for in, want := range good {
		got, err := ParseCount(in)
		if err != nil || got != want {
			t.Errorf("%q: %+v %v", in, got, err)
		}
	}
	for _, in := range []string{"", "0", "-1", "x", "150%", "0%", "3.5"} {
		if _, err := ParseCount(in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
	if (Count{Pct: 50}).Of(3) != 1 || (Count{Pct: 10}).Of(3) != 1 || (Count{Pct: 100}).Of(3) != 3 || (Count{N: 9}).Of(3) != 3 {
		t.Fatal("Of")
	}
}

func TestPlanKillPrefersReadyAndGuards(t *testing.T) {
	e := &Env{Guard: &Guard{MinReady: 1, Protected: map[string]bool{"kube-system": true}}}
	e.SetSeed(1)
	p := e.PlanKill("ns", "web", pods(3, 1), Count{N: 2}, nil)
	if p.Refusal != nil || len(p.Pods) != 2 || p.ReadyBefore != 3 || p.ReadyAfter != 1 {
		t.Fatalf("%+v", p)
	}
	for _, n := range p.Pods {
		if !strings.HasPrefix(n, "r") {
			t.Fatalf("ready pods first: %v", p.Pods)
		}
	}
	p = e.PlanKill("ns", "web", pods(3, 0), Count{All: true}, nil)
	if !errors.Is(p.Refusal, model.ErrRefused) || !strings.Contains(p.Refusal.Error(), "minimum of 1") {
		t.Fatalf("blast radius: %v", p.Refusal)
	}
	p = e.PlanKill("ns", "web", pods(3, 0), Count{All: true, Force: true}, nil)
	if p.Refusal != nil || len(p.Pods) != 3 {
		t.Fatalf("forced: %+v", p)
	}
	p = e.PlanKill("kube-system", "coredns", pods(3, 0), Count{N: 1}, nil)
	if p.Refusal == nil || !strings.Contains(p.Refusal.Error(), "protected") {
		t.Fatalf("protected: %v", p.Refusal)
	}
	terminating := pods(1, 0)
	terminating[0].Deleting = time.Now()
	p = e.PlanKill("ns", "web", terminating, Count{N: 1}, nil)
	if p.Refusal == nil {
		t.Fatal("terminating pods are not candidates")
	}
}

func TestGuardModes(t *testing.T) {
	g := &Guard{ReadOnly: true}
	if err := g.Check("ns"); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatal(err)
	}
	g = &Guard{Context: "prod-eu-1", ProductionPatterns: []string{"*prod*"}}
	if err := g.Check("ns"); err == nil || !strings.Contains(err.Error(), "--arm") {
		t.Fatal(err)
	}
	g.Armed = true
	if err := g.Check("ns"); err != nil {
		t.Fatal(err)
	}
	if b := (&Guard{ReadOnly: true, DryRun: true, Armed: true}).Badges(); strings.Join(b, ",") != "READ-ONLY,DRY-RUN,ARMED" {
		t.Fatal(b)
	}
}

type fakeLoad struct{ active bool }

func (f *fakeLoad) Start(load.Profile) error           { f.active = true; return nil }
func (f *fakeLoad) SetRate(r float64) (float64, error) { return r, nil }
func (f *fakeLoad) Stop()                              { f.active = false }
func (f *fakeLoad) Status() load.Status                { return load.Status{Active: f.active, Requested: 100} }

type fakeFault struct {
	reverted bool
	fail     bool
}

func (f *fakeFault) Describe() string { return "fault/delay" }
func (f *fakeFault) Revert(context.Context) error {
	if f.fail {
		return errors.New("apiserver down")
	}
	f.reverted = true
	return nil
}

func TestHaltRevertsInjectedAndKeepsFailures(t *testing.T) {
	in := &Injected{}
	ok, bad := &fakeFault{}, &fakeFault{fail: true}
	in.Add(ok)
	in.Add(bad)
	r, _ := (&Env{}).Halt(context.Background(), in)
	if !ok.reverted || r.Err == "" || !strings.Contains(r.Err, "apiserver down") {
		t.Fatalf("%+v", r)
	}
	if in.Len() != 1 {
		t.Fatalf("a fault that failed to revert must stay registered for the next HALT, have %d", in.Len())
	}
}

func TestJournalAndHalt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "j.jsonl")
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	l := &fakeLoad{}
	e := &Env{Journal: j, Load: l, Context: "c", User: "u"}
	if r, err := e.StartLoad(load.Profile{Name: "burst", Rate: 10}); err != nil || r.Err != "" || !l.active {
		t.Fatalf("%+v", r)
	}
	r, _ := e.Halt(context.Background(), &Injected{})
	if r.Err != "" || l.active || r.Entry.Action != "halt" {
		t.Fatalf("%+v", r)
	}
	_ = j.Close()
	f, _ := os.Open(path)
	defer f.Close()
	var actions []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var en Entry
		if err := json.Unmarshal(sc.Bytes(), &en); err != nil {
			t.Fatal(err)
		}
		if en.Context != "c" || en.User != "u" || en.Time.IsZero() {
			t.Fatalf("%+v", en)
		}
		actions = append(actions, string(en.Action))
	}
	if strings.Join(actions, ",") != "load-start,halt" {
		t.Fatal(actions)
	}
}

func TestReadOnlyRefusesLoad(t *testing.T) {
	l := &fakeLoad{}
	e := &Env{Load: l, Guard: &Guard{ReadOnly: true}}
	r, _ := e.StartLoad(load.Profile{Rate: 10})
	if r.Entry.Result != ResultRefused || l.active {
		t.Fatalf("%+v", r)
	}
	// HALT is never refused.
	if r, _ := e.Halt(context.Background(), nil); r.Entry.Result != ResultOK {
		t.Fatalf("%+v", r)
	}
}

// TestParseKill: a kill's count and its optional grace period, as steps and the K prompt write them.
func TestParseKill(t *testing.T) {
	for _, c := range []struct {
		in    string
		count Count
		grace int64 // -1: none given
		err   bool
	}{
		{"", Count{N: 1}, -1, false},
		{"3", Count{N: 3}, -1, false},
		{"all! grace 0", Count{All: true, Force: true}, 0, false},
		{"30% grace 5s", Count{Pct: 30}, 5, false},
		{"grace 0", Count{N: 1}, 0, false},
		{"2 grace -1", Count{}, -1, true},
		{"2 grace soon", Count{}, -1, true},
		{"two", Count{}, -1, true},
	} {
		got, grace, err := ParseKill(c.in)
		g := int64(-1)
		if grace != nil {
			g = *grace
		}
		if (err != nil) != c.err || err == nil && (got != c.count || g != c.grace) {
			t.Errorf("ParseKill(%q) = %+v, grace %d, %v; want %+v, grace %d, error %v", c.in, got, g, err, c.count, c.grace, c.err)
		}
	}
}
