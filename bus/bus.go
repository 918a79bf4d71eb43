// Package bus fans events out to any number of subscribers: the cockpit, the session's own
// bookkeeping, a recorder, probes. Every event is an Envelope (sequence, time, kind, payload) whose
// payload is plain data that round-trips through JSON. Publishing never blocks: each subscriber has a
// bounded queue, and one that falls behind loses only what can be lost (see Options).
package bus

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"time"
)

// Envelope is one event.
type Envelope struct {
	Seq     uint64    `json:"seq"`
	Time    time.Time `json:"time"`
	Kind    string    `json:"kind"`
	Payload any       `json:"payload"`
}

// Policy says what a subscriber whose queue is full does with a new event of a kind.
type Policy int

const (
	// Replace drops the oldest queued event of the same kind and key (a newer one supersedes it: a
	// panel's metrics, a source's connection state, the load status) and queues the new one; with none
	// of that key queued the new one is queued past the bound, which the number of keys limits.
	Replace Policy = iota
	// Keep queues the event past the bound, up to four times it; beyond that it is dropped and
	// counted, unless the kind is Lossless (results of actions: rare, and never lost).
	Keep
	// Coalesce folds the event into the newest queued event of the kind with the kind's merge
	// function (cluster deltas): nothing is lost, the subscriber sees fewer, larger batches.
	Coalesce
)

// Kind describes one kind of event: how a full queue treats it and how its payload decodes.
type Kind struct {
	Name   string
	Policy Policy
	// Merge folds b into a (Coalesce); it must not change either.
	Merge func(a, b any) any
	// Key tells apart events of a Replace kind that do not supersede each other (a panel, a source).
	Key func(payload any) string
	// Lossless Keep events are never dropped.
	Lossless bool
	// Type is the payload's type: a value of it is published as this kind, a recording's payload is
	// decoded into one.
	Type reflect.Type
}

// New returns a pointer to a zero payload for decoding; the decoded payload is its element.
func (k Kind) New() any { return reflect.New(k.Type).Interface() }

// KindOf describes a kind whose payload is a T: the one declaration of its name, its payload's type
// (what a value is published as, what a recording decodes it to) and its policy.
func KindOf[T any](name string, p Policy) Kind {
	return Kind{Name: name, Policy: p, Type: reflect.TypeFor[T]()}
}

// Kinds is the set of kinds a bus carries.
type Kinds map[string]Kind

// Decode reads one envelope from JSON, typing its payload by kind.
func (ks Kinds) Decode(data []byte) (Envelope, error) {
	var raw struct {
		Seq     uint64          `json:"seq"`
		Time    time.Time       `json:"time"`
		Kind    string          `json:"kind"`
		Payload json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return Envelope{}, fmt.Errorf("envelope: %w", err)
	}
	k, ok := ks[raw.Kind]
	if !ok || k.Type == nil {
		return Envelope{}, fmt.Errorf("envelope %d: unknown kind %q", raw.Seq, raw.Kind)
	}
	p := k.New()
	if err := json.Unmarshal(raw.Payload, p); err != nil {
		return Envelope{}, fmt.Errorf("envelope %d (%s): %w", raw.Seq, raw.Kind, err)
	}
	return Envelope{Seq: raw.Seq, Time: raw.Time, Kind: raw.Kind, Payload: derefValue(p)}, nil
}

// Bus is the fan-out point. The zero value is not usable: call New.
type Bus struct {
	kinds  Kinds
	byType map[reflect.Type]string
	now    func() time.Time

	mu   sync.Mutex
	seq  uint64
	subs []*Sub
}

// New makes a bus for kinds; now stamps envelopes (the session's clock).
func New(kinds Kinds, now func() time.Time) *Bus {
	if now == nil {
		now = time.Now
	}
	byType := make(map[reflect.Type]string, len(kinds))
	for name, k := range kinds {
		if k.Type != nil {
			byType[k.Type] = name
		}
	}
	return &Bus{kinds: kinds, byType: byType, now: now}
}

// KindOf names the kind a value is published as: the one declared with its type; ok is false for a type no
// kind of this bus carries.
func (b *Bus) KindOf(msg any) (string, bool) {
	name, ok := b.byType[reflect.TypeOf(msg)]
	return name, ok
}

// Kinds is what the bus carries.
func (b *Bus) Kinds() Kinds { return b.kinds }

