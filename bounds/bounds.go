// Package bounds checks the numbers people give gameday (flags, the config file, scenario files, the
// cockpit's command line and prompts): a number is accepted only when it is finite and in its range,
// and every refusal reads the same way: "want a number above 0 and at most 100000 requests/s, got NaN".
// Errors carry no field name; the caller puts its own in front ("--rate: ", "load.maxRate: ").
package bounds

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Range is an interval of accepted numbers. A zero Max with MaxOpen false means no upper bound is
// said; use Inf for an explicit one. Unit follows the range in messages ("requests/s", "%").
type Range struct {
	Min, Max float64
	// MinOpen refuses Min itself ("above 0" rather than "from 0").
	MinOpen bool
	// NoMax leaves the range open above (still finite).
	NoMax bool
	Unit  string
	// Whole refuses fractions ("a whole number").
	Whole bool
}

// Above is (min, max]; NoMax when max is +Inf.
func Above(min, max float64, unit string) Range {
	return Range{Min: min, Max: max, MinOpen: true, NoMax: math.IsInf(max, 1), Unit: unit}
}

// Between is [min, max]; NoMax when max is +Inf.
func Between(min, max float64, unit string) Range {
	return Range{Min: min, Max: max, NoMax: math.IsInf(max, 1), Unit: unit}
}

// Count is a whole number in [min, max]; NoMax when max is math.MaxInt64.
func Count(min, max int64, unit string) Range {
	return Range{Min: float64(min), Max: float64(max), NoMax: max == math.MaxInt64, Unit: unit, Whole: true}
}

// num writes 1000000 rather than 1e+06, and 0.999 as it is.
func num(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// String says the range in words: "above 0 and at most 100000 requests/s", "from 0 to 1".
func (r Range) String() string {
	var b strings.Builder
	switch {
	case r.MinOpen && r.NoMax:
		fmt.Fprintf(&b, "above %s", num(r.Min))
	case r.NoMax:
		fmt.Fprintf(&b, "of %s or more", num(r.Min))
	case r.MinOpen:
		fmt.Fprintf(&b, "above %s and at most %s", num(r.Min), num(r.Max))
	default:
		fmt.Fprintf(&b, "from %s to %s", num(r.Min), num(r.Max))
	}
	if r.Unit != "" {
		if r.Unit != "%" {
			b.WriteByte(' ')
		}
		b.WriteString(r.Unit)
	}
	return b.String()
}

func (r Range) want() string {
	if r.Whole {
		return "want a whole number " + r.String()
	}
	return "want a number " + r.String()
}

// Contains says whether v is finite and in the range.
func (r Range) Contains(v float64) bool {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return false
	}
	if r.Whole && v != math.Trunc(v) {
		return false
	}
	if v < r.Min || (r.MinOpen && v == r.Min) {
		return false
	}
	return r.NoMax || v <= r.Max
}

// Check refuses a number that is not finite or not in the range.
func (r Range) Check(v float64) error {
	if r.Contains(v) {
		return nil
	}
	return fmt.Errorf("%s, got %s", r.want(), num(v))
}

// CheckInt refuses a whole number outside the range.
func (r Range) CheckInt(v int64) error {
	if r.Contains(float64(v)) {
		return nil
	}
	return fmt.Errorf("%s, got %d", r.want(), v)
}

// Parse reads a number and checks it. Go's parser takes "NaN", "Inf", hex floats and underscores;
// people mean none of those, so only plain decimal numbers are read.
func (r Range) Parse(s string) (float64, error) {
	v, err := parseDecimal(s)
	if err != nil {
		return 0, fmt.Errorf("%s, got %q", r.want(), s)
	}
	if !r.Contains(v) {
		return 0, fmt.Errorf("%s, got %q", r.want(), s)
	}
	return v, nil
}

// ParseInt reads a whole number and checks it.
func (r Range) ParseInt(s string) (int64, error) {
	r.Whole = true
	v, err := r.Parse(s)
	if err != nil {
		return 0, err
	}
	return int64(v), nil
}

// Finite reads any finite decimal number (an expectation's "< 0.3"): never NaN or an infinity.
func Finite(s string) (float64, error) {
	v, err := parseDecimal(s)
	if err != nil {
		return 0, fmt.Errorf("want a finite number, got %q", s)
	}
	return v, nil
}

