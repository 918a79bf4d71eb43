package actions

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/model"
)

// TestNoBadNumberGetsIn: every argument an action reads from the command line, a prompt or a
// scenario step refuses NaN, infinities, overflow and out-of-range values, saying what it wants.
func TestNoBadNumberGetsIn(t *testing.T) {
	c := model.NewCluster()
	c.Synced = true
	c.Deployments["shop/web"] = &model.Deployment{Namespace: "shop", Name: "web", Desired: 3, Ready: 3}
	w := World{Namespace: "shop", Target: "web", Cluster: c, Burst: load.Profile{Name: "burst", Kind: load.Constant, Rate: 100, To: 100, Duration: time.Minute}, RateStep: 50, MaxRate: 1000}
	e := &Env{}
	for _, bad := range []string{"NaN 30s", "nan", "Inf", "+Inf 30s", "-5", "0", "1e400", "ramp:0-NaN", "ramp:NaN-NaN", "spike:1-Inf",
		"step:1-10/99999999999", "sine:1-10/1ns", "100 NaNs", "100 -5s", "100 1000h"} {
		if st, err := planLoadStep(e, w, bad); err == nil {
			t.Errorf("load %q accepted: %+v", bad, st.Profile)
		}
	}
	if st, err := planLoadStep(e, w, "250 30s"); err != nil || st.Profile.Rate != 250 || st.Profile.Duration != 30*time.Second {
		t.Fatalf("load 250 30s: %+v %v", st.Profile, err)
	}
	for _, bad := range []string{"+NaN", "-Inf", "+infinity", "5", "+", "+1e400", "+0x10"} {
		if v, err := ParseRateStep(bad); err == nil {
			t.Errorf("rate step %q accepted as %v", bad, v)
		}
	}
	if v, err := ParseRateStep("-25"); err != nil || v != -25 {
		t.Fatalf("-25: %v %v", v, err)
	}
	for _, bad := range []string{"web abort 500 NaN%", "web abort 500 Inf%", "web delay NaNs 10%", "web delay 2s 1e400%", "web abort 500 5% for 1000h"} {
		if f, err := ParseFault(bad); err == nil {
			t.Errorf("fault %q accepted: %+v", bad, f)
		}
	}
	for _, bad := range []string{"NaN", "2.5", "4294967297", "+2147483648", "-2147483649", "+99999999999", "100001"} {
		if d, err := ParseScale(bad, 3); err == nil {
			t.Errorf("scale %q accepted as a change of %d", bad, d)
		}
	}
	for _, bad := range []string{"NaN", "0", "1.5", "101%", "0%", "9223372036854775808", "2 grace -1", "2 grace NaN", "2 grace 1e9"} {
		if c, g, err := ParseKill(bad); err == nil {
			t.Errorf("kill %q accepted: %+v grace %v", bad, c, g)
		}
	}
	w.Monkey = "on"
	for _, bad := range []string{"on for NaNs", "on for -1s", "on for 10000h"} {
		if _, err := planMonkeyStep(e, w, bad); err == nil {
			t.Errorf("monkey %q accepted", bad)
		}
	}
}

// TestTargetBeforeTheListing: an action asked for before the cluster is listed says so, instead of
// "not found" (the cockpit's first frame comes before the list).
func TestTargetBeforeTheListing(t *testing.T) {
	w := World{Namespace: "shop", Target: "web", Cluster: model.NewCluster()}
	if _, err := needTarget(w); err == nil || !strings.Contains(err.Error(), "not listed yet") {
		t.Fatalf("before the listing: %v", err)
	}
	w.Cluster.Synced = true
	if _, err := needTarget(w); err == nil || !strings.Contains(err.Error(), `deploy/web not found in namespace "shop"`) {
		t.Fatalf("after the listing: %v", err)
	}
}

