package chaostoolkit

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"

	"github.com/theory/jsonpath"
)

// Within reports whether a hypothesis probe's output is within its tolerance, as chaoslib's
// within_tolerance decides. A string tolerance is substituted first (vars), as are a regex's
// pattern and a jsonpath's path and expect. An error is where chaoslib itself stops with a Python
// TypeError (a regex on a JSON body, a range over nothing): gameday reports the probe as failed.
func Within(tol, value any, vars Vars) (bool, error) {
	switch t := tol.(type) {
	case bool:
		return pyEqual(value, t), nil
	case string:
		s, _ := vars.Substitute(t).(string)
		v, ok := value.(string)
		return ok && v == s, nil
	case int64:
		if st, ok := status(value); ok {
			return pyEqual(st, t), nil
		}
		return pyEqual(value, t), nil
	case []any:
		if st, ok := status(value); ok {
			return pyIn(st, t), nil
		}
		if len(t) == 2 {
			lo, err := pyLessEq(t[0], value)
			if err != nil || !lo {
				return false, err
			}
			return pyLessEq(value, t[1])
		}
		return pyIn(value, t), nil
	case map[string]any:
		return withinTyped(t, value, vars)
	}
	return false, fmt.Errorf("tolerance %v: not a bool, an integer, a string, a list or a typed tolerance", tol)
}

// status is an http or process output's status, which plain tolerances compare.
func status(value any) (any, bool) {
	m, ok := value.(map[string]any)
	if !ok {
		return nil, false
	}
	st, ok := m["status"]
	return st, ok
}

// targeted is value[target] when a tolerance names a target and the value is a mapping that has it.
func targeted(t map[string]any, value any) (any, error) {
	target, _ := t["target"].(string)
	if target == "" {
		return value, nil
	}
	m, ok := value.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("target %q: the output is a %s, not a mapping", target, pyType(value))
	}
	if x, ok := m[target]; ok {
		return x, nil
	}
	return value, nil
}

func withinTyped(t map[string]any, value any, vars Vars) (bool, error) {
	value, err := targeted(t, value)
	if err != nil {
		return false, err
	}
	switch t["type"] {
	case "regex":
		pattern, _ := vars.Substitute(t["pattern"]).(string)
		rx, err := regexp.Compile(pattern)
		if err != nil {
			return false, fmt.Errorf("regex %q: %w", pattern, err)
		}
		s, ok := value.(string)
		if !ok {
			return false, fmt.Errorf("a regex tolerance needs text, the output is a %s", pyType(value))
		}
		return rx.MatchString(s), nil
	case "jsonpath":
		path, _ := vars.Substitute(t["path"]).(string)
		px, err := jsonpath.Parse(strings.TrimSpace(path))
		if err != nil {
			return false, fmt.Errorf("jsonpath %q: %w", path, err)
		}
		if s, ok := value.(string); ok {
			if decoded, err := pyJSON([]byte(s)); err == nil {
				value = decoded
			}
		}
		values := []any(px.Select(value))
		ok := len(values) > 0
		if c, given := t["count"]; given && c != nil {
			ok = pyEqual(int64(len(values)), c)
		}
		if expect, given := t["expect"]; given {
			expect = vars.Substitute(expect)
			want, isList := expect.([]any)
			if !isList {
				want = []any{expect}
			}
			ok = pyEqual(values, want)
		}
		return ok, nil
	case "range":
		r, _ := t["range"].([]any)
		if len(r) != 2 {
			return false, fmt.Errorf("a range is two values")
		}
		v, ok := decimal(value)
		if !ok {
			if value == nil || isMapOrList(value) {
				return false, fmt.Errorf("a range tolerance needs a number, the output is a %s", pyType(value))
			}
			return false, nil // Decimal("abc"): not a number, not within
		}
		lo, ok1 := decimal(r[0])
		hi, ok2 := decimal(r[1])
		if !ok1 || !ok2 {
			return false, fmt.Errorf("range %v: its bounds are not numbers", r)
		}
		return lo.Cmp(v) <= 0 && v.Cmp(hi) <= 0, nil
	}
	return false, fmt.Errorf("tolerance type %v is not supported", t["type"])
}

func isMapOrList(x any) bool {
	switch x.(type) {
	case map[string]any, []any:
		return true
	}
	return false
}

// decimal reads a number as Python's Decimal does: numbers, and text that is a number.
func decimal(x any) (*big.Rat, bool) {
	switch t := x.(type) {
	case int64:
		return new(big.Rat).SetInt64(t), true
	case float64:
		r := new(big.Rat)
		if r.SetFloat64(t) == nil {
			return nil, false
		}
		return r, true
	case bool:
		if t {
			return big.NewRat(1, 1), true
		}
		return new(big.Rat), true
	case string:
		r, ok := new(big.Rat).SetString(strings.TrimSpace(t))
		return r, ok
	}
	return nil, false
}

// number reads Python's numbers (bool is an int there) as a float for comparing.
func number(x any) (float64, bool) {
	switch t := x.(type) {
	case int64:
		return float64(t), true
	case float64:
		return t, true
	case bool:
		if t {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// pyEqual is Python's ==: 1 == 1.0 == True, and deep equality of lists and mappings.
func pyEqual(a, b any) bool {
	if x, ok := number(a); ok {
		y, ok := number(b)
		return ok && x == y
	}
	switch t := a.(type) {
	case nil:
		return b == nil
	case string:
		s, ok := b.(string)
		return ok && s == t
	case []any:
		u, ok := b.([]any)
		if !ok || len(u) != len(t) {
			return false
		}
		for i := range t {
			if !pyEqual(t[i], u[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		u, ok := b.(map[string]any)
		if !ok || len(u) != len(t) {
			return false
		}
		for k, x := range t {
			y, ok := u[k]
			if !ok || !pyEqual(x, y) {
				return false
			}
		}
		return true
	}
	return false
}

func pyIn(x any, list []any) bool {
	for _, e := range list {
		if pyEqual(x, e) {
			return true
		}
	}
	return false
}

// pyLessEq is Python's <= for numbers and for strings; anything else is a TypeError there.
func pyLessEq(a, b any) (bool, error) {
	if x, ok := number(a); ok {
		if y, ok := number(b); ok {
			return x <= y, nil
		}
	}
	if x, ok := a.(string); ok {
		if y, ok := b.(string); ok {
			return x <= y, nil
		}
	}
	return false, fmt.Errorf("'<=' not supported between a %s and a %s", pyType(a), pyType(b))
}

// pyType names a value's type as Python would.
func pyType(x any) string {
	switch x.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int64:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	}
	return fmt.Sprintf("%T", x)
}
