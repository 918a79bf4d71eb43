// Package chaostoolkit reads Chaos Toolkit experiments (JSON or YAML) as the Chaos Toolkit does and
// runs them on a gameday session: the providers people use map to gameday's own actions (through the
// catalog, the guard, the journal and HALT) and probes, tolerances and ${var} substitution follow
// chaoslib, and the run ends with the Chaos Toolkit's outcome and journal. The rules it follows, and
// where they come from, are in ../shared/facts/interop.md and the README's "Already have experiments?".
package chaostoolkit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gamedaylab/gameday/yamlfile"
)

// Experiment is one Chaos Toolkit experiment as read from its file.
type Experiment struct {
	File          string
	Title         string
	Description   string
	Tags          []string
	Configuration map[string]any
	Secrets       map[string]any
	Hypothesis    *Hypothesis
	Method        []Activity
	Rollbacks     []Activity
	Runtime       Runtime
	// Doc is the document as read: the journal carries it back as "experiment".
	Doc map[string]any
	idx yamlfile.Index
}

// Hypothesis is the steady-state hypothesis.
type Hypothesis struct {
	Title  string
	Probes []Activity
}

// Activity is a probe or an action of the hypothesis, the method or the rollbacks.
type Activity struct {
	Type     string // probe or action
	Name     string
	Ref      string // a reference to another activity by name
	Provider Provider
	// Tolerance is the hypothesis probe's tolerance as written (before substitution).
	Tolerance    any
	HasTolerance bool
	PauseBefore  any // a number of seconds or "${var}"
	PauseAfter   any
	Background   bool
	// Raw is the activity as written: the journal's run entries copy it.
	Raw map[string]any
	// Path names the activity in the file (method[2]) for errors.
	Path string
}

// Provider is how an activity is carried out.
type Provider struct {
	Type      string // python, process or http
	Module    string
	Func      string
	Arguments any // python: a map; process: a list, a string or a map; http: a map
	Secrets   []string
	// Path is a process provider's executable.
	Path string
	// http provider.
	URL       string
	Method    string
	Headers   map[string]any
	Timeout   any
	VerifyTLS bool
}

// Runtime holds the strategies the file sets (empty: default).
type Runtime struct {
	Hypothesis string
	Rollbacks  string
}

// Detect reports whether data is shaped like a Chaos Toolkit experiment: a top-level method list
// whose entries are typed activities (or refs), or a steady-state-hypothesis.
func Detect(data []byte) bool {
	var doc map[string]any
	if _, err := yamlfile.Decode(data, &doc); err != nil || doc == nil {
		return false
	}
	if _, ok := doc["steady-state-hypothesis"]; ok {
		return true
	}
	m, ok := doc["method"].([]any)
	if !ok {
		return false
	}
	for _, a := range m {
		am, ok := a.(map[string]any)
		if !ok {
			return false
		}
		_, typed := am["type"]
		_, ref := am["ref"]
		if !typed && !ref {
			return false
		}
	}
	return true
}

// Read loads and checks an experiment file as `chaos validate` would (without reaching a cluster),
// and refuses what gameday cannot run; the error lists every problem, each with its line.
func Read(file string) (*Experiment, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return Parse(file, data)
}

// Parse is Read of data already loaded; file names it in errors and decides the format.
func Parse(file string, data []byte) (*Experiment, error) { return ParseAllowing(file, data, false) }

// ParseAllowing is Parse, where process activities are run when allowProcess (their executables
// must then be found, as chaos validate checks) and refused otherwise.
func ParseAllowing(file string, data []byte, allowProcess bool) (*Experiment, error) {
	switch strings.ToLower(filepath.Ext(file)) {
	case ".json", ".yaml", ".yml":
	default:
		return nil, fmt.Errorf("%s: a Chaos Toolkit experiment is a .json, .yaml or .yml file", file)
	}
	var doc map[string]any
	idx, err := yamlfile.Decode(data, &doc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if doc == nil {
		return nil, fmt.Errorf("%s: empty: a Chaos Toolkit experiment needs a title, a description and a method", file)
	}
	doc = normalize(doc).(map[string]any)
	e := &Experiment{File: file, Doc: doc, idx: idx}
	v := &checker{e: e, allowProcess: allowProcess}
	e.read(v)
	v.validate()
	if err := v.err(); err != nil {
		return nil, err
	}
	return e, nil
}

// normalize turns YAML's decoded values into JSON's (map[string]any, []any, float64 and int64 as
// numbers), so both formats read alike.
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = normalize(x)
		}
		return t
	case []any:
		for i, x := range t {
			t[i] = normalize(x)
		}
		return t
	case int:
		return int64(t)
	case uint64:
		return int64(t)
	}
	return v
}