// Publish stamps payload and hands it to every subscriber. It never waits for one. An unknown kind
// is a programming error and panics, so a kind that could not be recorded never ships.
func (b *Bus) Publish(kind string, payload any) Envelope {
	k, ok := b.kinds[kind]
	if !ok {
		panic(fmt.Sprintf("bus: publish of unknown kind %q", kind))
	}
	b.mu.Lock()
	b.seq++
	e := Envelope{Seq: b.seq, Time: b.now(), Kind: kind, Payload: payload}
	subs := b.subs
	// Delivery happens under the bus lock so every subscriber sees events in one order.
	for _, s := range subs {
		s.push(e, k)
	}
	b.mu.Unlock()
	return e
}

// Subscribe adds a subscriber with a queue of size events (at least 1).
func (b *Bus) Subscribe(name string, size int) *Sub {
	s := &Sub{name: name, size: max(size, 1), ready: make(chan struct{}, 1), dropped: map[string]int{}, bus: b}
	b.mu.Lock()
	b.subs = append(b.subs, s)
	b.mu.Unlock()
	return s
}

func (b *Bus) remove(s *Sub) {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]*Sub, 0, len(b.subs))
	for _, x := range b.subs {
		if x != s {
			out = append(out, x)
		}
	}
	b.subs = out
}

// Sub is one subscriber's queue.
type Sub struct {
	name  string
	size  int
	bus   *Bus
	ready chan struct{}

	mu        sync.Mutex
	queue     []Envelope
	dropped   map[string]int
	coalesced int
	closed    bool
}

func (s *Sub) push(e Envelope, k Kind) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if len(s.queue) >= s.size {
		switch k.Policy {
		case Keep:
			if !k.Lossless && len(s.queue) >= 4*s.size {
				s.dropped[e.Kind]++
				return
			}
		case Coalesce:
			if i := s.last(e.Kind); i >= 0 && k.Merge != nil {
				q := s.queue[i]
				q.Payload = k.Merge(q.Payload, e.Payload)
				q.Seq, q.Time = e.Seq, e.Time
				s.queue[i] = q
				s.coalesced++
				return
			}
		default:
			if i := s.oldest(e.Kind, k.key(e.Payload), k); i >= 0 {
				s.dropped[e.Kind]++
				copy(s.queue[i:], s.queue[i+1:])
				s.queue = s.queue[:len(s.queue)-1]
			}
		}
	}
	s.queue = append(s.queue, e)
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// oldest is the first queued event of kind with that key, or -1.
func (s *Sub) oldest(kind, key string, k Kind) int {
	for i, q := range s.queue {
		if q.Kind == kind && k.key(q.Payload) == key {
			return i
		}
	}
	return -1
}

func (k Kind) key(payload any) string {
	if k.Key == nil {
		return ""
	}
	return k.Key(payload)
}

func (s *Sub) last(kind string) int {
	for i := len(s.queue) - 1; i >= 0; i-- {
		if s.queue[i].Kind == kind {
			return i
		}
	}
	return -1
}

// Next waits for the next event; false once ctx ends or the subscription is closed.
func (s *Sub) Next(ctx context.Context) (Envelope, bool) {
	for {
		s.mu.Lock()
		if len(s.queue) > 0 {
			e := s.queue[0]
			s.queue[0] = Envelope{}
			s.queue = s.queue[1:]
			s.mu.Unlock()
			return e, true
		}
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return Envelope{}, false
		}
		select {
		case <-ctx.Done():
			return Envelope{}, false
		case <-s.ready:
		}
	}
}

// Drain returns every queued event without waiting.
func (s *Sub) Drain() []Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.queue
	s.queue = nil
	return out
}

// Stats is what a subscriber lost or folded because it fell behind.
type Stats struct {
	Name      string
	Dropped   map[string]int
	Coalesced int
	Queued    int
}

// Stats reports the subscriber's drops (by kind) and coalesced deltas.
func (s *Sub) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := make(map[string]int, len(s.dropped))
	for k, v := range s.dropped {
		d[k] = v
	}
	return Stats{Name: s.name, Dropped: d, Coalesced: s.coalesced, Queued: len(s.queue)}
}

// Close ends the subscription: Next returns false once the queue is empty.
func (s *Sub) Close() {
	s.bus.remove(s)
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// Names lists the kinds, sorted (tests iterate over every kind).
func (ks Kinds) Names() []string {
	out := make([]string, 0, len(ks))
	for n := range ks {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
