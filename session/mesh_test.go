package session

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/revert"
	"github.com/gamedaylab/gameday/testbed"
)

var vsGVR = schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "virtualservices"}

// meshWorld is a demo app behind a real Envoy that a real istiod configures as an Istio gateway, with
// a VirtualService "web" bound to it, and a session on that namespace.
type meshWorld struct {
	k   *testbed.Kube
	ns  string
	gw  *testbed.Gateway
	s   *Session
	dyn dynamic.Interface
}

func startMeshWorld(t *testing.T, name string) *meshWorld {
	t.Helper()
	k := testbed.SharedKube(t)
	m := testbed.SharedMesh(t, k)
	ns := k.Namespace(t, name)
	app := testbed.StartDemoapp(t, "web")
	gw := m.Expose(t, ns, "web", app.Addr, "/api/item")
	s, err := New(Options{Kube: &Kube{Rest: k.Config, Context: "testbed", Namespace: ns},
		Journal: filepath.Join(t.TempDir(), "journal.jsonl"), RevertDir: t.TempDir(), Guard: &actions.Guard{MinReady: 1}, User: "tester"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.Start(ctx)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
		cancel()
	})
	waitFor(t, 30*time.Second, "the session to see the VirtualService", func() bool {
		seen := false
		s.Store(func(c *model.Cluster) { seen = c.VirtualServices[ns+"/web"] != nil })
		return seen
	})
	dyn, err := dynamic.NewForConfig(k.Config)
	if err != nil {
		t.Fatal(err)
	}
	return &meshWorld{k: k, ns: ns, gw: gw, s: s, dyn: dyn}
}

// send makes n requests through the gateway (8 at a time) and returns the status codes and latencies.
func (w *meshWorld) send(t *testing.T, n int, header map[string]string) ([]int, []time.Duration) {
	t.Helper()
	codes, lats := make([]int, n), make([]time.Duration, n)
	var wg sync.WaitGroup
	next := make(chan int)
	client := &http.Client{Timeout: 10 * time.Second}
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				req, _ := http.NewRequest("GET", "http://"+w.gw.Addr+"/api/item", nil)
				for k, v := range header {
					req.Header.Set(k, v)
				}
				start := time.Now()
				r, err := client.Do(req)
				lats[i] = time.Since(start)
				if err != nil {
					codes[i] = -1
					continue
				}
				r.Body.Close()
				codes[i] = r.StatusCode
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return codes, lats
}

func count(codes []int, c int) int {
	n := 0
	for _, x := range codes {
		if x == c {
			n++
		}
	}
	return n
}

// settled is the length of the gateway's access log once it stops growing (Envoy flushes it every
// 100 ms): requests sent before are all in it.
func (w *meshWorld) settled(t *testing.T) int {
	t.Helper()
	n := len(w.gw.AccessLog(t))
	for {
		time.Sleep(300 * time.Millisecond)
		m := len(w.gw.AccessLog(t))
		if m == n {
			return n
		}
		n = m
	}
}

