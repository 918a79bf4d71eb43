package jaeger

import (
	"testing"

	"github.com/gamedaylab/gameday/sources"
	"github.com/gamedaylab/gameday/tui/panes"
)

// FuzzDecodeTraces: whatever a Jaeger sends, decoding, summarizing and ordering its spans return
// errors or results, never a panic.
func FuzzDecodeTraces(f *testing.F) {
	f.Add([]byte(`[{"traceID":"0123456789abcdef0123456789abcdef","spans":[{"traceID":"0123456789abcdef0123456789abcdef","spanID":"0123456789abcdef","operationName":"get /","references":[],"startTime":1700000000000000,"duration":1200,"tags":[{"key":"span.kind","type":"string","value":"server"},{"key":"error","type":"bool","value":true}],"logs":[{"timestamp":1700000000000100,"fields":[{"key":"event","value":"x"}]}],"processID":"p1"},{"traceID":"0123456789abcdef0123456789abcdef","spanID":"1123456789abcdef","references":[{"refType":"CHILD_OF","traceID":"0123456789abcdef0123456789abcdef","spanID":"0123456789abcdef"}],"startTime":1700000000000100,"duration":300,"processID":"p2"}],"processes":{"p1":{"serviceName":"web"},"p2":{"serviceName":"db"}}}]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"spans":[]}]`))
	f.Add([]byte(`[{"spans":[{"traceID":"zz","spanID":"x"}]}]`))
	f.Add([]byte(`[{"spans":[{"traceID":"1","spanID":"1","references":[{"refType":"CHILD_OF","spanID":"1"}]}]}]`))
	f.Add([]byte(`{"data":null}`))
	f.Add([]byte(`[{"spans":[{"traceID":"1","spanID":"2","duration":-5,"startTime":-1}]}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		traces, err := DecodeTraces(b)
		if err != nil {
			return
		}
		for _, tr := range traces {
			if len(tr) == 0 {
				continue
			}
			_ = sources.SummarizeTrace(tr)
			_, _ = panes.SpanTree(tr)
		}
	})
}
