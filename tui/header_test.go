package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/load"
)

// headerLine2 is the header's second line as shown.
func headerLine2(m *Model) string { return strings.Split(screen(m), "\n")[1] }

// TestHeaderRanksWhatMatters (issue 13 item 10): during a burst, at 80 and 120 columns, the action's
// result and the FAULTS badge fit, and the load badge says what its numbers are. Before, the latency
// figures pushed both off the line.
func TestHeaderRanksWhatMatters(t *testing.T) {
	t.Parallel()
	for _, w := range []int{80, 120} {
		m, _ := newDemoModel(t, w, 30)
		command(t, m, "cordon node-a-1")
		typeKeys(t, m, "y")
		typeKeys(t, m, "b")
		m.Update(load.Status{Active: true, Profile: load.Profile{Name: "burst", Duration: time.Minute}, Requested: 200, Achieved: 198,
			Success: 1, Sent: 4000, Completed: 3990, InFlight: 10, Elapsed: 20 * time.Second, P50: 16 * time.Millisecond,
			P90: 40 * time.Millisecond, P99: 80 * time.Millisecond, Max: 120 * time.Millisecond, Diagnostics: []string{"late sends: 3% of requests left >1ms after their time"}})
		line := headerLine2(m)
		for _, want := range []string{"LOAD", "198/s", "FAULTS 1", "load-start ok"} {
			if !strings.Contains(line, want) {
				t.Errorf("%d columns: header line %q lacks %q", w, line, want)
			}
		}
		if w == 120 && !strings.Contains(line, "asked 200/s sent 198/s") {
			t.Errorf("120 columns: the load badge does not say asked and sent: %q", line)
		}
	}
}

// TestHeaderWaitsForAnswers (issue 13 item 21): before any request completed, success is "ok -" and the
// header says what it waits for, not "ok 0.00%".
func TestHeaderWaitsForAnswers(t *testing.T) {
	t.Parallel()
	m, _ := newDemoModel(t, 200, 40)
	m.Update(load.Status{Active: true, Profile: load.Profile{Name: "burst", Duration: time.Minute}, Requested: 10, Achieved: 10,
		Sent: 10, InFlight: 10, Elapsed: 2 * time.Second, Timeout: 10 * time.Second})
	line := headerLine2(m)
	if !strings.Contains(line, "ok -") || !strings.Contains(line, "waiting for 10 in-flight requests (timeout 10s)") || strings.Contains(line, "0.0%") {
		t.Fatalf("header %q", line)
	}
}

// TestFooterAlwaysStartsWithHaltAndHelp (issue 13 item 11): in every pane, zoomed or not, at 80 and
// 200 columns, the footer's first words are HALT and help.
func TestFooterAlwaysStartsWithHaltAndHelp(t *testing.T) {
	t.Parallel()
	for _, size := range [][2]int{{80, 24}, {200, 60}} {
		m, _ := newDemoModel(t, size[0], size[1])
		for p := 0; p < 5; p++ {
			for _, zoom := range []bool{false, true} {
				if zoom {
					typeKeys(t, m, "z")
				}
				lines := strings.Split(screen(m), "\n")
				if last := strings.TrimSpace(lines[len(lines)-1]); !strings.HasPrefix(last, "x HALT · ? help") {
					t.Errorf("%dx%d pane %d zoom %v: footer %q", size[0], size[1], m.Focused(), zoom, last)
				}
				if zoom {
					typeKeys(t, m, "z")
				}
			}
			typeKeys(t, m, "tab")
		}
	}
}

// TestRecoveryCounter (issue 13 item 9): a kill starts "recovering 00:00" in the header; its recovery
// replaces it with the result, held for wall time.
func TestRecoveryCounter(t *testing.T) {
	t.Parallel()
	m, _ := newDemoModel(t, 200, 40)
	typeKeys(t, m, "ctrl+k", "y")
	if line := headerLine2(m); !strings.Contains(line, "recovering 00:00") {
		t.Fatalf("after the kill: %q", line)
	}
	kill := m.recovering[0]
	m.Update(actions.Result{Entry: actions.Entry{Time: kill.Time.Add(6 * time.Second), Action: "recovery", Targets: kill.Targets,
		Result: actions.ResultOK, Recovery: "6.1s", Detail: "recovered in 6.1s: ..."}})
	if line := headerLine2(m); !strings.Contains(line, "recovered in 6.1s") || strings.Contains(line, "recovering") {
		t.Fatalf("after the recovery: %q", line)
	}
}

