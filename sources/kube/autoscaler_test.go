package kube

import (
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/model"
)

// TestParseAutoscalerBothFormats: the YAML of 1.30+ and the human text before it give the same
// status (the text has no backoff reason and no message), and anything else is kept verbatim.
func TestParseAutoscalerBothFormats(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 15, 48, 170542063, time.UTC)
	want := model.Autoscaler{Namespace: "kube-system", Status: "Running", Time: at, Health: "Healthy", Ready: 6, Total: 6,
		ScaleUp: "InProgress", ScaleDown: "NoCandidates", Groups: []model.NodeGroup{
			{Name: "zone-a", Health: "Healthy", Ready: 2, Total: 2, Target: 3, Min: 1, Max: 5, ScaleUp: "InProgress", ScaleDown: "NoCandidates"},
			{Name: "zone-b", Health: "Healthy", Ready: 2, Total: 2, Target: 2, Min: 1, Max: 2, ScaleUp: "Backoff", ScaleDown: "NoCandidates",
				BackoffCode: "QUOTA_EXCEEDED", BackoffMessage: "Instance quota exceeded in region"},
		}}
	for _, c := range []struct{ file, format string }{{"testdata/autoscaler-status.yaml", "yaml"}, {"testdata/autoscaler-status.txt", "text"}} {
		b, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		got := ParseAutoscaler("kube-system", string(b))
		w := want
		w.Format = c.format
		if c.format == "text" {
			w.Groups = append([]model.NodeGroup(nil), want.Groups...)
			w.Groups[1].BackoffCode, w.Groups[1].BackoffMessage = "", ""
		}
		if !got.Time.Equal(w.Time) {
			t.Errorf("%s: time %v, want %v", c.file, got.Time, w.Time)
		}
		got.Time = w.Time
		if !reflect.DeepEqual(got, w) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.file, got, w)
		}
	}
	if a := ParseAutoscaler("ops", "Cluster-autoscaler status at 2026-12-03 10:15:48.1 +0000 UTC:\nInitializing"); a.Format != "text" || a.Status != "Initializing" {
		t.Errorf("initializing: %+v", a)
	}
	if a := ParseAutoscaler("ops", "  something new: 1\n"); a.Format != "raw" || a.Raw != "something new: 1" || a.Namespace != "ops" {
		t.Errorf("unknown format: %+v", a)
	}
}

// TestReadableQuantities: the recommender's quantities as a person compares them.
func TestReadableQuantities(t *testing.T) {
	for in, want := range map[string]string{"25m": "25m", "977m": "977m", "1": "1", "1500m": "1.5", "2111297m": "2.1k", "100G": "100G", "150": "150",
		"bad": "bad", "": ""} {
		if got := readableCPU(in); got != want {
			t.Errorf("cpu %q: %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"250Mi": "250Mi", "262144k": "250Mi", "24851500000": "23.1Gi", "64Mi": "64Mi", "512": "512",
		"97656250000Ki": "90.9Ti", "1.5Gi": "1.5Gi"} {
		if got := readableMemory(in); got != want {
			t.Errorf("memory %q: %q, want %q", in, got, want)
		}
	}
}
