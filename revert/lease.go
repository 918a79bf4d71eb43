package revert

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Heartbeat is a session's Lease: created when the session starts, renewed while it lives, deleted
// when it ends cleanly. Records name it; a record whose Lease is gone or stale is a leftover.
type Heartbeat struct {
	client   kubernetes.Interface
	ns, name string
	holder   string
	every    time.Duration
	duration time.Duration
	now      func() time.Time

	mu      sync.Mutex
	lastErr error
	stop    context.CancelFunc
	done    chan struct{}
}

// HeartbeatOptions tune the lease; zero values take the defaults (renew every 10 s, stale after 30 s).
type HeartbeatOptions struct {
	Every    time.Duration
	Duration time.Duration
	Now      func() time.Time
}

// LeaseName is the Lease of session id.
func LeaseName(session string) string { return "gameday-session-" + session }

// StartHeartbeat creates the session's Lease in ns and renews it until Stop. A Lease that cannot be
// created is an error: the caller decides whether changes may be made without one.
func StartHeartbeat(ctx context.Context, client kubernetes.Interface, ns, session, holder string, o HeartbeatOptions) (*Heartbeat, error) {
	h := &Heartbeat{client: client, ns: ns, name: LeaseName(session), holder: holder, every: o.Every, duration: o.Duration, now: o.Now, done: make(chan struct{})}
	if h.every <= 0 {
		h.every = 10 * time.Second
	}
	if h.duration <= 0 {
		h.duration = 3 * h.every
	}
	if h.now == nil {
		h.now = time.Now
	}
	secs := int32(h.duration / time.Second)
	now := metav1.NewMicroTime(h.now())
	l := &coordv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: h.name, Namespace: ns, Labels: map[string]string{"app.kubernetes.io/managed-by": "gameday"}},
		Spec:       coordv1.LeaseSpec{HolderIdentity: &h.holder, LeaseDurationSeconds: &secs, AcquireTime: &now, RenewTime: &now},
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := client.CoordinationV1().Leases(ns).Create(cctx, l, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("session heartbeat lease %s/%s: %w", ns, h.name, err)
	}
	rctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	h.stop = stop
	go h.run(rctx)
	return h, nil
}

// Ref is namespace/name of the Lease, as records carry it.
func (h *Heartbeat) Ref() string {
	if h == nil {
		return ""
	}
	return h.ns + "/" + h.name
}

// Err is the last renewal's error (nil while renewals succeed).
func (h *Heartbeat) Err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lastErr
}

func (h *Heartbeat) run(ctx context.Context) {
	defer close(h.done)
	t := time.NewTicker(h.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			err := h.renew(ctx)
			h.mu.Lock()
			h.lastErr = err
			h.mu.Unlock()
		}
	}
}

func (h *Heartbeat) renew(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, h.every)
	defer cancel()
	now := metav1.NewMicroTime(h.now())
	patch := fmt.Appendf(nil, `{"spec":{"renewTime":%q}}`, now.UTC().Format(metav1.RFC3339Micro))
	_, err := h.client.CoordinationV1().Leases(h.ns).Patch(ctx, h.name, "application/merge-patch+json", patch, metav1.PatchOptions{})
	return err
}

// Stop ends the renewals and deletes the Lease: the session ended and left nothing behind (its
// reverts ran first).
func (h *Heartbeat) Stop(ctx context.Context) error {
	if h == nil {
		return nil
	}
	h.stop()
	<-h.done
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := h.client.CoordinationV1().Leases(h.ns).Delete(ctx, h.name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete session lease %s/%s: %w", h.ns, h.name, err)
	}
	return nil
}

// Liveness answers whether the sessions that wrote records are still alive, asking each Lease once.
type Liveness struct {
	Client kubernetes.Interface
	Now    func() time.Time
	// Self is the asking session's id: its own records are never leftovers.
	Self string
	// cache holds, per Lease, when its session counts as dead (zero: it does already).
	cache map[string]time.Time
}

// Alive reports whether r's session still renews its Lease. A record without a Lease, or whose Lease
// is gone or stale, belongs to a dead session.
func (l *Liveness) Alive(ctx context.Context, r Record) (bool, error) {
	alive, _, err := l.Until(ctx, r)
	return alive, err
}

// Until is Alive, and for a session that still looks alive, when it will count as dead if it does
// not renew again (its last renewal plus the Lease's duration): a session killed a moment ago looks
// alive until then.
func (l *Liveness) Until(ctx context.Context, r Record) (alive bool, deadAt time.Time, err error) {
	if r.Session != "" && r.Session == l.Self {
		return true, time.Time{}, nil
	}
	if r.Lease == "" {
		return false, time.Time{}, nil
	}
	if v, ok := l.cache[r.Lease]; ok {
		return !v.IsZero(), v, nil
	}
	ns, name, ok := strings.Cut(r.Lease, "/")
	if !ok {
		return false, time.Time{}, nil
	}
	lease, err := l.Client.CoordinationV1().Leases(ns).Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return false, time.Time{}, fmt.Errorf("session lease %s: %w", r.Lease, err)
	default:
		if end, ok := expiry(lease); ok && l.now().Before(end) {
			deadAt = end
		}
	}
	if l.cache == nil {
		l.cache = map[string]time.Time{}
	}
	l.cache[r.Lease] = deadAt
	return !deadAt.IsZero(), deadAt, nil
}

func (l *Liveness) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// expiry is when a Lease goes stale: its last renewal plus its duration.
func expiry(l *coordv1.Lease) (time.Time, bool) {
	if l.Spec.RenewTime == nil || l.Spec.LeaseDurationSeconds == nil {
		return time.Time{}, false
	}
	return l.Spec.RenewTime.Add(time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second), true
}
