package scenario

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite docs/scenario.schema.json")

const schemaFile = "../docs/scenario.schema.json"

// TestSchemaIsGenerated: docs/scenario.schema.json is what the Go types give today (go test
// ./scenario -update rewrites it).
func TestSchemaIsGenerated(t *testing.T) {
	got, err := Schema(true)
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(schemaFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemaFile)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s is not what the Go types give (%v): run go test ./scenario -update", schemaFile, err)
	}
}

func compiled(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(must(os.ReadFile(schemaFile))))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// asJSON reads YAML into the values a JSON Schema validator takes.
func asJSON(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	b := must(jsonMarshal(v))
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestExamplesValidateAgainstTheSchema: every file in examples/ is valid for the published schema
// (by an independent validator), and files the parser refuses are refused by the schema too.
func TestExamplesValidateAgainstTheSchema(t *testing.T) {
	sch := compiled(t)
	files, _ := filepath.Glob("../examples/*.yaml")
	if len(files) < 3 {
		t.Fatalf("examples: %v", files)
	}
	for _, f := range files {
		if err := sch.Validate(asJSON(t, must(os.ReadFile(f)))); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	good := string(must(os.ReadFile("../examples/kill-and-recover.yaml")))
	for name, bad := range map[string]string{
		"unknown field": strings.Replace(good, "target: deploy/web", "target: deploy/web\ntargte: x", 1),
		"bad phase":     strings.Replace(good, "phases: [before]", "phases: [later]", 1),
		"bad action":    strings.Replace(good, "- action: kill", "- action: explode", 1),
		"bad duration":  strings.Replace(good, "within: 60s", "within: soon", 1),
		"no method":     good[:strings.Index(good, "method:")],
	} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("%s: the parser accepts it", name)
		}
		if err := sch.Validate(asJSON(t, []byte(bad))); err == nil {
			t.Errorf("%s: the schema accepts it", name)
		}
	}
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