// TestMaxDisruptedHoldsEveryWayPodsGo (issue 29): while an experiment caps disrupted pods, the
// monkey's kill, a kill and a scale-down are each refused past the cap (forced or not), counting the
// pods already not ready; without a cap they plan as before.
func TestMaxDisruptedHoldsEveryWayPodsGo(t *testing.T) {
	c := model.NewCluster()
	c.Synced = true
	c.Deployments["shop/web"] = &model.Deployment{Namespace: "shop", Name: "web", Desired: 4, Ready: 3, Selector: map[string]string{"app": "web"}}
	for i, ready := range []bool{true, true, true, false} {
		name := "web-" + string(rune('a'+i))
		c.Pods["shop/"+name] = &model.Pod{Namespace: "shop", Name: name, Ready: ready, Labels: map[string]string{"app": "web"}, Owner: "web"}
	}
	w := World{Namespace: "shop", Target: "web", Cluster: c}
	g := &Guard{}
	e := &Env{Guard: g}
	plan := func(spec, args string) error {
		s, _ := ByCommand(spec)
		if spec == "monkey-kill" {
			for _, x := range Catalog() {
				if x.Name == "monkey-kill" {
					s = x
				}
			}
		}
		st, err := s.Plan(e, w, args)
		if err != nil {
			t.Fatalf("%s %s: %v", spec, args, err)
		}
		return st.Refusal
	}
	cases := map[string][2]string{"kill": {"kill", "1!"}, "scale-down": {"scale", "-2"}, "monkey": {"monkey-kill", "shop/web 1 0s"}}
	for name, c := range cases {
		if err := plan(c[0], c[1]); err != nil {
			t.Errorf("%s without a cap: %v", name, err)
		}
	}
	g.SetMaxDisrupted(&Count{N: 1}) // one pod is already not ready: no more may go
	for name, c := range cases {
		if err := plan(c[0], c[1]); err == nil || !strings.Contains(err.Error(), "2 of deploy/web's 4 pods would be disrupted (1 now not ready, 1 by this action)") {
			t.Errorf("%s past the cap: %v", name, err)
		}
	}
	g.SetMaxDisrupted(&Count{Pct: 50}) // 2 of 4
	for name, c := range cases {
		if err := plan(c[0], c[1]); err != nil {
			t.Errorf("%s within 50%%: %v", name, err)
		}
	}
}

// hangingRevert never returns on its own: a revert whose apiserver call hangs.
type hangingRevert struct{}

func (hangingRevert) Describe() string { return "fault/hangs" }
func (hangingRevert) Revert(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestOneHangingRevertDoesNotStarveTheOthers (issue 29): HALT's reverts share one bound; a revert that
// hangs gets its share, is kept for the next HALT, and the others are done within the bound.
func TestOneHangingRevertDoesNotStarveTheOthers(t *testing.T) {
	in := &Injected{}
	first, last := &fakeFault{}, &fakeFault{}
	in.Add(first)
	in.Add(hangingRevert{})
	in.Add(last)
	e := &Env{RevertTimeout: 300 * time.Millisecond}
	start := time.Now()
	r, _ := e.Halt(context.Background(), in)
	if took := time.Since(start); took > time.Second {
		t.Fatalf("HALT took %s with a bound of 300ms", took)
	}
	if !first.reverted || !last.reverted || in.Len() != 1 || !strings.Contains(r.Err, "fault/hangs") {
		t.Fatalf("reverted %v %v, still injected %d, result %+v", first.reverted, last.reverted, in.Len(), r)
	}
}

// TestAReplacedLoadIsJournaled (issue 29): starting a load while one runs replaced it with no trace;
// the replaced run's end is now a load-stop entry of its own, before the new start.
func TestAReplacedLoadIsJournaled(t *testing.T) {
	j, err := OpenJournal(filepath.Join(t.TempDir(), "j.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	l := &fakeLoad{}
	e := &Env{Journal: j, Load: l}
	for _, p := range []load.Profile{{Name: "first", Kind: load.Constant, Rate: 10, To: 10}, {Name: "second", Kind: load.Constant, Rate: 20, To: 20}} {
		if _, err := e.StartLoad(p); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(j.Path())
	if err != nil {
		t.Fatal(err)
	}
	var entries []Entry
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var en Entry
		if err := json.Unmarshal([]byte(line), &en); err != nil {
			t.Fatal(err)
		}
		entries = append(entries, en)
	}
	var names []string
	for _, en := range entries {
		names = append(names, string(en.Action))
	}
	if strings.Join(names, ",") != "load-start,load-stop,load-start" || !strings.Contains(entries[1].Detail, "replaced by second") {
		t.Fatalf("journal %v: %+v", names, entries)
	}
}
