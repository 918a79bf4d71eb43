package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// The session lesson: a login sets a cookie whose session lives in this process's memory (the
// default: stateful, lost when the pod goes or another replica answers) or in Redis (shared: any
// replica, and a restarted one, finds it).

const sessionCookie = "demoapp_session"

// sessionTTL bounds a session's life in either store.
const sessionTTL = 30 * time.Minute

// session is what a login keeps: who, and how many requests it made.
type session struct {
	User     string    `json:"user"`
	Created  time.Time `json:"created"`
	Requests int       `json:"requests"`
	Pod      string    `json:"pod"` // the pod that logged it in
}

// store keeps sessions by id.
type store interface {
	get(ctx context.Context, id string) (session, bool, error)
	put(ctx context.Context, id string, s session) error
	name() string
}

type memoryStore struct {
	mu sync.Mutex
	m  map[string]session
}

func (m *memoryStore) name() string { return "memory" }

func (m *memoryStore) get(_ context.Context, id string) (session, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.m[id]
	if ok && time.Since(s.Created) > sessionTTL {
		delete(m.m, id)
		return session{}, false, nil
	}
	return s, ok, nil
}

func (m *memoryStore) put(_ context.Context, id string, s session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m[id] = s
	return nil
}

type redisStore struct {
	c    *redis.Client
	addr string
}

func (r *redisStore) name() string { return "redis " + r.addr }

func (r *redisStore) get(ctx context.Context, id string) (session, bool, error) {
	b, err := r.c.Get(ctx, "demoapp:session:"+id).Bytes()
	if errors.Is(err, redis.Nil) {
		return session{}, false, nil
	}
	if err != nil {
		return session{}, false, fmt.Errorf("redis get: %w", err)
	}
	var s session
	if err := json.Unmarshal(b, &s); err != nil {
		return session{}, false, fmt.Errorf("redis session %s: %w", id, err)
	}
	return s, true, nil
}

func (r *redisStore) put(ctx context.Context, id string, s session) error {
	b, _ := json.Marshal(s)
	if err := r.c.Set(ctx, "demoapp:session:"+id, b, sessionTTL).Err(); err != nil {
		return fmt.Errorf("redis set: %w", err)
	}
	return nil
}

// newStore is the session store the flags name.
func newStore(kind, addr string) (store, error) {
	switch kind {
	case "", "memory":
		return &memoryStore{m: map[string]session{}}, nil
	case "redis":
		if addr == "" {
			return nil, fmt.Errorf("--sessions redis needs --redis HOST:PORT")
		}
		return &redisStore{c: redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 2 * time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second}), addr: addr}, nil
	}
	return nil, fmt.Errorf("--sessions %q: want memory or redis", kind)
}

// sessionMetrics count logins and the requests whose session this replica did not know: each is a
// user logged out by the app's architecture.
type sessionMetrics struct {
	logins, misses prometheus.Counter
}

func newSessionMetrics(reg *prometheus.Registry) sessionMetrics {
	m := sessionMetrics{
		logins: prometheus.NewCounter(prometheus.CounterOpts{Name: "demoapp_session_logins_total", Help: "Logins (sessions created)."}),
		misses: prometheus.NewCounter(prometheus.CounterOpts{Name: "demoapp_session_misses_total",
			Help: "Requests with a session cookie this replica does not know: sessions lost (to a restart, or to another replica's memory)."}),
	}
	reg.MustRegister(m.logins, m.misses)
	return m
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// login creates a session and sets its cookie: POST /login?user=NAME.
func (a *app) login(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST /login?user=NAME", http.StatusMethodNotAllowed)
		return
	}
	user := r.URL.Query().Get("user")
	if user == "" {
		user = "user-" + newID()[:6]
	}
	id := newID()
	s := session{User: user, Created: time.Now(), Pod: a.pod}
	if err := a.sessions.put(r.Context(), id, s); err != nil {
		a.log.Error("login failed", "error", err.Error())
		http.Error(w, "session store: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	a.sessionMetrics.logins.Inc()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"user": user, "store": a.sessions.name()})
}

// cart is a request that needs the session: 401 "session lost" when this replica does not know it.
func (a *app) cart(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		http.Error(w, "not logged in: POST /login first", http.StatusUnauthorized)
		return
	}
	s, ok, err := a.sessions.get(r.Context(), c.Value)
	if err != nil {
		a.log.Error("session read failed", "error", err.Error())
		http.Error(w, "session store: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	if !ok {
		a.sessionMetrics.misses.Inc()
		a.log.Warn("session lost", "store", a.sessions.name())
		http.Error(w, "session lost: this replica does not know it", http.StatusUnauthorized)
		return
	}
	s.Requests++
	if err := a.sessions.put(r.Context(), c.Value, s); err != nil {
		http.Error(w, "session store: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"user": s.User, "requests": s.Requests, "loggedInOn": s.Pod, "servedBy": a.pod, "session": "ok"})
}
