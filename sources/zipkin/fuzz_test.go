package zipkin

import (
	"testing"

	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/tui/panes"
)

// FuzzDecodeTraces: whatever a server sends, decoding a traces response, summarizing and ordering the
// spans return errors or results, never a panic.
func FuzzDecodeTraces(f *testing.F) {
	f.Add([]byte(`[[{"traceId":"0123456789abcdef0123456789abcdef","id":"0123456789abcdef","name":"get /","timestamp":1700000000000000,"duration":1200,"localEndpoint":{"serviceName":"web"},"tags":{"error":"x"}},{"traceId":"0123456789abcdef0123456789abcdef","parentId":"0123456789abcdef","id":"1123456789abcdef","name":"db","timestamp":1700000000000100,"duration":300,"kind":"CLIENT"}]]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`[[]]`))
	f.Add([]byte(`[[{"traceId":"zz","id":"x"}]]`))
	f.Add([]byte(`[[{"traceId":"1","id":"1","parentId":"1"}]]`))
	f.Add([]byte(`{"error":"nope"}`))
	f.Add([]byte(`[[{"annotations":[{"timestamp":-1,"value":""}],"duration":-5}]]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		traces, err := DecodeTraces(b)
		if err != nil {
			return
		}
		for _, tr := range traces {
			_ = sources.SummarizeTrace(tr)
			_, _ = panes.SpanTree(tr)
		}
	})
}