// parseDecimal accepts [+-]digits[.digits][e[+-]digits] and nothing else.
func parseDecimal(s string) (float64, error) {
	if s == "" || len(s) > 64 {
		return 0, strconv.ErrSyntax
	}
	digits := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits = true
		case c == '.' || c == 'e' || c == 'E':
		case (c == '+' || c == '-') && (i == 0 || s[i-1] == 'e' || s[i-1] == 'E'):
		default:
			return 0, strconv.ErrSyntax
		}
	}
	if !digits {
		return 0, strconv.ErrSyntax
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, strconv.ErrSyntax
	}
	return v, nil
}

// Span is an interval of accepted durations: [Min, Max], or (Min, Max] with MinOpen. A zero Max
// means no upper bound.
type Span struct {
	Min, Max time.Duration
	MinOpen  bool
}

// String says the span in words: "from 1ms to 1h", "above 0s".
func (s Span) String() string {
	switch {
	case s.MinOpen && s.Max == 0:
		return "above " + short(s.Min)
	case s.Max == 0:
		return "of " + short(s.Min) + " or more"
	case s.MinOpen:
		return "above " + short(s.Min) + " and at most " + short(s.Max)
	}
	return "from " + short(s.Min) + " to " + short(s.Max)
}

// short writes 1h rather than Go's 1h0m0s.
func short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Contains says whether d is in the span.
func (s Span) Contains(d time.Duration) bool {
	if d < s.Min || (s.MinOpen && d == s.Min) {
		return false
	}
	return s.Max == 0 || d <= s.Max
}

// Check refuses a duration outside the span.
func (s Span) Check(d time.Duration) error {
	if s.Contains(d) {
		return nil
	}
	return fmt.Errorf("want a duration %s (e.g. 500ms, 30s, 2m), got %s", s, d)
}

// Parse reads a duration (Go's form: 500ms, 30s, 1m30s) and checks it.
func (s Span) Parse(str string) (time.Duration, error) {
	d, err := time.ParseDuration(str)
	if err != nil || !s.Contains(d) {
		return 0, fmt.Errorf("want a duration %s (e.g. 500ms, 30s, 2m), got %q", s, str)
	}
	return d, nil
}

// Want says what the range wants, without the value: "want a number above 0 requests/s".
func (r Range) Want() string { return r.want() }

// FloatFlag is a command-line flag's value (the Set/String/Type of pflag.Value and flag.Value) that
// refuses, as it is parsed, what its range refuses.
type FloatFlag struct {
	P *float64
	R Range
}

func (f FloatFlag) Set(s string) error {
	v, err := f.R.Parse(s)
	if err != nil {
		return fmt.Errorf("%s", f.R.want())
	}
	*f.P = v
	return nil
}

func (f FloatFlag) String() string {
	if f.P == nil {
		return "0"
	}
	return num(*f.P)
}

func (f FloatFlag) Type() string { return "float" }

// IntFlag is FloatFlag for whole numbers.
type IntFlag struct {
	P *int64
	R Range
}

func (f IntFlag) Set(s string) error {
	v, err := f.R.ParseInt(s)
	if err != nil {
		r := f.R
		r.Whole = true
		return fmt.Errorf("%s", r.want())
	}
	*f.P = v
	return nil
}

func (f IntFlag) String() string {
	if f.P == nil {
		return "0"
	}
	return strconv.FormatInt(*f.P, 10)
}

func (f IntFlag) Type() string { return "int" }

// DurationFlag is FloatFlag for durations.
type DurationFlag struct {
	P *time.Duration
	S Span
}

func (f DurationFlag) Set(s string) error {
	d, err := f.S.Parse(s)
	if err != nil {
		return fmt.Errorf("want a duration %s (e.g. 500ms, 30s, 2m)", f.S)
	}
	*f.P = d
	return nil
}

func (f DurationFlag) String() string {
	if f.P == nil {
		return "0s"
	}
	return f.P.String()
}

func (f DurationFlag) Type() string { return "duration" }

// NonFinite names the first number in v (walked through pointers, structs, slices and maps) that is
// NaN or infinite, as its field path ("Hypothesis.ErrorBudget: NaN"); "" when every one is finite.
// Fuzz tests of every decoder of outside input use it.
func NonFinite(v any) string { return nonFinite(reflect.ValueOf(v)) }

func nonFinite(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return nonFinite(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				if s := nonFinite(v.Field(i)); s != "" {
					return v.Type().Field(i).Name + "." + s
				}
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if s := nonFinite(v.Index(i)); s != "" {
				return s
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if s := nonFinite(it.Value()); s != "" {
				return s
			}
		}
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Sprint(f)
		}
	}
	return ""
}
