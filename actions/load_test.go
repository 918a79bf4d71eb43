package actions

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/model"
)

// loadGen is a load generator that remembers what it was asked.
type loadGen struct {
	active    bool
	profile   load.Profile
	requested float64
	sent      int64
	started   []load.Profile
	stops     int
}

func (g *loadGen) Start(p load.Profile) error {
	g.active, g.profile, g.requested = true, p, p.Rate
	g.started = append(g.started, p)
	return nil
}
func (g *loadGen) SetRate(r float64) (float64, error) { g.requested = r; return r, nil }
func (g *loadGen) Stop()                              { g.active = false; g.stops++ }
func (g *loadGen) Status() load.Status {
	return load.Status{Active: g.active, Profile: g.profile, Requested: g.requested, Sent: g.sent}
}

func loadWorld() World {
	w := shopWorld()
	w.Burst = load.Profile{Name: "burst", Kind: load.Constant, Rate: 100, To: 100, Duration: time.Minute}
	w.RateStep = 50
	return w
}

// TestBurstKeyStartsTheConfiguredBurst: b sends the configured burst and journals load-start.
func TestBurstKeyStartsTheConfiguredBurst(t *testing.T) {
	tb := newTestbed(t, nil)
	g := &loadGen{}
	tb.env.Load = g
	st, err := tb.prepare("burst", loadWorld(), "")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Exec{Env: tb.env}.Do(context.Background(), st)
	if err != nil || len(g.started) != 1 || g.started[0].Rate != 100 || g.started[0].Duration != time.Minute {
		t.Fatalf("%+v %v, started %+v", r, err, g.started)
	}
	if e := r.Entry; e.Action != "load-start" || e.Result != ResultOK || !slices.Equal(e.Targets, []string{"burst"}) || e.Detail != g.started[0].String() {
		t.Fatalf("entry %+v", e)
	}
}

