package actions

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// timedFault is an injected thing that ends by itself at expires (zero: never); it logs its revert.
type timedFault struct {
	id      string
	expires time.Time
	fail    bool
	log     *[]string
}

func (f *timedFault) Describe() string   { return "fault " + f.id }
func (f *timedFault) Expires() time.Time { return f.expires }
func (f *timedFault) ID() string         { return f.id }
func (f *timedFault) Revert(context.Context) error {
	if f.fail {
		return errors.New("apiserver down")
	}
	*f.log = append(*f.log, f.id)
	return nil
}

// TestPendingAndActiveListWhatIsInjectedOldestFirst: both list in the order things were injected;
// Active carries the ID and the end of what expires, nothing for what lasts until HALT.
func TestPendingAndActiveListWhatIsInjectedOldestFirst(t *testing.T) {
	var log []string
	end := time.Date(2025, 3, 4, 10, 2, 0, 0, time.UTC)
	in := &Injected{}
	in.Add(&timedFault{id: "f1", expires: end, log: &log})
	in.Add(&fakeFault{})
	if got := in.Pending(); !slices.Equal(got, []string{"fault f1", "fault/delay"}) {
		t.Fatalf("pending %v", got)
	}
	got := in.Active()
	want := []Active{{ID: "f1", Describe: "fault f1", Expires: end}, {Describe: "fault/delay"}}
	if !slices.Equal(got, want) {
		t.Fatalf("active %+v, want %+v", got, want)
	}
	if (&Injected{}).Pending() == nil || len((&Injected{}).Active()) != 0 {
		t.Fatal("nothing injected lists empty, not nil")
	}
}

// TestRevertWhereRevertsOnlyThePickedNewestFirst: the picked items are reverted newest first and
// forgotten; the others stay, in their order.
func TestRevertWhereRevertsOnlyThePickedNewestFirst(t *testing.T) {
	var log []string
	in := &Injected{}
	for _, id := range []string{"a", "b", "c", "d"} {
		in.Add(&timedFault{id: id, log: &log})
	}
	done, err := in.RevertWhere(context.Background(), func(r Reverter) bool { id := r.(*timedFault).id; return id == "a" || id == "c" })
	if err != nil || !slices.Equal(done, []string{"fault c", "fault a"}) || !slices.Equal(log, []string{"c", "a"}) {
		t.Fatalf("done %v, reverted %v, %v", done, log, err)
	}
	if got := in.Pending(); !slices.Equal(got, []string{"fault b", "fault d"}) {
		t.Fatalf("left %v", got)
	}
}

// TestRevertWhereKeepsWhatFailedToRevert: a revert that fails is reported by name and stays
// registered for the next try.
func TestRevertWhereKeepsWhatFailedToRevert(t *testing.T) {
	var log []string
	in := &Injected{}
	in.Add(&timedFault{id: "bad", fail: true, log: &log})
	in.Add(&timedFault{id: "ok", log: &log})
	done, err := in.RevertWhere(context.Background(), func(Reverter) bool { return true })
	if err == nil || !strings.Contains(err.Error(), "revert fault bad: apiserver down") || !slices.Equal(done, []string{"fault ok"}) {
		t.Fatalf("done %v, %v", done, err)
	}
	if got := in.Pending(); !slices.Equal(got, []string{"fault bad"}) {
		t.Fatalf("left %v", got)
	}
}

// TestExpiredFromTheMomentItsDurationEnds: something is expired at its end and after, not before;
// what has no end (zero, or no Expires at all) never is.
func TestExpiredFromTheMomentItsDurationEnds(t *testing.T) {
	var log []string
	end := time.Date(2025, 3, 4, 10, 2, 0, 0, time.UTC)
	in := &Injected{}
	in.Add(&timedFault{id: "forever", log: &log})
	in.Add(&fakeFault{})
	if in.Expired(end.Add(time.Hour)) {
		t.Fatal("nothing with an end is injected")
	}
	in.Add(&timedFault{id: "f1", expires: end, log: &log})
	if in.Expired(end.Add(-time.Nanosecond)) || !in.Expired(end) || !in.Expired(end.Add(time.Second)) {
		t.Fatal("expired from its end on")
	}
}

// TestRevertExpiredRevertsAndJournalsOnlyWhatIsDue: at a tick, the faults whose time is up are
// reverted and each journaled as fault-expired with its ID; the rest stay injected.
func TestRevertExpiredRevertsAndJournalsOnlyWhatIsDue(t *testing.T) {
	tb := newTestbed(t, nil)
	var log []string
	in := &Injected{}
	in.Add(&timedFault{id: "due", expires: tb.now.Add(-time.Second), log: &log})
	in.Add(&timedFault{id: "later", expires: tb.now.Add(time.Minute), log: &log})
	in.Add(&timedFault{id: "forever", log: &log})
	in.Add(&fakeFault{})
	rs, err := tb.env.RevertExpired(context.Background(), in)
	if err != nil || len(rs) != 1 || !slices.Equal(log, []string{"due"}) {
		t.Fatalf("results %+v, reverted %v, %v", rs, log, err)
	}
	e := rs[0].Entry
	if e.Action != "fault-expired" || e.Result != ResultOK || !slices.Equal(e.Targets, []string{"fault due", "fault/due"}) ||
		e.Detail != "its duration ended; reverted fault due" || e.User != "alice" {
		t.Fatalf("entry %+v", e)
	}
	if got := in.Pending(); !slices.Equal(got, []string{"fault later", "fault forever", "fault/delay"}) {
		t.Fatalf("left %v", got)
	}
	if j := tb.entries(); len(j) != 1 || j[0].Action != "fault-expired" {
		t.Fatalf("journal %+v", j)
	}
}

