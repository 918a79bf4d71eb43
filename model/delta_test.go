package model

import (
	"fmt"
	"math/rand"
	"reflect"
	"testing"
	"time"
)

// TestMergeEqualsApplyingInOrder: applying Merge(a, b) gives the store that applying a then b gives,
// over random sequences of upserts and deletions of a few keys (so keys come, go and come back).
func TestMergeEqualsApplyingInOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	now := time.Unix(0, 0)
	randDelta := func() *ClusterDelta {
		d := &ClusterDelta{Reset: rng.Intn(10) == 0, At: now.Add(time.Duration(rng.Intn(100)) * time.Second)}
		for i := rng.Intn(4); i > 0; i-- {
			d.Pods = append(d.Pods, Pod{Namespace: "ns", Name: fmt.Sprint("p", rng.Intn(5)), Restarts: rng.Int31n(9)})
		}
		for i := rng.Intn(3); i > 0; i-- {
			d.PodsGone = append(d.PodsGone, fmt.Sprint("ns/p", rng.Intn(5)))
		}
		for i := rng.Intn(2); i > 0; i-- {
			d.Nodes = append(d.Nodes, Node{Name: fmt.Sprint("n", rng.Intn(3)), Ready: rng.Intn(2) == 0})
		}
		if rng.Intn(3) == 0 {
			d.NodesGone = append(d.NodesGone, fmt.Sprint("n", rng.Intn(3)))
		}
		return d
	}
	for i := 0; i < 2000; i++ {
		seq := []*ClusterDelta{randDelta(), randDelta(), randDelta()}
		want := NewCluster()
		for _, d := range seq {
			want.Apply(d, now)
		}
		merged := seq[0]
		for _, d := range seq[1:] {
			merged = Merge(merged, d)
		}
		got := NewCluster()
		got.Apply(merged, now)
		if !reflect.DeepEqual(got.Pods, want.Pods) || !reflect.DeepEqual(got.Nodes, want.Nodes) {
			t.Fatalf("case %d: merged store differs\nseq: %+v %+v %+v\nmerged: %+v\ngot pods %v want %v\ngot nodes %v want %v",
				i, *seq[0], *seq[1], *seq[2], *merged, keys(got.Pods), keys(want.Pods), got.Nodes, want.Nodes)
		}
	}
}

func keys[T any](m map[string]*T) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestMergeDoesNotChangeItsInputs(t *testing.T) {
	a := &ClusterDelta{Pods: []Pod{{Namespace: "n", Name: "a"}}}
	b := &ClusterDelta{PodsGone: []string{"n/a"}, Pods: []Pod{{Namespace: "n", Name: "b"}}}
	Merge(a, b)
	if len(a.Pods) != 1 || a.Pods[0].Name != "a" || len(b.Pods) != 1 || len(b.PodsGone) != 1 {
		t.Fatalf("inputs changed: %+v %+v", a, b)
	}
}

// TestMergeKeepsEveryField: a delta holding only one field, merged after and before an empty one,
// still holds it; a field added to ClusterDelta and forgotten in Merge fails here (VPAs and the
// autoscaler's status were, and a cockpit that fell behind lost their changes).
func TestMergeKeepsEveryField(t *testing.T) {
	typ := reflect.TypeFor[ClusterDelta]()
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		if f.Name == "At" || f.Name == "Reset" {
			continue
		}
		one := &ClusterDelta{}
		v := reflect.ValueOf(one).Elem().Field(i)
		switch v.Kind() {
		case reflect.Slice:
			if v.Type().Elem().Kind() == reflect.String {
				v.Set(reflect.ValueOf([]string{"ns/x"}))
			} else {
				v.Set(reflect.MakeSlice(v.Type(), 1, 1))
			}
		case reflect.Pointer:
			v.Set(reflect.New(v.Type().Elem()))
		case reflect.Bool:
			v.SetBool(true)
		default:
			t.Fatalf("ClusterDelta.%s: a %s field this test does not know", f.Name, v.Kind())
		}
		for _, m := range []*ClusterDelta{Merge(one, &ClusterDelta{}), Merge(&ClusterDelta{}, one)} {
			if got := reflect.ValueOf(m).Elem().Field(i); got.IsZero() {
				t.Errorf("Merge lost ClusterDelta.%s", f.Name)
			}
		}
	}
	gone := Merge(&ClusterDelta{Autoscaler: &Autoscaler{}}, &ClusterDelta{AutoscalerGone: true})
	c := NewCluster()
	c.Apply(&ClusterDelta{Autoscaler: &Autoscaler{}}, time.Unix(0, 0))
	c.Apply(gone, time.Unix(0, 0))
	if c.Autoscaler != nil {
		t.Fatal("the autoscaler's status set then gone: merged, it stays")
	}
}
