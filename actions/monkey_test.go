package actions

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedaylab/gameday/model"
)

// monkeyKill plans the monkey's kill of one pod of deploy/web (at least a minute old).
func monkeyKill(t *testing.T, tb *testbed) Step {
	t.Helper()
	st, err := tb.prepare("monkey-kill", shopWorld(), "shop/web 1 1m")
	if err != nil {
		t.Fatal(err)
	}
	if st.Refusal != nil || st.Confirm || len(st.Plan.Pods) != 1 {
		t.Fatalf("the monkey's kill is planned, not confirmed: %+v", st)
	}
	return st
}

// TestMonkeyKillEvictsAndMarksTheVictim: the monkey's kill goes through the Eviction API, leaves an
// Event on the victim (as chaoskube does) and is journaled with the monkey as its actor.
func TestMonkeyKillEvictsAndMarksTheVictim(t *testing.T) {
	tb := newTestbed(t, &Guard{MinReady: 1})
	asked := tb.evictions(nil)
	st := monkeyKill(t, tb)
	victim := st.Plan.Pods[0]
	r, err := Exec{Env: tb.env}.Do(context.Background(), st)
	if err != nil || r.Entry.Actor != ActorMonkey || r.Entry.Action != "monkey-kill" || r.Entry.Result != ResultOK ||
		!slices.Equal(r.Entry.Targets, []string{"pod/" + victim}) || !strings.HasPrefix(r.Entry.Detail, "monkey: evict "+victim) {
		t.Fatalf("%+v %v", r, err)
	}
	if len(*asked) != 1 || slices.Contains(tb.podNames(), victim) {
		t.Fatalf("evictions %d, pods %v", len(*asked), tb.podNames())
	}
	evs, err := tb.cs.CoreV1().Events("shop").List(context.Background(), metav1.ListOptions{})
	if err != nil || len(evs.Items) != 1 {
		t.Fatalf("events %+v %v", evs, err)
	}
	ev := evs.Items[0]
	if ev.InvolvedObject.Kind != "Pod" || ev.InvolvedObject.Name != victim || ev.Reason != "Killing" || ev.Source.Component != "gameday-monkey" ||
		ev.ReportingInstance != "alice" || !ev.FirstTimestamp.Time.Equal(tb.now) || !strings.HasPrefix(ev.GenerateName, victim+".gameday-") {
		t.Fatalf("event %+v", ev)
	}
}

// TestMonkeyKillHeldByADisruptionBudgetIsRefused: a PDB's 429 makes the monkey's kill a refusal
// naming the budget; the pod stays and gets no Event.
func TestMonkeyKillHeldByADisruptionBudgetIsRefused(t *testing.T) {
	tb := newTestbed(t, nil)
	st := monkeyKill(t, tb)
	tb.evictions(map[string]bool{"shop/" + st.Plan.Pods[0]: true})
	r, err := Exec{Env: tb.env}.Do(context.Background(), st)
	if !errors.Is(err, model.ErrRefused) || r.Entry.Result != ResultRefused || !strings.Contains(r.Entry.Error, "a PodDisruptionBudget keeps pod shop/"+st.Plan.Pods[0]) {
		t.Fatalf("%+v %v", r, err)
	}
	evs, _ := tb.cs.CoreV1().Events("shop").List(context.Background(), metav1.ListOptions{})
	if len(tb.podNames()) != 4 || len(evs.Items) != 0 {
		t.Fatalf("pods %v, events %d", tb.podNames(), len(evs.Items))
	}
}

// TestDryRunMonkeyKillMarksNothing: a dry-run monkey's eviction only asks the server to validate,
// and no Event claims a kill that did not happen.
func TestDryRunMonkeyKillMarksNothing(t *testing.T) {
	tb := newTestbed(t, &Guard{DryRun: true})
	asked := tb.evictions(nil)
	r, err := Exec{Env: tb.env}.Do(context.Background(), monkeyKill(t, tb))
	if err != nil || r.Entry.Result != ResultDryRun || len(*asked) != 1 || (*asked)[0].DeleteOptions == nil ||
		!slices.Equal((*asked)[0].DeleteOptions.DryRun, []string{metav1.DryRunAll}) {
		t.Fatalf("%+v %v", r, err)
	}
	evs, _ := tb.cs.CoreV1().Events("shop").List(context.Background(), metav1.ListOptions{})
	if len(tb.podNames()) != 4 || len(evs.Items) != 0 {
		t.Fatalf("pods %v, events %d", tb.podNames(), len(evs.Items))
	}
}

