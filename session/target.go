package session

import (
	"context"

	"github.com/gamedaylab/gameday/sources/kube"
)

// startKube (re)starts the cluster source on ns.
func (s *Session) startKube(ns string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil || s.watch == nil || s.closed {
		return
	}
	if s.stopKube != nil {
		s.stopKube()
	}
	var kctx context.Context
	kctx, s.stopKube = context.WithCancel(s.ctx)
	src := kube.New(s.watch, s.send, kube.Options{Namespace: ns, Now: s.watchNow, OnSynced: s.onSynced, Dynamic: s.dyn,
		AutoscalerNamespace: s.opts.Config.Autoscaler.Namespace})
	s.group.Go(kctx, "cluster", src.Run)
}

// SetNamespace moves the session to another namespace: the cluster source restarts there and the
// metrics queries follow.
func (s *Session) SetNamespace(ns string) {
	s.point(func() { s.namespace = ns })
	go s.startKube(ns)
}

// SetTarget points actions, metrics and traces at another Deployment ("" for none).
func (s *Session) SetTarget(name string) {
	s.point(func() { s.target = name })
	if s.Traces != nil {
		q := s.Traces.Query()
		q.Service = name
		s.Traces.SetQuery(q)
	}
}

// point changes where the session points and tells the metrics backend.
func (s *Session) point(change func()) {
	s.mu.Lock()
	change()
	ns, target := s.namespace, s.target
	s.mu.Unlock()
	if s.onTarget != nil {
		s.onTarget(ns, target)
	}
	s.Bus.Publish(KindWhere, Where{Namespace: ns, Target: target})
}