// TestLoadIsRefusedWhereItWouldChangeOrJudgeTheWrongThing: read-only mode, an unarmed production
// context and a target that does not exist refuse the load; run anyway, it is journaled as refused
// with its profile and nothing is sent.
func TestLoadIsRefusedWhereItWouldChangeOrJudgeTheWrongThing(t *testing.T) {
	for _, c := range []struct {
		name    string
		guard   *Guard
		target  string
		refusal string
	}{
		{"read-only", &Guard{ReadOnly: true}, "web", "read-only mode (--read-only): no load is sent"},
		{"production", &Guard{Context: "prod-eu", ProductionPatterns: []string{"prod-*"}}, "web", "start with --arm to send load"},
		{"no such target", nil, "gone", `the target deploy/gone does not exist in namespace "shop"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			tb := newTestbed(t, c.guard)
			g := &loadGen{}
			tb.env.Load = g
			w := loadWorld()
			w.Target = c.target
			st, err := tb.prepare("load", w, "200 30s")
			if err != nil {
				t.Fatal(err)
			}
			if st.Refusal == nil || !strings.Contains(st.Refusal.Error(), c.refusal) {
				t.Fatalf("refusal %v, want %q", st.Refusal, c.refusal)
			}
			r, err := Exec{Env: tb.env}.Do(context.Background(), st)
			if !errors.Is(err, model.ErrRefused) || r.Entry.Result != ResultRefused || r.Entry.Detail != st.Profile.String() || len(g.started) != 0 {
				t.Fatalf("%+v %v, started %v", r, err, g.started)
			}
		})
	}
}

// TestDryRunLoadIsJournaledNotSent: in dry-run mode the load's start is journaled as a dry run and the
// generator is not started.
func TestDryRunLoadIsJournaledNotSent(t *testing.T) {
	tb := newTestbed(t, &Guard{DryRun: true})
	g := &loadGen{}
	tb.env.Load = g
	st, err := tb.prepare("burst", loadWorld(), "")
	if err != nil {
		t.Fatal(err)
	}
	if r, err := (Exec{Env: tb.env}).Do(context.Background(), st); err != nil || r.Entry.Result != ResultDryRun || len(g.started) != 0 {
		t.Fatalf("%+v %v, started %v", r, err, g.started)
	}
}

// TestANewLoadReplacesTheRunningOne: starting a load while one runs stops it first and journals
// that stop, then the start.
func TestANewLoadReplacesTheRunningOne(t *testing.T) {
	tb := newTestbed(t, nil)
	g := &loadGen{}
	tb.env.Load = g
	if _, err := tb.env.StartLoad(load.Profile{Name: "burst", Kind: load.Constant, Rate: 100, To: 100, Duration: time.Minute}); err != nil {
		t.Fatal(err)
	}
	g.sent = 42
	if _, err := tb.env.StartLoad(load.Profile{Name: "spike", Kind: "spike", Rate: 100, To: 500, Duration: time.Minute}); err != nil {
		t.Fatal(err)
	}
	j := tb.entries()
	if g.stops != 1 || len(g.started) != 2 || len(j) != 3 || j[1].Action != "load-stop" ||
		!strings.Contains(j[1].Detail, "stopped load after 42 requests") || !strings.Contains(j[1].Detail, "replaced by") || j[2].Action != "load-start" {
		t.Fatalf("stops %d, started %d, journal %+v", g.stops, len(g.started), j)
	}
}

// TestRateKeysSteerTheRunningLoadByTheStep: + and - change the running load's rate by the
// configured step, and the journal says from what to what.
func TestRateKeysSteerTheRunningLoadByTheStep(t *testing.T) {
	tb := newTestbed(t, nil)
	g := &loadGen{active: true, requested: 100}
	tb.env.Load = g
	for _, c := range []struct {
		key        string
		step, want float64
		detail     string
	}{{"rateUp", 50, 150, "rate 100 -> 150 req/s"}, {"rateDown", -50, 100, "rate 150 -> 100 req/s"}} {
		spec, _ := ByKey(c.key) // the cockpit passes the key's Args
		st, err := tb.env.Prepare(spec, loadWorld(), spec.Args)
		if err != nil {
			t.Fatal(err)
		}
		if st.Rate != c.step {
			t.Fatalf("%s: step %+v", c.key, st)
		}
		r, err := Exec{Env: tb.env}.Do(context.Background(), st)
		if err != nil || g.requested != c.want || r.Entry.Action != "load-rate" || r.Entry.Detail != c.detail {
			t.Fatalf("%s: rate %v, %+v %v", c.key, g.requested, r, err)
		}
	}
	st, err := tb.prepare("rate", loadWorld(), "-30")
	if err != nil || st.Summary != "load rate -30 req/s" {
		t.Fatalf("%+v %v", st, err)
	}
	if _, err := (Exec{Env: tb.env}).Do(context.Background(), st); err != nil || g.requested != 70 {
		t.Fatalf("rate %v, %v", g.requested, err)
	}
}

// TestRateChangeNeedsARunningLoad: with no load running the change is refused (and says how to start
// one); with no generator at all it is an error.
func TestRateChangeNeedsARunningLoad(t *testing.T) {
	tb := newTestbed(t, nil)
	g := &loadGen{}
	tb.env.Load = g
	r, err := tb.env.SetLoadRate(50)
	if !errors.Is(err, model.ErrRefused) || !strings.Contains(r.Entry.Error, "press b to start a burst") || g.requested != 0 {
		t.Fatalf("%+v %v", r, err)
	}
	tb.env.Load = nil
	if r, err := tb.env.SetLoadRate(50); err == nil || r.Entry.Result != ResultError || r.Entry.Error != "no load generator" {
		t.Fatalf("%+v %v", r, err)
	}
}

// TestUnloadStopsTheLoadAndOnlyIt: :unload stops the running load and journals how much it sent; with
// none running it is refused, with no generator an error, and it takes no arguments.
func TestUnloadStopsTheLoadAndOnlyIt(t *testing.T) {
	tb := newTestbed(t, nil)
	g := &loadGen{active: true, sent: 1234, profile: load.Profile{Name: "burst", Kind: load.Constant, Rate: 100, To: 100, Duration: time.Minute}}
	tb.env.Load = g
	in := &Injected{}
	in.Add(&fakeFault{})
	st, err := tb.prepare("unload", loadWorld(), "")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Exec{Env: tb.env, Injected: in}.Do(context.Background(), st)
	if err != nil || g.active || g.stops != 1 || r.Entry.Action != "load-stop" || !strings.HasPrefix(r.Entry.Detail, "stopped load after 1234 requests (") {
		t.Fatalf("%+v %v", r, err)
	}
	if in.Len() != 1 {
		t.Fatal("unload reverts nothing injected")
	}
	r, err = Exec{Env: tb.env}.Do(context.Background(), st)
	if !errors.Is(err, model.ErrRefused) || !strings.Contains(r.Entry.Error, "no load is running") || g.stops != 1 {
		t.Fatalf("%+v %v", r, err)
	}
	tb.env.Load = nil
	if _, err := tb.env.StopLoad(); err == nil || err.Error() != "no load generator" {
		t.Fatal(err)
	}
	if _, err := tb.prepare("unload", loadWorld(), "now"); err == nil || !strings.Contains(err.Error(), "takes no arguments") {
		t.Fatal(err)
	}
}

// TestLoadStepWithoutAProfileIsAnInternalError: a load step that lost its profile starts nothing.
func TestLoadStepWithoutAProfileIsAnInternalError(t *testing.T) {
	tb := newTestbed(t, nil)
	g := &loadGen{}
	tb.env.Load = g
	st, err := tb.prepare("burst", loadWorld(), "")
	if err != nil {
		t.Fatal(err)
	}
	st.Profile = nil
	if r, err := (Exec{Env: tb.env}).Do(context.Background(), st); err == nil || !strings.Contains(r.Err, "load step without a profile") || len(g.started) != 0 {
		t.Fatalf("%+v %v", r, err)
	}
}