// TestRevertExpiredKeepsAFaultThatFailedToRevert: a due fault whose revert fails is journaled as an
// error and stays injected, so the next tick (or HALT) tries again.
func TestRevertExpiredKeepsAFaultThatFailedToRevert(t *testing.T) {
	tb := newTestbed(t, nil)
	var log []string
	in := &Injected{}
	in.Add(&timedFault{id: "stuck", expires: tb.now, fail: true, log: &log})
	rs, err := tb.env.RevertExpired(context.Background(), in)
	if err == nil || len(rs) != 1 || rs[0].Entry.Result != ResultError || !strings.Contains(rs[0].Entry.Error, "apiserver down") {
		t.Fatalf("%+v %v", rs, err)
	}
	if in.Len() != 1 || !in.Expired(tb.now) {
		t.Fatalf("the stuck fault must stay injected: %v", in.Pending())
	}
}

// TestRevertExpiredWithNothingDueDoesNothing: no injected set, or nothing due, reverts and journals
// nothing.
func TestRevertExpiredWithNothingDueDoesNothing(t *testing.T) {
	tb := newTestbed(t, nil)
	var log []string
	in := &Injected{}
	in.Add(&timedFault{id: "later", expires: tb.now.Add(time.Minute), log: &log})
	for _, x := range []*Injected{nil, in} {
		if rs, err := tb.env.RevertExpired(context.Background(), x); rs != nil || err != nil {
			t.Fatalf("%+v %v", rs, err)
		}
	}
	if len(log) != 0 || len(tb.entries()) != 0 || in.Len() != 1 {
		t.Fatalf("reverted %v, journal %+v", log, tb.entries())
	}
}

// TestUncordonByHandLeavesHALTOnlyTheNodesStillCordoned: `:uncordon n1` after `:cordon zone a` lifts
// n1's cordon and drops n1 from what HALT reverts, keeping n2 (and the unrelated fault); uncordoning
// n2 too leaves HALT no cordon at all.
func TestUncordonByHandLeavesHALTOnlyTheNodesStillCordoned(t *testing.T) {
	tb := newTestbed(t, nil)
	in := &Injected{}
	x := Exec{Env: tb.env, Injected: in}
	run := func(cmd, args string) {
		t.Helper()
		st, err := tb.prepare(cmd, shopWorld(), args)
		if err != nil {
			t.Fatal(err)
		}
		if r, err := x.Do(context.Background(), st); err != nil || r.Entry.Result != ResultOK {
			t.Fatalf("%s %s: %+v %v", cmd, args, r, err)
		}
	}
	run("cordon", "zone a")
	in.Add(&fakeFault{})
	if !tb.node("n1").Spec.Unschedulable || !tb.node("n2").Spec.Unschedulable {
		t.Fatal("zone a is cordoned")
	}
	run("uncordon", "n1")
	if tb.node("n1").Spec.Unschedulable || !tb.node("n2").Spec.Unschedulable {
		t.Fatal("only n1 is uncordoned")
	}
	if got := in.Pending(); !slices.Equal(got, []string{"cordon n2", "fault/delay"}) {
		t.Fatalf("HALT would revert %v", got)
	}
	run("uncordon", "n2")
	if got := in.Pending(); !slices.Equal(got, []string{"fault/delay"}) {
		t.Fatalf("HALT would revert %v", got)
	}
}

// TestFailedRevertsKeepTheirPlace: what failed to revert stays where it was injected, so Pending
// still lists oldest first and the next HALT still reverts newest first, whether the failure was
// in RevertAll or in RevertWhere, and whatever was injected since.
func TestFailedRevertsKeepTheirPlace(t *testing.T) {
	var log []string
	in := &Injected{}
	a, b := &timedFault{id: "a", fail: true, log: &log}, &timedFault{id: "b", fail: true, log: &log}
	in.Add(a)
	in.Add(b)
	if _, err := in.RevertAll(context.Background()); err == nil {
		t.Fatal("no error for failed reverts")
	}
	if got := in.Pending(); !slices.Equal(got, []string{"fault a", "fault b"}) {
		t.Fatalf("after a failed HALT, pending %v, want oldest first", got)
	}
	a.fail, b.fail = false, false
	if _, err := in.RevertAll(context.Background()); err != nil || !slices.Equal(log, []string{"b", "a"}) {
		t.Fatalf("the next HALT reverted %v (%v), want newest first", log, err)
	}

	log = nil
	in = &Injected{}
	x, y := &timedFault{id: "x", fail: true, log: &log}, &timedFault{id: "y", log: &log}
	in.Add(x)
	in.Add(y)
	if _, err := in.RevertWhere(context.Background(), func(r Reverter) bool { return r == x }); err == nil {
		t.Fatal("no error for a failed revert")
	}
	in.Add(&timedFault{id: "z", log: &log})
	if got := in.Pending(); !slices.Equal(got, []string{"fault x", "fault y", "fault z"}) {
		t.Fatalf("after a failed RevertWhere, pending %v, want in the order injected", got)
	}
}
