package recording

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/bus"
	"github.com/gamedaylab/gameday/model"
)

// BenchmarkWriteReset5000Pods: what the recorder spends on a session's first event at 5,000 pods
// (the list's Reset delta): JSON, scrubbing and zstd.
func BenchmarkWriteReset5000Pods(b *testing.B) {
	d := &model.ClusterDelta{Reset: true}
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	for i := range 5000 {
		d.Pods = append(d.Pods, model.Pod{Namespace: "bench", Name: fmt.Sprintf("filler-5d8f9c7b6-%05d", i), UID: fmt.Sprintf("uid-%d", i),
			Phase: "Running", Ready: true, Containers: 1, ReadyContainers: 1, Node: fmt.Sprintf("kwok-node-%d", i%6), Owner: "filler-5d8f9c7b6",
			Labels: map[string]string{"app": "filler", "pod-template-hash": "5d8f9c7b6"}, Created: t0})
	}
	w, err := Create(filepath.Join(b.TempDir(), "b.gdr"), Header{}, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Write(bus.Envelope{Seq: 1, Time: t0, Kind: "cluster", Payload: d}); err != nil {
			b.Fatal(err)
		}
		_ = w.Flush()
	}
	st := w.Stats()
	b.ReportMetric(float64(st.Raw)/float64(st.Events)/1024, "rawKiB/op")
	b.ReportMetric(float64(st.Bytes)/float64(st.Events)/1024, "zstdKiB/op")
}
