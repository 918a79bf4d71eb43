package session

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"

	"k8s.io/client-go/kubernetes"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/revert"
	"github.com/gamedaylab/gameday/sources"
)

// ID names the session in its revert records and its heartbeat Lease.
func (s *Session) ID() string { return s.id }

func newSessionID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Records starts the revert records and heartbeat of a process that changes the cluster without a
// session (gameday load --workers): what it leaves carries its records, and a reaper tells them from
// a live process's by its Lease in ns. stop ends the heartbeat and deletes the Lease.
func Records(ctx context.Context, client kubernetes.Interface, ns, user string, safety config.Safety, revertDir string) (*actions.Records, func(), error) {
	id := newSessionID()
	state, err := revert.OpenState(cmp.Or(revertDir, config.DefaultRevertDir()), id)
	if err != nil {
		return nil, nil, err
	}
	holder := user
	if h, err := os.Hostname(); err == nil {
		holder += "@" + h
	}
	b, err := revert.StartHeartbeat(ctx, client, ns, id, fmt.Sprintf("%s pid %d", holder, os.Getpid()), revert.HeartbeatOptions{Every: safety.Heartbeat.Duration})
	if err != nil {
		return nil, nil, fmt.Errorf("%w: without a heartbeat, a reaper would take its Job for a leftover", err)
	}
	return &actions.Records{Session: id, State: state, Lease: b.Ref}, func() { _ = b.Stop(context.Background()) }, nil
}

// startHeartbeat creates the session's Lease in its namespace, so that its revert records can be told
// from a dead session's. Without one (no rights to Leases there), changes still carry records, and
// another session takes them for leftovers: the status line says so.
func (s *Session) startHeartbeat(ctx context.Context) {
	if s.Sim != nil || s.Env.Client == nil || s.opts.Guard.ReadOnly {
		return
	}
	ns := cmp.Or(s.Namespace(), "default")
	holder := s.Env.User
	if h, err := os.Hostname(); err == nil {
		holder += "@" + h
	}
	b, err := revert.StartHeartbeat(ctx, s.Env.Client, ns, s.id, fmt.Sprintf("%s pid %d", holder, os.Getpid()),
		revert.HeartbeatOptions{Every: s.opts.Config.Safety.Heartbeat.Duration})
	if err != nil {
		s.Publish(sources.ErrorMsg{Source: "session", Err: err.Error() + ": without it, another gameday takes this session's cordons and faults for leftovers"})
		return
	}
	s.mu.Lock()
	s.beat = b
	s.mu.Unlock()
}
