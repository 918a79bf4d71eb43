package chaostoolkit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Vars are the configuration and secrets an experiment's ${var} substitution reads, resolved:
// configuration first, then each secret scope's entries (chaoslib's ChainMap).
type Vars struct {
	Configuration map[string]any
	Secrets       map[string]map[string]any
}

// Resolve reads the experiment's configuration and secrets, taking env entries from getenv, and
// overrides from vars (--var NAME=VALUE). A missing env variable without a default is an error, in
// chaoslib's words.
func (e *Experiment) Resolve(getenv func(string) (string, bool), overrides map[string]any) (Vars, error) {
	if getenv == nil {
		getenv = os.LookupEnv
	}
	v := Vars{Configuration: map[string]any{}, Secrets: map[string]map[string]any{}}
	for _, k := range sortedKeys(e.Configuration) {
		val, err := resolveValue(e.Configuration[k], getenv, "Configuration makes")
		if err != nil {
			return v, fmt.Errorf("%s: configuration.%s: %w", e.File, k, err)
		}
		v.Configuration[k] = val
	}
	for k, x := range overrides {
		v.Configuration[k] = x
	}
	for _, scope := range sortedKeys(e.Secrets) {
		m, _ := e.Secrets[scope].(map[string]any)
		v.Secrets[scope] = map[string]any{}
		for _, k := range sortedKeys(m) {
			val, err := resolveValue(m[k], getenv, "Secrets make")
			if err != nil {
				return v, fmt.Errorf("%s: secrets.%s.%s: %w", e.File, scope, k, err)
			}
			v.Secrets[scope][k] = val
		}
	}
	return v, nil
}

func resolveValue(x any, getenv func(string) (string, bool), what string) (any, error) {
	m, ok := x.(map[string]any)
	if !ok || m["type"] != "env" {
		return x, nil
	}
	key, _ := m["key"].(string)
	s, found := getenv(key)
	if !found {
		if d, ok := m["default"]; ok {
			return d, nil
		}
		return nil, fmt.Errorf("%s reference to an environment key that does not exist: %s", what, key)
	}
	typ, _ := m["env_var_type"].(string)
	return convert(s, typ)
}

// convert reads an env variable's text as env_var_type (or a --var's type) says.
func convert(s, typ string) (any, error) {
	switch typ {
	case "", "str", "bytes":
		return s, nil
	case "int":
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not an int", s)
		}
		return n, nil
	case "float":
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a float", s)
		}
		return f, nil
	case "bool":
		// Python's bool(str) would be true for any non-empty text; chaoslib reads these words.
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true", "1", "yes", "y", "on":
			return true, nil
		}
		return false, nil
	case "json":
		v, err := pyJSON([]byte(s))
		if err != nil {
			return nil, fmt.Errorf("%q: %w", s, err)
		}
		return v, nil
	}
	return nil, fmt.Errorf("env_var_type %q: one of int, float, bytes, bool, json, str", typ)
}

// pyJSON decodes JSON as Python's json does: a number without a fraction or exponent is an int
// (int64), any other a float.
func pyJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	return pyNumbers(v), nil
}

func pyNumbers(v any) any {
	switch t := v.(type) {
	case json.Number:
		if n, err := t.Int64(); err == nil && !strings.ContainsAny(t.String(), ".eE") {
			return n
		}
		f, _ := t.Float64()
		return f
	case map[string]any:
		for k, x := range t {
			t[k] = pyNumbers(x)
		}
	case []any:
		for i, x := range t {
			t[i] = pyNumbers(x)
		}
	}
	return v
}

// lookup finds name in the configuration, then in the secret scopes.
func (v Vars) lookup(name string) (any, bool) {
	if x, ok := v.Configuration[name]; ok {
		return x, true
	}
	for _, scope := range sortedKeys(anyMap(v.Secrets)) {
		if x, ok := v.Secrets[scope][name]; ok {
			return x, true
		}
	}
	return nil, false
}

func anyMap(m map[string]map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, x := range m {
		out[k] = x
	}
	return out
}

// template is Python's string.Template pattern: $$, $name, ${name}, or a lone $ (left as is).
var template = regexp.MustCompile(`(?i)\$(?:(\$)|([_a-z][_a-z0-9]*)|\{([_a-z][_a-z0-9]*)\})`)

// wholeVar is a string that is exactly one ${name}: it takes the value itself, with its type.
var wholeVar = regexp.MustCompile(`^\$\{([_a-zA-Z][_a-zA-Z0-9]*)\}$`)

func isWholeVar(x any) bool {
	s, ok := x.(string)
	return ok && wholeVar.MatchString(s)
}

// Substitute replaces ${name} as chaoslib does: in strings, recursively in maps and lists; a string
// that is exactly "${name}" of a known name becomes the value itself; unknown names stay as written.
func (v Vars) Substitute(x any) any {
	switch t := x.(type) {
	case string:
		if m := wholeVar.FindStringSubmatch(t); m != nil {
			if val, ok := v.lookup(m[1]); ok {
				return val
			}
		}
		return template.ReplaceAllStringFunc(t, func(s string) string {
			m := template.FindStringSubmatch(s)
			switch {
			case m[1] != "":
				return "$"
			case m[2] != "" || m[3] != "":
				name := m[2] + m[3]
				if val, ok := v.lookup(name); ok {
					return pyStr(val)
				}
			}
			return s
		})
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = v.Substitute(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = v.Substitute(e)
		}
		return out
	}
	return x
}

// pyStr is how Python's str() writes a value interpolated into text.
func pyStr(x any) string {
	switch t := x.(type) {
	case string:
		return t
	case bool:
		if t {
			return "True"
		}
		return "False"
	case nil:
		return "None"
	case int64:
		return strconv.FormatInt(t, 10)
	case float64:
		s := strconv.FormatFloat(t, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eEn") {
			s += ".0"
		}
		return s
	}
	b, _ := json.Marshal(x)
	return string(b)
}

// ParseVar reads one --var as the Chaos Toolkit does: NAME=VALUE or NAME:TYPE=VALUE, TYPE one of
// int, float, bytes, bool, json, str.
func ParseVar(s string) (string, any, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return "", nil, fmt.Errorf("--var %q: want NAME=VALUE or NAME:TYPE=VALUE", s)
	}
	name, typ, _ := strings.Cut(k, ":")
	val, err := convert(v, typ)
	if err != nil {
		return "", nil, fmt.Errorf("--var %s: %w", name, err)
	}
	return name, val, nil
}