func (e *Experiment) read(v *checker) {
	d := e.Doc
	e.Title, _ = d["title"].(string)
	e.Description, _ = d["description"].(string)
	if tags, ok := d["tags"].([]any); ok {
		for i, t := range tags {
			s, ok := t.(string)
			if !ok || s == "" {
				v.add(fmt.Sprintf("tags[%d]", i), "experiment tags must be a non-empty string")
				continue
			}
			e.Tags = append(e.Tags, s)
		}
	}
	e.Configuration, _ = d["configuration"].(map[string]any)
	e.Secrets, _ = d["secrets"].(map[string]any)
	if h, ok := d["steady-state-hypothesis"].(map[string]any); ok {
		e.Hypothesis = &Hypothesis{}
		e.Hypothesis.Title, _ = h["title"].(string)
		if _, ok := h["title"]; !ok {
			v.add("steady-state-hypothesis", "hypothesis requires a title")
		}
		e.Hypothesis.Probes = v.activities(h["probes"], "steady-state-hypothesis.probes")
	}
	e.Method = v.activities(d["method"], "method")
	e.Rollbacks = v.activities(d["rollbacks"], "rollbacks")
	if rt, ok := d["runtime"].(map[string]any); ok {
		e.Runtime.Hypothesis = strategy(rt, "hypothesis")
		e.Runtime.Rollbacks = strategy(rt, "rollbacks")
	}
}

func strategy(rt map[string]any, key string) string {
	m, _ := rt[key].(map[string]any)
	s, _ := m["strategy"].(string)
	return s
}

func (v *checker) activities(raw any, path string) []Activity {
	list, ok := raw.([]any)
	if raw != nil && !ok {
		v.add(path, "must be a list of activities")
		return nil
	}
	out := make([]Activity, 0, len(list))
	for i, x := range list {
		p := fmt.Sprintf("%s[%d]", path, i)
		m, ok := x.(map[string]any)
		if !ok {
			v.add(p, "an activity is a mapping with type, name and provider (or a ref)")
			continue
		}
		out = append(out, readActivity(m, p))
	}
	return out
}

func readActivity(m map[string]any, path string) Activity {
	a := Activity{Raw: m, Path: path}
	a.Type, _ = m["type"].(string)
	a.Name, _ = m["name"].(string)
	a.Ref, _ = m["ref"].(string)
	a.Tolerance, a.HasTolerance = m["tolerance"]
	if p, ok := m["pauses"].(map[string]any); ok {
		a.PauseBefore, a.PauseAfter = p["before"], p["after"]
	}
	a.Background, _ = m["background"].(bool)
	if pm, ok := m["provider"].(map[string]any); ok {
		a.Provider = readProvider(pm)
	}
	return a
}

func readProvider(m map[string]any) Provider {
	p := Provider{Arguments: m["arguments"], Timeout: m["timeout"], VerifyTLS: true, Method: "GET"}
	p.Type, _ = m["type"].(string)
	p.Module, _ = m["module"].(string)
	p.Func, _ = m["func"].(string)
	p.Path, _ = m["path"].(string)
	p.URL, _ = m["url"].(string)
	if s, ok := m["method"].(string); ok {
		p.Method = strings.ToUpper(s)
	}
	p.Headers, _ = m["headers"].(map[string]any)
	if b, ok := m["verify_tls"].(bool); ok {
		p.VerifyTLS = b
	}
	if s, ok := m["secrets"].([]any); ok {
		for _, x := range s {
			if n, ok := x.(string); ok {
				p.Secrets = append(p.Secrets, n)
			}
		}
	}
	return p
}

// Line is the line of a field path in the file (0 when unknown).
func (e *Experiment) Line(path string) int { return e.idx.Line(path) }

// JSON is the experiment as the journal records it.
func (e *Experiment) JSON() json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(e.Doc)
	return bytes.TrimSpace(b.Bytes())
}
