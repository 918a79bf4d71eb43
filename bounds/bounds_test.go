package bounds

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestRangeRefusesWhatIsNotAFiniteNumberInRange(t *testing.T) {
	rate := Above(0, 100000, "requests/s")
	share := Between(0, 1, "")
	pct := Above(0, 100, "%")
	count := Count(1, math.MaxInt64, "pods")
	for _, c := range []struct {
		r    Range
		in   string
		ok   bool
		want string
	}{
		{rate, "200", true, ""},
		{rate, "1e5", true, ""},
		{rate, "0", false, `want a number above 0 and at most 100000 requests/s, got "0"`},
		{rate, "NaN", false, `got "NaN"`},
		{rate, "nan", false, ""},
		{rate, "Inf", false, ""},
		{rate, "+Inf", false, ""},
		{rate, "infinity", false, ""},
		{rate, "1e400", false, ""},
		{rate, "0x10", false, ""},
		{rate, "1_000", false, ""},
		{rate, "-5", false, ""},
		{rate, "100001", false, ""},
		{rate, "", false, ""},
		{rate, ".", false, ""},
		{rate, "1e", false, ""},
		{share, "0", true, ""},
		{share, "1", true, ""},
		{share, "1.01", false, "want a number from 0 to 1, got"},
		{pct, "100", true, ""},
		{pct, "0", false, "want a number above 0 and at most 100%"},
		{count, "3", true, ""},
		{count, "2.5", false, "want a whole number of 1 or more pods"},
		{count, "0", false, ""},
	} {
		v, err := c.r.Parse(c.in)
		if (err == nil) != c.ok {
			t.Errorf("%s.Parse(%q) = %v, %v; want ok=%v", c.r, c.in, v, err, c.ok)
			continue
		}
		if err != nil && !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s.Parse(%q): %q does not say %q", c.r, c.in, err, c.want)
		}
	}
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, 100001} {
		if err := rate.Check(v); err == nil {
			t.Errorf("Check(%v) accepted", v)
		}
	}
	if err := Above(0, math.Inf(1), "").Check(math.Inf(1)); err == nil {
		t.Error("an open range above took +Inf")
	}
	if err := Above(0, math.Inf(1), "").Check(1e300); err != nil {
		t.Errorf("an open range above refused 1e300: %v", err)
	}
	if err := count.CheckInt(0); err == nil || !strings.Contains(err.Error(), "got 0") {
		t.Errorf("CheckInt(0): %v", err)
	}
}

func TestSpan(t *testing.T) {
	s := Span{Min: time.Millisecond, Max: time.Hour}
	if d, err := s.Parse("500ms"); err != nil || d != 500*time.Millisecond {
		t.Fatalf("%v %v", d, err)
	}
	for _, in := range []string{"0s", "-1s", "2h", "abc", "", "1"} {
		if _, err := s.Parse(in); err == nil {
			t.Errorf("Parse(%q) accepted", in)
		}
	}
	if err := (Span{MinOpen: true}).Check(0); err == nil || !strings.Contains(err.Error(), "above 0s") {
		t.Errorf("open span: %v", err)
	}
	if err := (Span{}).Check(1000 * time.Hour); err != nil {
		t.Errorf("no max: %v", err)
	}
}

func TestFlags(t *testing.T) {
	var f float64 = 7
	ff := FloatFlag{P: &f, R: Above(0, 100, "")}
	if err := ff.Set("NaN"); err == nil || f != 7 {
		t.Fatalf("NaN set: %v, %v", err, f)
	}
	if err := ff.Set("2.5"); err != nil || f != 2.5 || ff.String() != "2.5" {
		t.Fatalf("2.5: %v %v", err, f)
	}
	var n int64
	nf := IntFlag{P: &n, R: Count(0, 1000, "")}
	if err := nf.Set("1.5"); err == nil {
		t.Fatal("1.5 as a count")
	}
	var d time.Duration
	df := DurationFlag{P: &d, S: Span{MinOpen: true}}
	if err := df.Set("-1s"); err == nil {
		t.Fatal("-1s accepted")
	}
}

// FuzzParse: whatever the input, Parse returns a finite number in range or an error, never a panic.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"1", "NaN", "1e400", "-0", "+5", "1e-400", "0.5", "Inf"} {
		f.Add(s)
	}
	r := Above(0, 1000, "")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := r.Parse(s)
		if err == nil && !r.Contains(v) {
			t.Fatalf("Parse(%q) = %v outside %s", s, v, r)
		}
	})
}
