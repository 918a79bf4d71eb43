package elasticsearch

import (
	"testing"
)

// FuzzDecodeSearch: whatever a server sends, decoding a search response and turning hits into log
// lines return errors or results, never a panic.
func FuzzDecodeSearch(f *testing.F) {
	f.Add([]byte(`{"hits":{"hits":[{"_id":"a","_source":{"@timestamp":"2026-01-01T00:00:00Z","log":"{\"level\":\"INFO\",\"msg\":\"x\",\"trace_id\":\"ab\"}","kubernetes":{"pod_name":"p","namespace_name":"n"}},"sort":[1,"a"]}]}}`))
	f.Add([]byte(`{"hits":{"hits":[]}}`))
	f.Add([]byte(`{"error":{"type":"x","reason":"all shards failed","failed_shards":[{"reason":{"reason":"boom"}}]}}`))
	f.Add([]byte(`{"hits":{"hits":[{"_id":"a","_source":[1,2],"sort":[1]}]}}`))
	f.Add([]byte(`{"hits":{"hits":[{"_id":"a","_source":{"kubernetes.labels":{"app":"x"},"log":"{"},"sort":[]}]}}`))
	f.Add([]byte(`nope`))
	e, err := New(Config{URL: "http://127.0.0.1:1"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		hits, err := DecodeSearch(b)
		if err != nil {
			return
		}
		for _, h := range hits {
			_, _ = e.line(h)
		}
	})
}
