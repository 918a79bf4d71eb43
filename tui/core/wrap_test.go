package core

import (
	"reflect"
	"testing"
)

func TestWrapWords(t *testing.T) {
	cases := []struct {
		in   string
		w    int
		want []string
	}{
		{"cannot patch nodes cluster-wide", 20, []string{"cannot patch nodes", "cluster-wide"}},
		{"short", 20, []string{"short"}},
		{"averyveryverylongword x", 5, []string{"averyveryverylongword", "x"}},
		{"", 10, []string{""}},
	}
	for _, c := range cases {
		if got := WrapWords(c.in, c.w); !reflect.DeepEqual(got, c.want) {
			t.Errorf("WrapWords(%q, %d) = %q, want %q", c.in, c.w, got, c.want)
		}
	}
}
