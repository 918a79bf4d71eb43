package yamlfile

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// numbers finds what YAML lets through into numeric fields and no one means: .nan and .inf into a
// number (every "v <= 0" check lets NaN pass), and a fraction into a whole number (yaml cuts 2.7 to
// 2 without a word). It walks the file's nodes beside the Go type they decode into.
func numbers(n *yaml.Node, t reflect.Type, path string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshaler) {
		return nil // its own UnmarshalYAML says what it takes
	}
	var errs []string
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			errs = append(errs, numbers(c, t, path)...)
		}
	case yaml.AliasNode:
		if n.Alias != nil {
			errs = append(errs, numbers(n.Alias, t, path)...)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			switch t.Kind() {
			case reflect.Struct:
				if f, ok := fieldByTag(t, k.Value); ok {
					errs = append(errs, numbers(v, f.Type, p)...)
				}
			case reflect.Map:
				errs = append(errs, numbers(v, t.Elem(), p)...)
			}
		}
	case yaml.SequenceNode:
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			for i, c := range n.Content {
				errs = append(errs, numbers(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	case yaml.ScalarNode:
		if e := scalar(n, t.Kind()); e != "" {
			errs = append(errs, fmt.Sprintf("line %d: %s: %s", n.Line, path, e))
		}
	}
	return errs
}

var unmarshaler = reflect.TypeFor[yaml.Unmarshaler]()

// scalar says what is wrong with a number scalar for a field of kind k ("" if nothing).
func scalar(n *yaml.Node, k reflect.Kind) string {
	if n.ShortTag() != "!!float" {
		return ""
	}
	switch k {
	case reflect.Float32, reflect.Float64:
		// YAML's non-finite floats are .nan and [+-].inf; a finite one may still overflow.
		v, err := strconv.ParseFloat(n.Value, 64)
		if low := strings.ToLower(n.Value); strings.Contains(low, "nan") || strings.Contains(low, "inf") ||
			err != nil || math.IsInf(v, 0) {
			return fmt.Sprintf("want a finite number, got %s", n.Value)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return fmt.Sprintf("want a whole number, got %s", n.Value)
	}
	return ""
}

// fieldByTag finds the struct field a YAML key decodes into.
func fieldByTag(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")
		name := tag[0]
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		if name == key {
			return f, true
		}
		if len(tag) > 1 && tag[1] == "inline" {
			if g, ok := fieldByTag(f.Type, key); ok {
				return g, true
			}
		}
	}
	return reflect.StructField{}, false
}
