package session

import (
	"fmt"
	"strings"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/load"
)

// World is the session's view for planning: call it with the store locked.
func (s *Session) world() actions.World {
	c := s.opts.Config
	return actions.World{Namespace: s.namespace, Target: s.target, Cluster: s.store, Load: s.load,
		Burst:    load.Profile{Name: "burst", Kind: load.Constant, Rate: c.Load.Burst.Rate, To: c.Load.Burst.Rate, Duration: c.Load.Burst.Duration.Duration},
		RateStep: c.Load.RateStep, MaxRate: c.Load.MaxRate, Monkey: s.monkeyText(), MonkeyOn: s.Monkey.Running()}
}

// monkeyText is the monkey's scope and pace, for the confirmation of M.
func (s *Session) monkeyText() string {
	m := s.monkeyCfg
	scope := "pods labelled " + m.Selector
	if m.Selector == "" {
		scope = "no label"
	}
	if len(m.Targets) > 0 {
		scope += "; named: " + strings.Join(m.Targets, ", ")
	}
	nss := strings.Join(m.Namespaces, ", ")
	if nss == "" {
		nss = s.namespace
	}
	txt := fmt.Sprintf("Scope: %s, in %s.\nPace: kill %s at random, on average every %s per Deployment", scope, nss, m.Kill, actions.ShortDuration(m.MTBF.Duration))
	if m.MinAge.Duration > 0 {
		txt += fmt.Sprintf(", pods older than %s", actions.ShortDuration(m.MinAge.Duration))
	}
	if m.MaxPerHour > 0 {
		txt += fmt.Sprintf(", at most %d an hour", m.MaxPerHour)
	}
	if m.Window != "" {
		txt += ", only " + m.Window
	}
	return txt + ".\nKills are evictions: disruption budgets and the ready minimum hold. HALT (x) stops it."
}

// View calls f with the session's planning view, locked; f must not keep it (a prompt's question and
// its checks read it).
func (s *Session) View(f func(w actions.World)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.world())
}
