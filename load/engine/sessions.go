package engine

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// Session gives a target's requests a virtual user's session: each of Users virtual users logs in
// once (a POST to Login whose answer sets cookies, kept in that user's own jar) and sends its cookies
// on every request after. An answer with a Lost status says the session is gone (the replica that
// held it in memory was killed, or another replica answered): it counts as a failed check, "session
// lost", and that user logs in again. What a stateful app loses under kills is this count.
type Session struct {
	Login string `json:"login"`
	Users int    `json:"users,omitempty"` // default 50
	Lost  []int  `json:"lost,omitempty"`  // default 401
}

// vuser is one virtual user: its cookie jar, and whether it is logged in.
type vuser struct {
	mu     sync.Mutex             // held while logging in, so a user logs in once
	cookie atomic.Pointer[string] // the Cookie header its jar makes; nil before login
}

// sessions is a target's virtual users.
type sessions struct {
	users []*vuser
	next  atomic.Uint64
}

func newSessions(s *Session) *sessions {
	if s.Users <= 0 {
		s.Users = 50
	}
	if len(s.Lost) == 0 {
		s.Lost = []int{401}
	}
	ss := &sessions{users: make([]*vuser, s.Users)}
	for i := range ss.users {
		ss.users[i] = &vuser{}
	}
	return ss
}

// pick is the next virtual user, round robin.
func (s *sessions) pick() *vuser { return s.users[int(s.next.Add(1)-1)%len(s.users)] }

// loggedIn counts the users with a session.
func (s *sessions) loggedIn() int {
	n := 0
	for _, u := range s.users {
		if u.cookie.Load() != nil {
			n++
		}
	}
	return n
}

// cookie is u's Cookie header, logging in first when u has none.
func (r *run) cookie(t *Target, u *vuser) (*string, error) {
	if c := u.cookie.Load(); c != nil {
		return c, nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if c := u.cookie.Load(); c != nil {
		return c, nil
	}
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(t.Session.Login)
	req.Header.SetMethod(fasthttp.MethodPost)
	if err := r.client.DoDeadline(req, resp, time.Now().Add(r.e.opts.Timeout)); err != nil {
		return nil, fmt.Errorf("login: %s", errKind(err))
	}
	if c := resp.StatusCode(); c < 200 || c >= 300 {
		return nil, fmt.Errorf("login: status %d", c)
	}
	var jar []string
	resp.Header.VisitAllCookie(func(_, value []byte) {
		var c fasthttp.Cookie
		if c.ParseBytes(value) == nil {
			jar = append(jar, string(c.Key())+"="+string(c.Value()))
		}
	})
	if len(jar) == 0 {
		return nil, fmt.Errorf("login: no cookie set")
	}
	r.logins.Add(1)
	c := strings.Join(jar, "; ")
	u.cookie.Store(&c)
	return &c, nil
}

// lost says whether an answer to a request sent with cookie means the session is gone, and logs u
// out if so; a session is counted lost once, however many of its requests were in flight.
func (r *run) lost(t *Target, u *vuser, cookie *string, code int) bool {
	if u == nil || !slices.Contains(t.Session.Lost, code) {
		return false
	}
	if u.cookie.CompareAndSwap(cookie, nil) {
		r.sessionsLost.Add(1)
	}
	return true
}