// TestMonkeyKillSparesYoungPods: pods younger than the monkey's minimum age are no victims: with none
// older, the kill is refused.
func TestMonkeyKillSparesYoungPods(t *testing.T) {
	tb := newTestbed(t, nil)
	st, err := tb.prepare("monkey-kill", shopWorld(), "shop/web 1 2h")
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(st.Refusal, model.ErrRefused) || !strings.Contains(st.Refusal.Error(), "no ready pod older than 2h0m0s") {
		t.Fatalf("%v", st.Refusal)
	}
}

// monkey is the session's chaos monkey as the monkey action sees it.
type monkey struct {
	running bool
	started []time.Duration
}

func (m *monkey) Start(d time.Duration) error {
	m.running = true
	m.started = append(m.started, d)
	return nil
}
func (m *monkey) Stop() bool            { was := m.running; m.running = false; return was }
func (m *monkey) Skip() (string, error) { return "shop/web-1", nil }
func (m *monkey) Running() bool         { return m.running }

// TestMonkeyCommandSteersTheSessionsMonkey: on (for a while), toggle, skip and off reach the
// session's monkey and are journaled with what they did; off when it is not running is an error, and
// a session without a monkey refuses.
func TestMonkeyCommandSteersTheSessionsMonkey(t *testing.T) {
	tb := newTestbed(t, nil)
	m := &monkey{}
	x := Exec{Env: tb.env, Monkey: m}
	run := func(args string, on bool) (Result, error) {
		t.Helper()
		w := shopWorld()
		w.MonkeyOn = on
		st, err := tb.prepare("monkey", w, args)
		if err != nil {
			t.Fatal(err)
		}
		return x.Do(context.Background(), st)
	}
	if r, err := run("on for 5m", false); err != nil || !m.running || !slices.Equal(m.started, []time.Duration{5 * time.Minute}) || r.Entry.Detail != "started for 5m" {
		t.Fatalf("%+v %v", r, err)
	}
	if r, err := run("skip", true); err != nil || r.Entry.Detail != "skipped the next kill: shop/web-1" {
		t.Fatalf("%+v %v", r, err)
	}
	if r, err := run("toggle", true); err != nil || m.running || !slices.Equal(r.Entry.Targets, []string{"off"}) || r.Entry.Detail != "stopped" {
		t.Fatalf("%+v %v", r, err)
	}
	if r, err := run("off", false); err == nil || r.Entry.Result != ResultError || !strings.Contains(r.Entry.Error, "not running") {
		t.Fatalf("%+v %v", r, err)
	}
	if r, _ := run("skip", false); r.Entry.Result != ResultRefused {
		t.Fatalf("skip with no monkey running: %+v", r)
	}
	x.Monkey = nil
	if r, err := run("on", false); !errors.Is(err, model.ErrRefused) || !strings.Contains(r.Entry.Error, "no chaos monkey here") {
		t.Fatalf("%+v %v", r, err)
	}
}

// TestMonkeyIsNotStartedWhereTheGuardForbids: starting the monkey in read-only mode is refused and
// the session's monkey stays off.
func TestMonkeyIsNotStartedWhereTheGuardForbids(t *testing.T) {
	tb := newTestbed(t, &Guard{ReadOnly: true})
	m := &monkey{}
	st, err := tb.prepare("monkey", shopWorld(), "on")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Exec{Env: tb.env, Monkey: m}.Do(context.Background(), st)
	if !errors.Is(err, model.ErrRefused) || m.running || !strings.Contains(r.Entry.Error, "read-only") {
		t.Fatalf("%+v %v", r, err)
	}
}
