package elasticsearch

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/testbed"
)

func TestMain(m *testing.M) { os.Exit(testbed.Main(m)) }

func backend(t *testing.T, es *testbed.Server, prefix string) *ES {
	t.Helper()
	b, err := New(Config{URL: es.URL, Index: prefix + "-*"})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTailTenThousandInOrder: 10,000 lines indexed in bursts into a real Elasticsearch-API server while
// the backend tails: every line arrives exactly once, in time order.
func TestTailTenThousandInOrder(t *testing.T) {
	es := testbed.SharedOpenSearch(t)
	sh := &testbed.Shipper{URL: es.URL, Namespace: "shop", Prefix: "tail"}
	b := backend(t, es, "tail")
	start := time.Now().UTC()
	var mu sync.Mutex
	var got []sources.LogLine
	var tailErr error
	// The first bulk creates the index; until it returns, the index's shard may still be starting and
	// a search answers "all shards failed" (the bulk waits for the primary shard, a search does not).
	// The poller retries on its next interval, and so does this loop, but only for that: an error of a
	// search begun after the index exists fails the test.
	var created atomic.Bool
	done := make(chan struct{})
	go func() { // the tail, as the logs poller runs it: page after page from the cursor
		defer close(done)
		var cur sources.LogCursor
		q := sources.LogQuery{Since: start.Add(-time.Minute), Limit: 500}
		deadline := time.Now().Add(90 * time.Second)
		for time.Now().Before(deadline) {
			existed := created.Load()
			lines, next, err := b.Tail(context.Background(), q, cur)
			if err != nil {
				if !existed {
					time.Sleep(100 * time.Millisecond)
					continue
				}
				tailErr = err
				return
			}
			cur = next
			mu.Lock()
			got = append(got, lines...)
			n := len(got)
			mu.Unlock()
			if n >= 10000 {
				return
			}
			if len(lines) < q.Limit {
				time.Sleep(200 * time.Millisecond)
			}
		}
	}()
	seq := 0
	for burst := 0; burst < 10; burst++ {
		var docs []map[string]any
		for i := 0; i < 1000; i++ {
			ts := time.Now().UTC().Format(time.RFC3339Nano)
			line := fmt.Sprintf(`{"time":%q,"level":"INFO","msg":"line %d","seq":%d}`, ts, seq, seq)
			docs = append(docs, sh.Doc(line, "web-0", "web"))
			seq++
		}
		if err := sh.Bulk(docs); err != nil {
			t.Fatal(err)
		}
		created.Store(true)
		time.Sleep(150 * time.Millisecond)
	}
	<-done
	if tailErr != nil {
		t.Fatal(tailErr)
	}
	seen := make([]int, 10000)
	var last time.Time
	for i, l := range got {
		n, err := strconv.Atoi(strings.TrimPrefix(l.Msg, "line "))
		if err != nil || n < 0 || n >= 10000 {
			t.Fatalf("line %d: unexpected %q", i, l.Msg)
		}
		seen[n]++
		// The store keeps milliseconds (a date field): in order at that resolution; within one
		// millisecond, lines follow the tiebreaker.
		ms := l.Time.Truncate(time.Millisecond)
		if ms.Before(last) {
			t.Fatalf("line %d (%s) is older than the one before it (%s)", i, ms, last)
		}
		last = ms
		if l.Pod != "web-0" || l.Namespace != "shop" || l.Level != "info" {
			t.Fatalf("fields: %+v", l)
		}
	}
	for n, c := range seen {
		if c != 1 {
			t.Fatalf("line %d seen %d times (gap or duplicate); %d lines in all", n, c, len(got))
		}
	}
}

// TestFilterAndByTrace: an Elasticsearch query narrows the tail; the lines of one trace are found.
func TestFilterAndByTrace(t *testing.T) {
	es := testbed.SharedOpenSearch(t)
	sh := &testbed.Shipper{URL: es.URL, Namespace: "shop", Prefix: "filter"}
	b := backend(t, es, "filter")
	var docs []map[string]any
	for i := 0; i < 60; i++ {
		lvl, trace := "INFO", fmt.Sprintf("%032x", i%3)
		if i%10 == 0 {
			lvl = "ERROR"
		}
		ts := time.Now().Add(-10 * time.Second).Add(time.Duration(i) * time.Millisecond).UTC().Format(time.RFC3339Nano)
		docs = append(docs, sh.Doc(fmt.Sprintf(`{"time":%q,"level":%q,"msg":"request %d","trace_id":%q}`, ts, lvl, i, trace), "web-1", "web"))
	}
	if err := sh.Bulk(docs); err != nil {
		t.Fatal(err)
	}
	q := sources.LogQuery{Since: time.Now().Add(-time.Minute), Limit: 500, Filter: "level:error"}
	time.Sleep(5 * time.Second) // the settle delay
	lines, _, err := b.Tail(context.Background(), q, sources.LogCursor{})
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 6 {
		t.Fatalf("level:error matched %d lines, want 6", len(lines))
	}
	for _, l := range lines {
		if l.Level != "error" {
			t.Fatalf("filter let through %+v", l)
		}
	}
	bad := sources.LogQuery{Since: time.Now().Add(-time.Minute), Limit: 10, Filter: "level:(error"}
	if _, _, err := b.Tail(context.Background(), bad, sources.LogCursor{}); err == nil || sources.IsUnreachable(err) {
		t.Fatalf("a bad query must be the server's error, not an outage: %v", err)
	}
	byTrace, err := b.ByTrace(context.Background(), fmt.Sprintf("%032x", 1))
	if err != nil {
		t.Fatal(err)
	}
	if len(byTrace) != 20 {
		t.Fatalf("trace 1 has %d lines, want 20", len(byTrace))
	}
}

// TestOpenSearchOutageAndRecovery: the server killed and restarted mid-tail: the poller reports the
// outage with a retry delay and recovers by itself. Uses its own server (it is killed).
func TestOpenSearchOutageAndRecovery(t *testing.T) {
	es := testbed.StartOpenSearch(t)
	sh := &testbed.Shipper{URL: es.URL, Namespace: "shop", Prefix: "outage"}
	b := backend(t, es, "outage")
	var in testbed.Inbox
	p := sources.NewLogsPoller(b, sources.LogQuery{Limit: 500}, sources.WallClock{}, 300*time.Millisecond, in.Send)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go p.Run(ctx)
	ship := func(msg string) {
		t.Helper()
		ts := time.Now().UTC().Format(time.RFC3339Nano)
		if err := sh.Bulk([]map[string]any{sh.Doc(fmt.Sprintf(`{"time":%q,"level":"INFO","msg":%q}`, ts, msg), "web-2", "web")}); err != nil {
			t.Fatal(err)
		}
	}
	wait := func(what string, ok func(any) bool, from int) int {
		t.Helper()
		return in.Wait(t, 90*time.Second, what, ok, from)
	}
	hasLine := func(text string) func(any) bool {
		return func(m any) bool {
			lm, ok := m.(sources.LogsMsg)
			if !ok {
				return false
			}
			for _, l := range lm.Lines {
				if l.Msg == text {
					return true
				}
			}
			return false
		}
	}
	ship("before the outage")
	n := wait("the first line", hasLine("before the outage"), 0)
	es.Kill()
	n = wait("unreachable state", func(m any) bool {
		c, ok := m.(sources.ConnState)
		return ok && !c.OK && strings.Contains(c.Detail, "unreachable, retrying in")
	}, n)
	es.Restart()
	ship("after the outage")
	wait("the line after the restart", hasLine("after the outage"), n)
}

// TestDiscoveredThroughServiceProxy: the real OpenSearch behind an EFK-style Service in the cluster is
// found by discovery, named as what it is, and tailed through the apiserver's service proxy; a
// Service of a preferred name that is not an Elasticsearch API is tried first and said so. On a
// control plane of its own: discovery searches every namespace, where other packages' tests expose
// log backends at the same time (as the tracing one found another's Zipkin, make test run 9).
func TestDiscoveredThroughServiceProxy(t *testing.T) {
	es := testbed.SharedOpenSearch(t)
	k := testbed.PrivateKube(t)
	ns := k.Namespace(t, "logging")
	decoy := testbed.StartDemoapp(t, "decoy")
	k.Expose(t, ns, "elasticsearch-master", "http", "http://"+decoy.Addr)
	k.Expose(t, ns, "opensearch-cluster-master", "http", es.URL)
	sh := &testbed.Shipper{URL: es.URL, Namespace: "shop", Prefix: "found"}
	var docs []map[string]any
	for i := 0; i < 20; i++ {
		ts := time.Now().Add(-10 * time.Second).Add(time.Duration(i) * time.Millisecond).UTC().Format(time.RFC3339Nano)
		docs = append(docs, sh.Doc(fmt.Sprintf(`{"time":%q,"level":"INFO","msg":"found %d","trace_id":%q}`, ts, i, fmt.Sprintf("%032x", 7)), "web-1", "web"))
	}
	if err := sh.Bulk(docs); err != nil {
		t.Fatal(err)
	}
	l := DiscoverLater(context.Background(), k.Client, k.Config, Config{Index: "found-*", Settle: time.Second})
	q := sources.LogQuery{Since: time.Now().Add(-time.Minute), Limit: 500}
	deadline := time.Now().Add(30 * time.Second)
	var lines []sources.LogLine
	var err error
	for {
		lines, _, err = l.Tail(context.Background(), q, sources.LogCursor{})
		if (err == nil && len(lines) == 20) || (err != nil && !sources.IsUnreachable(err)) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	rep := strings.Join(l.Report().Lines(), "\n")
	if err != nil || len(lines) != 20 {
		t.Fatalf("tail through the discovered server: %d lines, err %v\n%s", len(lines), err, rep)
	}
	if !strings.Contains(l.Name(), "opensearch svc "+ns+"/opensearch-cluster-master (via apiserver proxy) found-*") {
		t.Fatalf("name %q\n%s", l.Name(), rep)
	}
	if !strings.Contains(rep, "✓ "+ns+"/opensearch-cluster-master:http (via apiserver proxy): OpenSearch 2.") ||
		!strings.Contains(rep, "✗ "+ns+"/elasticsearch-master:http (via apiserver proxy): not an Elasticsearch API") {
		t.Fatalf("report:\n%s", rep)
	}
	n, err := l.Count(context.Background(), q, time.Now())
	if err != nil || n != 20 {
		t.Fatalf("count through the proxy: %d, %v", n, err)
	}
	byTrace, err := l.ByTrace(context.Background(), fmt.Sprintf("%032x", 7))
	if err != nil || len(byTrace) != 20 {
		t.Fatalf("by trace through the proxy: %d, %v", len(byTrace), err)
	}
}
