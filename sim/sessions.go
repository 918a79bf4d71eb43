package sim

import "github.com/gamedaylab/gameday/load"

// The session lesson in the simulation: the load generator is simVirtualUsers users, each logged in
// once. With sessions in memory (the default) a user's session lives in the web pod that logged it
// in (the ingress keeps the user there); when that pod goes, killed or scaled away, the session is
// lost, counted, and the user logs in again on another pod. With sessions in Redis nothing is lost.

// simVirtualUsers is how many users the simulated load generator is.
const simVirtualUsers = 50

// SessionsMemory and SessionsRedis are where the simulated app keeps sessions (config demo.sessions).
const (
	SessionsMemory = "memory"
	SessionsRedis  = "redis"
)

// vusers are the load's virtual users: the web pod each one's session lives on (memory only).
type vusers struct {
	on     []string
	logins int64
	lost   int64
}

// loginAll logs every user in at the start of a run.
func (s *Sim) loginAll() {
	s.load.users = vusers{on: make([]string, simVirtualUsers)}
	for i := range s.load.users.on {
		s.login(i)
	}
}

// login logs user i in on a ready web pod (nowhere when none is ready: the next pod loss skips it).
func (s *Sim) login(i int) {
	u := &s.load.users
	u.logins++
	u.on[i] = ""
	if s.opts.Sessions == SessionsRedis {
		return
	}
	var ready []string
	now := s.Now()
	for _, p := range s.plans() {
		if p.workload == Target && p.servesTraffic(now) && p.name != s.load.leaving {
			ready = append(ready, p.name)
		}
	}
	if len(ready) > 0 {
		u.on[i] = ready[s.rng.Intn(len(ready))]
	}
}

// sessionsLost loses the sessions that lived on pod (memory only); their users log in again.
func (s *Sim) sessionsLost(pod string) {
	if !s.load.active || s.opts.Sessions == SessionsRedis {
		return
	}
	s.load.leaving = pod
	for i, on := range s.load.users.on {
		if on == pod {
			s.load.users.lost++
			s.load.errs++ // the request that found it gone failed (401)
			s.login(i)
		}
	}
	s.load.leaving = ""
}

func (g *loadGen) sessions() *load.Sessions {
	if g.users.on == nil {
		return nil
	}
	return &load.Sessions{Users: len(g.users.on), LoggedIn: len(g.users.on), Logins: g.users.logins, Lost: g.users.lost}
}
