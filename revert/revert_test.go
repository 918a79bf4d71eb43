package revert

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func rec(id string) Record {
	return Record{ID: id, Session: "s1", Kind: KindCordon, Object: Ref{Version: "v1", Resource: "nodes", Name: "n-" + id}, What: "cordon n-" + id}
}

// TestAnnotationRecords: records on an object's annotation are added, replaced by ID and removed; the
// text does not depend on the order they were added in; the annotation goes with the last record;
// other annotations are kept and the caller's map is never changed.
func TestAnnotationRecords(t *testing.T) {
	orig := map[string]string{"keep": "me"}
	a, err := With(orig, rec("b"))
	if err != nil {
		t.Fatal(err)
	}
	a, err = With(a, rec("a"))
	if err != nil {
		t.Fatal(err)
	}
	if len(orig) != 1 {
		t.Fatalf("With changed the caller's map: %v", orig)
	}
	other, _ := With(map[string]string{}, rec("a"))
	other, _ = With(other, rec("b"))
	if a[Annotation] != other[Annotation] {
		t.Fatalf("the text depends on the order of writes:\n%s\n%s", a[Annotation], other[Annotation])
	}
	changed := rec("a")
	changed.What = "again"
	a, _ = With(a, changed)
	rs, err := Decode(a[Annotation])
	if err != nil || len(rs) != 2 || rs[0].ID != "a" || rs[0].What != "again" || a["keep"] != "me" {
		t.Fatalf("after replacing a: %+v, %v, %v", rs, err, a)
	}
	a, _ = Without(a, "a")
	a, _ = Without(a, "nope")
	if rs, _ := Decode(a[Annotation]); len(rs) != 1 || rs[0].ID != "b" {
		t.Fatalf("after removing a: %+v", rs)
	}
	a, _ = Without(a, "b")
	if _, ok := a[Annotation]; ok || a["keep"] != "me" {
		t.Fatalf("the last record's removal left %v", a)
	}
	if rs, err := Decode(""); rs != nil || err != nil {
		t.Fatalf("empty annotation: %v %v", rs, err)
	}
	for _, bad := range []string{"{", `{"id":"x"}`, `[{"at":"yesterday"}]`} {
		if _, err := Decode(bad); err == nil || !strings.Contains(err.Error(), Annotation) {
			t.Errorf("Decode(%q): %v, want an error naming the annotation", bad, err)
		}
		if _, err := With(map[string]string{Annotation: bad}, rec("x")); err == nil {
			t.Errorf("With over %q: no error (a record would be lost)", bad)
		}
		if _, err := Without(map[string]string{Annotation: bad}, "x"); err == nil {
			t.Errorf("Without over %q: no error", bad)
		}
	}
}

func TestRecordExpiryAndRef(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	r := rec("a")
	if r.Expired(now) {
		t.Fatal("a record without a duration expired")
	}
	r.Expires = now.Add(time.Minute)
	if r.Expired(now) || !r.Expired(now.Add(2*time.Minute)) {
		t.Fatal("expiry")
	}
	if s := (Ref{Resource: "virtualservices", Namespace: "shop", Name: "web"}).String(); s != "virtualservices/shop/web" {
		t.Fatal(s)
	}
	if s := (Ref{Resource: "nodes", Name: "n1"}).String(); s != "nodes/n1" {
		t.Fatal(s)
	}
}