// TestHaltDoesNotHideARecovery: HALT reverts faults but the killed pods' recovery is still measured
// by the session, so the header keeps counting until its result arrives.
func TestHaltDoesNotHideARecovery(t *testing.T) {
	t.Parallel()
	m, _ := newDemoModel(t, 200, 40)
	typeKeys(t, m, "ctrl+k", "y", "x")
	if line := headerLine2(m); !strings.Contains(line, "recovering 00:") {
		t.Fatalf("after the kill and HALT: %q", line)
	}
}

// TestHeaderCountsFailedChecks: answers that came back but failed a load target's check are shown
// as such beside the success ratio, at 80 columns too.
func TestHeaderCountsFailedChecks(t *testing.T) {
	t.Parallel()
	for _, w := range []int{80, 200} {
		m, _ := newDemoModel(t, w, 30)
		m.Update(load.Status{Active: true, Profile: load.Profile{Name: "burst", Duration: time.Minute}, Requested: 100, Achieved: 100,
			Sent: 1000, Completed: 1000, Errors: 300, CheckFailures: 300, Success: 0.7, Elapsed: 10 * time.Second})
		if line := headerLine2(m); !strings.Contains(line, "ok 70.0% checks ✗300") {
			t.Errorf("%d columns: header %q", w, line)
		}
	}
}

// TestHeaderCountsLostSessions (issue 17): a load of virtual users says how many hold a session and
// how many sessions the app lost, in the error colour once one is.
func TestHeaderCountsLostSessions(t *testing.T) {
	t.Parallel()
	m, _ := newDemoModel(t, 200, 40)
	st := load.Status{Active: true, Profile: load.Profile{Name: "burst"}, Requested: 100, Achieved: 100, Success: 0.99, Sent: 1000, Completed: 1000,
		Sessions: &load.Sessions{Users: 50, LoggedIn: 50, Logins: 50}}
	m.Update(st)
	if line := headerLine2(m); !strings.Contains(line, "sessions 50/50 lost 0") {
		t.Fatalf("header %q", line)
	}
	st.Sessions = &load.Sessions{Users: 50, LoggedIn: 50, Logins: 69, Lost: 19}
	m.Update(st)
	if line := headerLine2(m); !strings.Contains(line, "sessions 50/50 lost 19") {
		t.Fatalf("header %q", line)
	}
	narrow, _ := newDemoModel(t, 80, 24) // a narrow header drops the details, never the loss
	narrow.Update(st)
	if line := headerLine2(narrow); !strings.Contains(line, "sessions lost 19") {
		t.Fatalf("80 columns: header %q", line)
	}
}

// TestRecoveringFollowsWhatTheSessionTimes (issue 29): a kill the session does not time (a pod with
// no target: no Deployment to recover) no longer counts "recovering" forever; a monkey's kill, which
// the session times, counts too.
func TestRecoveringFollowsWhatTheSessionTimes(t *testing.T) {
	t.Parallel()
	m, _ := newDemoModel(t, 200, 40)
	now := m.ctx.Now()
	m.Update(actions.Result{Entry: actions.Entry{Time: now, Action: "kill", Targets: []string{"pod/x"}, Result: actions.ResultOK}})
	if line := headerLine2(m); strings.Contains(line, "recovering") {
		t.Fatalf("a kill the session does not time: %q", line)
	}
	m.Update(actions.Result{Entry: actions.Entry{Time: now, Action: "monkey-kill", Actor: actions.ActorMonkey, Targets: []string{"pod/web-1"}, Result: actions.ResultOK}, Timed: true})
	if line := headerLine2(m); !strings.Contains(line, "recovering 00:0") {
		t.Fatalf("a monkey kill the session times: %q", line)
	}
}
