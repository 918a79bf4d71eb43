package bus

import (
	"context"
	"encoding/json"
	"reflect"
	"sync"
	"testing"
	"time"
)

type delta struct{ Changes int }

type status struct{ N int }

type result struct{ Action string }

func testKinds() Kinds {
	c := KindOf[*delta]("cluster", Coalesce)
	c.Merge = func(a, b any) any {
		return &delta{Changes: a.(*delta).Changes + b.(*delta).Changes}
	}
	r := KindOf[result]("result", Keep)
	r.Lossless = true
	return Kinds{"cluster": c, "status": KindOf[status]("status", Replace), "result": r}
}

// TestSlowSubscriberDoesNotSlowOthers: one subscriber never reads while 10,000 events are published.
// The publisher does not wait, a fast subscriber sees every event in order, and the slow one keeps a
// bounded queue: cluster deltas folded into one, status events replaced by the newest, every result
// kept, and the drops counted.
func TestSlowSubscriberDoesNotSlowOthers(t *testing.T) {
	b := New(testKinds(), nil)
	slow := b.Subscribe("slow", 8)
	fast := b.Subscribe("fast", 16_384)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []uint64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for len(got) < 10_000 {
			e, ok := fast.Next(ctx)
			if !ok {
				return
			}
			got = append(got, e.Seq)
		}
	}()
	start := time.Now()
	results := 0
	for i := 0; i < 10_000; i++ {
		switch i % 100 {
		case 0:
			b.Publish("result", result{Action: "kill"})
			results++
		case 1, 2, 3:
			b.Publish("status", status{N: i})
		default:
			b.Publish("cluster", &delta{Changes: 1})
		}
	}
	publishTook := time.Since(start)
	wg.Wait()
	if len(got) != 10_000 {
		t.Fatalf("fast subscriber got %d of 10000 events", len(got))
	}
	for i, s := range got {
		if s != uint64(i+1) {
			t.Fatalf("fast subscriber: event %d has seq %d", i, s)
		}
	}
	if publishTook > 2*time.Second {
		t.Fatalf("publishing 10,000 events took %s: a slow subscriber held the publisher", publishTook)
	}
	q := slow.Drain()
	st := slow.Stats()
	var clusterKeys, resultsSeen, statuses int
	for _, e := range q {
		switch p := e.Payload.(type) {
		case *delta:
			clusterKeys += p.Changes
		case result:
			resultsSeen++
		case status:
			statuses++
		}
	}
	if resultsSeen != results {
		t.Fatalf("slow subscriber lost results: %d of %d", resultsSeen, results)
	}
	if clusterKeys != 9_600 {
		t.Fatalf("coalescing lost cluster changes: %d of 9600", clusterKeys)
	}
	if st.Coalesced == 0 || st.Dropped["status"] == 0 || st.Dropped["cluster"] != 0 || st.Dropped["result"] != 0 {
		t.Fatalf("stats %+v", st)
	}
	if statuses > 8 {
		t.Fatalf("status events beyond the bound: %d", statuses)
	}
}

func TestReplaceKeepsTheNewest(t *testing.T) {
	b := New(testKinds(), nil)
	s := b.Subscribe("s", 2)
	for i := 1; i <= 5; i++ {
		b.Publish("status", status{N: i})
	}
	q := s.Drain()
	if len(q) != 2 || q[1].Payload.(status).N != 5 {
		t.Fatalf("queue %+v", q)
	}
	if s.Stats().Dropped["status"] != 3 {
		t.Fatalf("stats %+v", s.Stats())
	}
}

func TestCloseEndsNext(t *testing.T) {
	b := New(testKinds(), nil)
	s := b.Subscribe("s", 2)
	done := make(chan bool)
	go func() { _, ok := s.Next(context.Background()); done <- ok }()
	time.Sleep(10 * time.Millisecond)
	s.Close()
	select {
	case ok := <-done:
		if ok {
			t.Fatal("Next returned an event after Close")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Next did not return after Close")
	}
	b.Publish("status", status{}) // a closed subscriber is not delivered to
	if len(s.Drain()) != 0 {
		t.Fatal("closed subscriber received")
	}
}

func TestDecodeTypesThePayload(t *testing.T) {
	ks := testKinds()
	b := New(ks, func() time.Time { return time.Unix(100, 0).UTC() })
	for _, e := range []Envelope{b.Publish("cluster", &delta{Changes: 2}), b.Publish("status", status{N: 3}), b.Publish("result", result{Action: "halt"})} {
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ks.Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, e) {
			t.Fatalf("round trip: %+v -> %s -> %+v", e, data, back)
		}
	}
	if _, err := ks.Decode([]byte(`{"seq":1,"kind":"nope","payload":{}}`)); err == nil {
		t.Fatal("unknown kind decoded")
	}
}

// TestReplaceIsPerKeyAndKeepIsBounded: a full queue replaces a panel's metrics only by the same
// panel's (another panel's event is never lost to it), and a Keep kind that is not lossless stops at
// four times the bound, counted.
func TestReplaceIsPerKeyAndKeepIsBounded(t *testing.T) {
	type panel struct{ ID, V string }
	type line struct{ N int }
	p := KindOf[panel]("metrics", Replace)
	p.Key = func(x any) string { return x.(panel).ID }
	ks := Kinds{"metrics": p, "logs": KindOf[line]("logs", Keep)}
	b := New(ks, nil)
	s := b.Subscribe("s", 2)
	b.Publish("metrics", panel{"rate", "1"})
	b.Publish("metrics", panel{"errors", "1"})
	b.Publish("metrics", panel{"rate", "2"})
	b.Publish("metrics", panel{"cpu", "1"})
	got := map[string]string{}
	for _, e := range s.Drain() {
		got[e.Payload.(panel).ID] = e.Payload.(panel).V
	}
	if len(got) != 3 || got["rate"] != "2" || got["errors"] != "1" || got["cpu"] != "1" {
		t.Fatalf("per-panel replace kept %v", got)
	}
	for i := 0; i < 20; i++ {
		b.Publish("logs", line{i})
	}
	if q := s.Drain(); len(q) != 8 || s.Stats().Dropped["logs"] != 12 {
		t.Fatalf("logs queued %d (want 8), stats %+v", len(q), s.Stats())
	}
}
