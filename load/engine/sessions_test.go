package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/testbed"
)

// TestSessionsSurviveACrashOnlyInRedis (issue 17): virtual users log in to the real demo app and
// shop with their session cookies while the app is killed (SIGKILL) and replaced. With sessions in
// the process's memory every user's session is lost and counted (and the users log in again); with
// sessions in a real Redis none is: the same kill, the stateless design.
func TestSessionsSurviveACrashOnlyInRedis(t *testing.T) {
	redis := testbed.StartRedis(t)
	for _, tc := range []struct {
		store string
		args  []string
	}{
		{"memory", []string{"--sessions", "memory"}},
		{"redis", []string{"--sessions", "redis", "--redis", redis.URL}},
	} {
		t.Run(tc.store, func(t *testing.T) {
			app := testbed.StartDemoapp(t, "shop", append(tc.args, "--work-ms", "0")...)
			base := "http://" + app.Addr
			const users = 20
			e, err := New(Options{Targets: []Target{{Name: "cart", URL: base + "/api/cart",
				Session: &Session{Login: base + "/login", Users: users}}}, Timeout: 2 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Start(load.Profile{Kind: load.Constant, Rate: 100, Duration: 6 * time.Second}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Second)
			if st := e.Status(); st.Sessions == nil || st.Sessions.LoggedIn != users || st.Sessions.Lost != 0 {
				t.Fatalf("before the crash: %+v", st.Sessions)
			}
			app.Crash(t)
			res, err := e.Wait(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			s := res.Sessions
			t.Logf("%s: %+v, checks %v, errors %v", tc.store, *s, res.Checks, res.Errors)
			switch tc.store {
			case "memory":
				if s.Lost != users || res.Checks["session lost"] < users || s.Logins != 2*users || s.LoggedIn != users {
					t.Fatalf("in memory, the crash must lose all %d sessions once and the users log in again: %+v, checks %v", users, *s, res.Checks)
				}
			case "redis":
				if s.Lost != 0 || res.Checks["session lost"] != 0 || s.Logins != users {
					t.Fatalf("in Redis, no session may be lost: %+v, checks %v", *s, res.Checks)
				}
			}
			if res.Success < 300 {
				t.Fatalf("only %d requests passed: %s", res.Success, fmt.Sprint(res.Errors))
			}
		})
	}
}