// waitLog waits until the gateway's access log holds n lines past before (Envoy flushes it every
// 100 ms; on a loaded machine it has lagged past 5 s), and says what it holds when it does not.
func (w *meshWorld) waitLog(t *testing.T, log *[]testbed.Access, before, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		*log = w.gw.AccessLog(t)
		if len(*log)-before >= n {
			return
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(w.gw.Log)
			t.Fatalf("the access log has %d of %d lines after 20 s; its end:\n%s", len(*log)-before, n, tailText(string(b), 15))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func tailText(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// flags counts the gateway's access log lines from index from on that carry flag.
func flags(log []testbed.Access, from int, flag string) int {
	n := 0
	for _, a := range log[from:] {
		if strings.Contains(a.Flags, flag) {
			n++
		}
	}
	return n
}

func (w *meshWorld) vs(t *testing.T) *unstructured.Unstructured {
	t.Helper()
	return w.k.VirtualService(t, w.ns, "web")
}

// waitUntil sends requests until their codes are ok: istiod has pushed the change.
func (w *meshWorld) waitUntil(t *testing.T, what string, ok func(codes []int) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		codes, _ := w.send(t, 20, nil)
		if ok(codes) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20 s (last codes %v)", what, codes)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestFaultThroughARealMesh: an abort written by gameday into a VirtualService bound to a gateway
// reaches a real Envoy through a real istiod; the share of aborted requests is within binomial
// bounds, every aborted response carries Envoy's FI flag, and after HALT none does.
func TestFaultThroughARealMesh(t *testing.T) {
	w := startMeshWorld(t, "mesh-abort")
	ctx := context.Background()
	r, err := w.s.Act(ctx, "fault", "vs/web abort 500 30% for 2m")
	if err != nil || r.Entry.Result != actions.ResultOK {
		t.Fatalf("fault: %+v, %v", r, err)
	}
	var patch []map[string]any
	if err := json.Unmarshal([]byte(r.Entry.Patch), &patch); err != nil || len(patch) != 1 {
		t.Fatalf("the journal's patch is not the routes written: %s (%v)", r.Entry.Patch, err)
	}
	u := w.vs(t)
	names := testbed.RouteNames(u)
	if len(names) != 2 || !strings.HasPrefix(names[0], "gameday-") || names[1] != "main" {
		t.Fatalf("routes after inject: %v", names)
	}
	// The journal holds exactly the route that was inserted.
	live, _, _ := unstructured.NestedSlice(u.Object, "spec", "http")
	want, _ := json.Marshal(live[0])
	got, _ := json.Marshal(patch[0])
	if string(got) != string(want) {
		t.Fatalf("journal patch %s, the object's first route %s", got, want)
	}
	recs, err := revert.Decode(u.GetAnnotations()[revert.Annotation])
	if err != nil || len(recs) != 1 || recs[0].Session != w.s.ID() || recs[0].Lease == "" || recs[0].Expires.IsZero() {
		t.Fatalf("revert record %+v, %v", recs, err)
	}
	w.waitUntil(t, "the abort to reach Envoy", func(c []int) bool { return count(c, 500) > 0 })
	before := w.settled(t)
	const n, p = 400, 0.3
	codes, _ := w.send(t, n, nil)
	aborted := count(codes, 500)
	sigma := math.Sqrt(n * p * (1 - p))
	if lo, hi := n*p-4*sigma, n*p+4*sigma; float64(aborted) < lo || float64(aborted) > hi || count(codes, 200)+aborted != n {
		t.Fatalf("%d of %d aborted (want %.0f..%.0f), codes %v", aborted, n, lo, hi, codes)
	}
	var log []testbed.Access
	w.waitLog(t, &log, before, n)
	if fi := flags(log, before, "FI"); fi != aborted {
		t.Fatalf("%d responses flagged FI, %d were 500", fi, aborted)
	}
	t.Logf("abort 30%%: %d of %d (%.1f%%), all flagged FI", aborted, n, 100*float64(aborted)/n)

	if r, err := w.s.Act(ctx, "halt", ""); err != nil || !strings.Contains(r.Entry.Detail, "reverted 1") {
		t.Fatalf("halt: %+v, %v", r, err)
	}
	u = w.vs(t)
	if names := testbed.RouteNames(u); len(names) != 1 || names[0] != "main" || u.GetAnnotations()[revert.Annotation] != "" {
		t.Fatalf("after HALT: routes %v, annotations %v", names, u.GetAnnotations())
	}
	w.waitUntil(t, "the revert to reach Envoy", func(c []int) bool { return count(c, 200) == len(c) })
	before = w.settled(t)
	codes, _ = w.send(t, 200, nil)
	w.waitLog(t, &log, before, 200)
	if count(codes, 200) != 200 || flags(log, before, "FI") != 0 {
		t.Fatalf("after HALT: %d of 200 ok, %d flagged FI", count(codes, 200), flags(log, before, "FI"))
	}
}

// TestHeaderMatchedDelay: a delay on requests carrying a header delays those (by at least the fixed
// delay, flagged DI) and no others.
func TestHeaderMatchedDelay(t *testing.T) {
	w := startMeshWorld(t, "mesh-delay")
	ctx := context.Background()
	if r, err := w.s.Act(ctx, "fault", "vs/web delay 300ms 100% header x-chaos=yes for 1m"); err != nil || r.Entry.Result != actions.ResultOK {
		t.Fatalf("fault: %+v, %v", r, err)
	}
	// Envoy arms the delay from its event loop's cached clock, which on a loaded machine is a few
	// milliseconds stale (seen: 293ms), so the timer fires that much early by the client's clock.
	const earliest = 270 * time.Millisecond
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, lats := w.send(t, 8, map[string]string{"x-chaos": "yes"})
		if lats[0] >= earliest {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the delay did not reach Envoy within 20 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	before := w.settled(t)
	codes, lats := w.send(t, 40, map[string]string{"x-chaos": "yes"})
	for i, l := range lats {
		if l < earliest || codes[i] != 200 {
			t.Fatalf("request %d with the header: %d in %s, want 200 after the 300ms delay", i, codes[i], l)
		}
	}
	codes, lats = w.send(t, 40, nil)
	for i, l := range lats {
		if l >= 150*time.Millisecond || codes[i] != 200 {
			t.Fatalf("request %d without the header: %d in %s, want 200 at once", i, codes[i], l)
		}
	}
	var log []testbed.Access
	w.waitLog(t, &log, before, 80)
	if di := flags(log, before, "DI"); di != 40 {
		t.Fatalf("%d responses flagged DI, want the 40 with the header", di)
	}
}

// TestRevertKeepsAConcurrentEdit: a route someone adds to the VirtualService while a fault is in
// place survives the revert, and so does an annotation of theirs.
func TestRevertKeepsAConcurrentEdit(t *testing.T) {
	w := startMeshWorld(t, "mesh-edit")
	ctx := context.Background()
	if r, err := w.s.Act(ctx, "fault", "vs/web abort 502 50% for 1m"); err != nil || r.Entry.Result != actions.ResultOK {
		t.Fatalf("fault: %+v, %v", r, err)
	}
	u := w.vs(t)
	rs, _, _ := unstructured.NestedSlice(u.Object, "spec", "http")
	rs = append(rs, map[string]any{"name": "someone-else", "match": []any{map[string]any{"uri": map[string]any{"prefix": "/other"}}},
		"route": []any{map[string]any{"destination": map[string]any{"host": "web." + w.ns + ".svc.cluster.local"}}}})
	_ = unstructured.SetNestedSlice(u.Object, rs, "spec", "http")
	ann := u.GetAnnotations()
	ann["team/owner"] = "payments"
	u.SetAnnotations(ann)
	if _, err := w.dyn.Resource(vsGVR).Namespace(w.ns).Update(ctx, u, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if r, err := w.s.Act(ctx, "halt", ""); err != nil || r.Entry.Result != actions.ResultOK {
		t.Fatalf("halt: %+v, %v", r, err)
	}
	u = w.vs(t)
	if names := testbed.RouteNames(u); strings.Join(names, ",") != "main,someone-else" || u.GetAnnotations()["team/owner"] != "payments" ||
		u.GetAnnotations()[revert.Annotation] != "" {
		t.Fatalf("after the revert: routes %v, annotations %v", names, u.GetAnnotations())
	}
}

// TestFaultEndsByItself: a fault is reverted when its duration is over, journaled as fault-expired,
// with nothing left on the VirtualService.
func TestFaultEndsByItself(t *testing.T) {
	w := startMeshWorld(t, "mesh-expire")
	if r, err := w.s.Act(context.Background(), "fault", "vs/web abort 500 20% for 2s"); err != nil || r.Entry.Result != actions.ResultOK {
		t.Fatalf("fault: %+v, %v", r, err)
	}
	waitFor(t, 10*time.Second, "the fault to end by itself", func() bool {
		for _, e := range w.s.Timeline() {
			if e.Action == "fault-expired" && e.Result == actions.ResultOK {
				return true
			}
		}
		return false
	})
	if n := w.s.Injected.Len(); n != 0 {
		t.Fatalf("%d still injected", n)
	}
	if u := w.vs(t); strings.Join(testbed.RouteNames(u), ",") != "main" || u.GetAnnotations()[revert.Annotation] != "" {
		t.Fatalf("after its end: routes %v, annotations %v", testbed.RouteNames(u), u.GetAnnotations())
	}
}
