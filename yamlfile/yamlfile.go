// Package yamlfile decodes a YAML file strictly, with errors a person can act on: the line, the field
// as a path (load.targets[0].url) and what is wanted, never a Go type. The config file and scenario
// files use it.
package yamlfile

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Index maps a file's lines to field paths and back.
type Index struct {
	byLine map[int]string
	byPath map[string]int
}

// Has reports whether the file sets the field at path.
func (idx Index) Has(path string) bool {
	_, ok := idx.byPath[path]
	return ok
}

// Line is the line of the field at path (0 when the file does not set it).
func (idx Index) Line(path string) int { return idx.byPath[path] }

// Decode decodes data strictly (unknown fields are errors) into v. types are the structs of the
// format, whose fields an unknown-field error lists as the ones allowed.
func Decode(data []byte, v any, types ...any) (Index, error) {
	var idx Index
	if len(bytes.TrimSpace(data)) == 0 {
		return idx, nil
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return idx, fmt.Errorf("not valid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	idx = index(&root)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return idx, idx.explain(err, types)
	}
	if errs := numbers(&root, reflect.TypeOf(v), ""); len(errs) > 0 {
		return idx, errors.New(strings.Join(errs, "; "))
	}
	return idx, nil
}

func index(root *yaml.Node) Index {
	idx := Index{byLine: map[int]string{}, byPath: map[string]int{}}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				idx.byPath[p] = k.Line
				idx.byLine[k.Line] = p
				if v.Line != k.Line {
					if _, taken := idx.byLine[v.Line]; !taken || v.Kind == yaml.ScalarNode {
						idx.byLine[v.Line] = p
					}
				}
				walk(v, p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := fmt.Sprintf("%s[%d]", path, i)
				idx.byPath[p] = c.Line
				if _, taken := idx.byLine[c.Line]; !taken {
					idx.byLine[c.Line] = p
				}
				walk(c, p)
			}
		}
	}
	walk(root, "")
	return idx
}

var (
	unknownField = regexp.MustCompile(`line (\d+): field (\S+) not found in type (\S+)`)
	badType      = regexp.MustCompile("line (\\d+): cannot unmarshal !!(\\w+)(?: `([^`]*)`)? into (\\S+)")
	lineMsg      = regexp.MustCompile(`^line (\d+): (.*)$`)
)

// explain rewrites yaml's decoding errors as "line N: field: what is wanted, got what".
func (idx Index) explain(err error, types []any) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		if m := lineMsg.FindStringSubmatch(err.Error()); m != nil { // our own UnmarshalYAML (durations)
			return fmt.Errorf("line %s: %s: %s", m[1], idx.at(m[1]), m[2])
		}
		return fmt.Errorf("not valid YAML: %w", err)
	}
	msgs := make([]string, 0, len(te.Errors))
	for _, e := range te.Errors {
		if m := unknownField.FindStringSubmatch(e); m != nil {
			msgs = append(msgs, fmt.Sprintf("line %s: unknown field %q (allowed here: %s)", m[1], m[2], allowedFields(m[3], types)))
			continue
		}
		if m := badType.FindStringSubmatch(e); m != nil {
			msgs = append(msgs, fmt.Sprintf("line %s: %s: want %s, got %s", m[1], idx.at(m[1]), wanted(m[4], types), quoted(m[2], m[3])))
			continue
		}
		if m := lineMsg.FindStringSubmatch(e); m != nil {
			msgs = append(msgs, fmt.Sprintf("line %s: %s: %s", m[1], idx.at(m[1]), m[2]))
			continue
		}
		msgs = append(msgs, e)
	}
	return errors.New(strings.Join(msgs, "; "))
}

// at is the field at a line ("?" when the line holds none).
func (idx Index) at(line string) string {
	n, _ := strconv.Atoi(line)
	if p, ok := idx.byLine[n]; ok {
		return p
	}
	return "?"
}

// WithLines puts the line of each "field: message" of a validation error in front of it.
func (idx Index) WithLines(err error) error {
	parts := strings.Split(err.Error(), "; ")
	for i, part := range parts {
		field, _, _ := strings.Cut(part, ": ")
		if n, ok := idx.byPath[field]; ok {
			parts[i] = fmt.Sprintf("line %d: %s", n, part)
		}
	}
	return errors.New(strings.Join(parts, "; "))
}

// wanted says in words what a Go type takes.
func wanted(goType string, types []any) string {
	switch {
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "a whole number"
	case goType == "bool":
		return "true or false"
	case goType == "string":
		return "text"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map["):
		return "a mapping of names to values"
	case strings.Contains(goType, "."):
		return "a mapping with the fields " + allowedFields(goType, types)
	}
	return "another kind of value (see docs/CONFIG.md)"
}

func quoted(tag, v string) string {
	switch tag {
	case "map":
		return "a mapping"
	case "seq":
		return "a list"
	}
	return strconv.Quote(v)
}

// allowedFields lists the yaml names of the struct type named in a yaml error ("config.Safety").
func allowedFields(typeName string, types []any) string {
	for _, v := range types {
		t := reflect.TypeOf(v)
		if t.String() != typeName {
			continue
		}
		names := make([]string, 0, t.NumField())
		for i := 0; i < t.NumField(); i++ {
			if tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]; tag != "" && tag != "-" {
				names = append(names, tag)
			}
		}
		sort.Strings(names)
		return strings.Join(names, ", ")
	}
	return "see the format's documentation"
}
