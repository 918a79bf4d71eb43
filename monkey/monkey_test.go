package monkey

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/model"
)

func TestParseWindow(t *testing.T) {
	w, err := ParseWindow("Mon-Fri 09:00-17:00 Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	for at, want := range map[string]bool{
		"2026-12-02 10:00": true,  // Wednesday
		"2026-12-02 08:59": false, // before
		"2026-12-02 17:00": false, // the end is not in it
		"2026-12-05 10:00": false, // Saturday
	} {
		tm, _ := time.ParseInLocation("2006-01-02 15:04", at, berlin)
		if got := w.Contains(tm.UTC()); got != want {
			t.Errorf("%s Berlin: %v, want %v", at, got, want)
		}
	}
	if w, err := ParseWindow("Fri-Mon 22:00-23:00"); err != nil || !w.Days[5] || !w.Days[0] || !w.Days[1] || w.Days[3] {
		t.Fatalf("a range across the week's end: %+v, %v", w.Days, err)
	}
	for s, want := range map[string]string{
		"Mon-Fri":                "want hours",
		"Mon-Funday 09:00-17:00": "days are Mon..Sun",
		"17:00-09:00":            "the end after the start",
		"09:00-17:00 Mars/Base":  "unknown time zone",
	} {
		if _, err := ParseWindow(s); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", s, err, want)
		}
	}
}

func TestParseKill(t *testing.T) {
	for s, n := range map[string]int{"1": 1, "3": 3, "50%": 5, "10%": 1, "100%": 10} {
		c, err := parseKill(s)
		if err != nil || c.of(10, nil) != n {
			t.Errorf("%q of 10: %d, %v, want %d", s, c.of(10, nil), err, n)
		}
	}
	for _, s := range []string{"0", "most", "upto 3", "150%"} {
		if _, err := parseKill(s); err == nil || !strings.Contains(err.Error(), "monkey.kill") {
			t.Errorf("%q: %v", s, err)
		}
	}
}

// fakeSession answers the monkey's calls without a cluster: a unit test of the schedule, the cap,
// the window and skip (the monkey on a real control plane is session's TestMonkeyOnTheTestbed).
type fakeSession struct {
	mu    sync.Mutex
	now   time.Time
	c     *model.Cluster
	kills []string
}

func (f *fakeSession) View(fn func(actions.World)) {
	fn(actions.World{Namespace: "shop", Cluster: f.c})
}
func (f *fakeSession) Prepare(spec actions.Spec, args string) (actions.Step, error) {
	return actions.Step{Action: spec.Name, Summary: args}, nil
}
func (f *fakeSession) Do(_ context.Context, st actions.Step) (actions.Result, error) {
	f.mu.Lock()
	f.kills = append(f.kills, st.Summary)
	f.mu.Unlock()
	return actions.Result{Entry: actions.Entry{Result: actions.ResultOK}}, nil
}
func (f *fakeSession) Now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }
func (f *fakeSession) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}
func (f *fakeSession) count() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.kills) }

func world() *model.Cluster {
	c := model.NewCluster()
	c.Deployments["shop/web"] = &model.Deployment{Namespace: "shop", Name: "web", Selector: map[string]string{"app": "web"}}
	c.Deployments["shop/other"] = &model.Deployment{Namespace: "shop", Name: "other", Selector: map[string]string{"app": "other"}}
	return c
}

func TestCapWindowAndSkip(t *testing.T) {
	// A Wednesday at 12:00 UTC; the window is 09:00-13:00 UTC.
	f := &fakeSession{now: time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC), c: world()}
	m, err := New(f, Options{Targets: []string{"deploy/web"}, MTBF: time.Second, MaxPerHour: 3, Window: "09:00-13:00", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(0); err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	step := func(n int) {
		for range n {
			f.advance(time.Second)
			time.Sleep(120 * time.Millisecond)
		}
	}
	step(30)
	if n := f.count(); n != 3 {
		t.Fatalf("%d kills in 30 s at a cap of 3 an hour", n)
	}
	for _, k := range f.kills {
		if !strings.HasPrefix(k, "shop/web ") {
			t.Fatalf("killed %q: only deploy/web is named", k)
		}
	}
	st := m.Status()
	if st.Next != "shop/web" || !strings.Contains(st.LastNote, "cap of 3") {
		t.Fatalf("status %+v", st)
	}
	// An hour later, outside the window: nothing, and it says why.
	f.advance(time.Hour)
	step(20)
	if n := f.count(); n != 3 || !strings.Contains(m.Status().LastNote, "outside the window") {
		t.Fatalf("%d kills outside the window; note %q", n, m.Status().LastNote)
	}
	if _, err := m.Skip(); err != nil {
		t.Fatal(err)
	}
	if !m.Stop() || m.Running() {
		t.Fatal("Stop")
	}
}