// TestStateFile: the local copy is on disk after each Put (what a crash right after would leave),
// replaced by ID, removed with the last Drop; every session's file is read back; a damaged file is an
// error naming it, never an empty list; a nil State (no state dir) does nothing.
func TestStateFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "revert")
	s, err := OpenState(dir, "s1")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b", "a"} {
		if err := s.Put(rec(id)); err != nil {
			t.Fatal(err)
		}
	}
	if fi, err := os.Stat(s.Path()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file %s: %v %v", s.Path(), fi, err)
	}
	other, _ := OpenState(dir, "s2")
	if err := other.Put(rec("c")); err != nil {
		t.Fatal(err)
	}
	all, err := ReadStates(dir)
	if err != nil || len(all) != 3 {
		t.Fatalf("ReadStates: %+v, %v; want a, b, c", all, err)
	}
	states, err := States(dir)
	if err != nil || len(states) != 2 {
		t.Fatalf("States: %d, %v", len(states), err)
	}
	n := 0
	for _, st := range states {
		n += len(st.Records())
	}
	if n != 3 {
		t.Fatalf("States hold %d records, want 3", n)
	}
	if err := s.Drop("a"); err != nil || len(s.Records()) != 1 {
		t.Fatalf("Drop a: %v, %+v", err, s.Records())
	}
	if err := s.Drop("b"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Path()); !os.IsNotExist(err) {
		t.Fatalf("the file outlived its last record: %v", err)
	}
	if err := s.Drop("b"); err != nil {
		t.Fatalf("dropping again: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "broken.json"), []byte("[{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadStates(dir); err == nil || !strings.Contains(err.Error(), "broken.json") {
		t.Fatalf("a damaged file: %v", err)
	}
	if _, err := States(dir); err == nil || !strings.Contains(err.Error(), "broken.json") {
		t.Fatalf("a damaged file: %v", err)
	}
	var none *State
	if none.Put(rec("x")) != nil || none.Drop("x") != nil || none.Path() != "" {
		t.Fatal("a nil State did something")
	}
	if _, err := OpenState(filepath.Join(dir, "broken.json", "x"), "s"); err == nil {
		t.Fatal("a state dir under a file: no error")
	}
}

// TestHeartbeatAndLiveness: a session's Lease is created, renewed and deleted on Stop; a record is
// alive while its Lease is renewed within its duration, dead once it is stale or gone or when it has
// none; the asking session's own records are alive; one Lease is asked once.
func TestHeartbeatAndLiveness(t *testing.T) {
	ctx := context.Background()
	cs := fake.NewClientset()
	h, err := StartHeartbeat(ctx, cs, "gameday", "s1", "me@host", HeartbeatOptions{Every: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if h.Ref() != "gameday/"+LeaseName("s1") {
		t.Fatal(h.Ref())
	}
	first, err := cs.CoordinationV1().Leases("gameday").Get(ctx, LeaseName("s1"), metav1.GetOptions{})
	if err != nil || *first.Spec.HolderIdentity != "me@host" || first.Labels["app.kubernetes.io/managed-by"] != "gameday" {
		t.Fatalf("lease: %+v, %v", first, err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		l, _ := cs.CoordinationV1().Leases("gameday").Get(ctx, LeaseName("s1"), metav1.GetOptions{})
		if l.Spec.RenewTime.After(first.Spec.RenewTime.Time) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never renewed (last error %v)", h.Err())
		}
	}
	if h.Err() != nil {
		t.Fatal(h.Err())
	}
	if _, err := StartHeartbeat(ctx, cs, "gameday", "s1", "twin", HeartbeatOptions{}); err == nil {
		t.Fatal("a second heartbeat of the same session: no error")
	}
	if err := h.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoordinationV1().Leases("gameday").Get(ctx, LeaseName("s1"), metav1.GetOptions{}); err == nil {
		t.Fatal("the lease outlived Stop")
	}
	var nilHB *Heartbeat
	if nilHB.Ref() != "" || nilHB.Stop(ctx) != nil {
		t.Fatal("a nil heartbeat")
	}

	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	secs := int32(30)
	lease := func(name string, renewed time.Time) {
		rt := metav1.NewMicroTime(renewed)
		if _, err := cs.CoordinationV1().Leases("gameday").Create(ctx, &coordv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "gameday"},
			Spec: coordv1.LeaseSpec{RenewTime: &rt, LeaseDurationSeconds: &secs}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	lease("fresh", now.Add(-10*time.Second))
	lease("stale", now.Add(-time.Minute))
	l := &Liveness{Client: cs, Now: func() time.Time { return now }, Self: "me"}
	for _, c := range []struct {
		r     Record
		alive bool
	}{
		{Record{Session: "x", Lease: "gameday/fresh"}, true},
		{Record{Session: "x", Lease: "gameday/stale"}, false},
		{Record{Session: "x", Lease: "gameday/gone"}, false},
		{Record{Session: "x"}, false},
		{Record{Session: "x", Lease: "no-slash"}, false},
		{Record{Session: "me"}, true},
	} {
		alive, err := l.Alive(ctx, c.r)
		if err != nil || alive != c.alive {
			t.Errorf("%+v: alive %v, %v; want %v", c.r, alive, err, c.alive)
		}
	}
	if _, deadAt, _ := l.Until(ctx, Record{Session: "x", Lease: "gameday/fresh"}); !deadAt.Equal(now.Add(20 * time.Second)) {
		t.Errorf("fresh lease dead at %s, want its renewal + 30 s", deadAt)
	}
	// Asked once: the answer stands even after the Lease goes.
	_ = cs.CoordinationV1().Leases("gameday").Delete(ctx, "fresh", metav1.DeleteOptions{})
	if alive, _ := l.Alive(ctx, Record{Session: "x", Lease: "gameday/fresh"}); !alive {
		t.Error("the Lease was asked again")
	}
}
