package yamlfile

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

type dur struct{ time.Duration }

func (d *dur) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return errors.New("line " + strconv.Itoa(n.Line) + ": want a duration like 30s, got " + n.Value)
	}
	d.Duration = v
	return nil
}

type target struct {
	URL    string  `yaml:"url"`
	Weight float64 `yaml:"weight"`
}

type file struct {
	Name    string             `yaml:"name"`
	Rate    float64            `yaml:"rate"`
	Count   int                `yaml:"count"`
	Every   dur                `yaml:"every"`
	Targets []target           `yaml:"targets"`
	Limits  map[string]float64 `yaml:"limits"`
	Ptr     *float64           `yaml:"ptr"`
}

func decode(t *testing.T, src string) (file, Index, error) {
	t.Helper()
	var f file
	idx, err := Decode([]byte(src), &f, file{}, target{})
	return f, idx, err
}

func TestDecodeNamesLineFieldAndWant(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"rate: 1\nbogus: 2\n", `line 2: unknown field "bogus" (allowed here: count, every, limits, name, ptr, rate, targets)`},
		{"rate: fast\n", `line 1: rate: want a number, got "fast"`},
		{"count: [1]\n", "line 1: count: want a whole number, got a list"},
		{"targets:\n  - url: x\n    nope: 1\n", `line 3: unknown field "nope" (allowed here: url, weight)`},
		{"every: soon\n", "line 1: every: want a duration like 30s, got soon"},
		{"rate: [\n", "not valid YAML"},
		// What yaml lets through and no one means.
		{"rate: .nan\n", "line 1: rate: want a finite number, got .nan"},
		{"rate: .inf\n", "line 1: rate: want a finite number, got .inf"},
		{"name: x\nrate: -.Inf\n", "line 2: rate: want a finite number, got -.Inf"},
		{"rate: 1e400\n", `line 1: rate: want a number, got "1e400"`},
		{"count: 2.7\n", "line 1: count: want a whole number, got 2.7"},
		{"targets:\n  - url: x\n    weight: .NaN\n", "line 3: targets[0].weight: want a finite number, got .NaN"},
		{"limits:\n  a: .nan\n", "line 2: limits.a: want a finite number, got .nan"},
		{"ptr: .nan\n", "line 1: ptr: want a finite number, got .nan"},
		{"a: &x .nan\nrate: *x\n", "unknown field"},
	} {
		_, _, err := decode(t, c.src)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.src, err, c.want)
		}
	}
}

func TestDecodeKeepsWhatIsRight(t *testing.T) {
	f, idx, err := decode(t, "name: .nan\nrate: 2.5\ncount: 3\nevery: 30s\ntargets:\n  - url: http://a\n    weight: 1e3\n")
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != ".nan" || f.Rate != 2.5 || f.Count != 3 || f.Every.Duration != 30*time.Second || f.Targets[0].Weight != 1000 {
		t.Fatalf("%+v", f)
	}
	if !idx.Has("targets[0].url") || idx.Line("targets[0].weight") != 7 || idx.Has("ptr") {
		t.Fatalf("index: %+v", idx)
	}
	if _, _, err := decode(t, "  \n"); err != nil {
		t.Fatalf("an empty file: %v", err)
	}
}

func TestWithLines(t *testing.T) {
	_, idx, err := decode(t, "name: a\nrate: 0\n")
	if err != nil {
		t.Fatal(err)
	}
	got := idx.WithLines(errors.New("rate: want above 0; elsewhere: x")).Error()
	if got != "line 2: rate: want above 0; elsewhere: x" {
		t.Fatal(got)
	}
}

// FuzzDecode: any input gives a decoded value or an error, never a panic, and a decoded file holds
// no non-finite number.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{"rate: 1\n", "rate: .nan\n", "count: 2.5\n", "targets:\n  - weight: .inf\n", "a: &x 1\nrate: *x\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		var v file
		if _, err := Decode([]byte(src), &v, file{}, target{}); err != nil {
			return
		}
		for _, x := range append([]float64{v.Rate}, weights(v)...) {
			if x != x || x > 1e308 || x < -1e308 {
				t.Fatalf("%q decoded to a non-finite %v", src, x)
			}
		}
	})
}

func weights(v file) []float64 {
	var out []float64
	for _, t := range v.Targets {
		out = append(out, t.Weight)
	}
	for _, l := range v.Limits {
		out = append(out, l)
	}
	if v.Ptr != nil {
		out = append(out, *v.Ptr)
	}
	return out
}
