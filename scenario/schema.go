package scenario

import (
	"encoding/json"
	"reflect"

	"github.com/invopop/jsonschema"

	"github.com/gamedaylab/gameday/config"
)

// SchemaID names the published schema (docs/scenario.schema.json).
const SchemaID = "https://gameday.dev/schemas/v1alpha1/experiment.json"

// Schema is the file format's JSON Schema, reflected from the Go types so the two cannot drift: the
// field names are the YAML ones, unknown fields are refused as the strict decoder refuses them, and
// an action is one of the catalog's commands. With comments, the Go doc comments of this package
// (read from source: the generating test has it) become descriptions.
func Schema(comments bool) ([]byte, error) {
	r := &jsonschema.Reflector{FieldNameTag: "yaml", RequiredFromJSONSchemaTags: true,
		Mapper: func(t reflect.Type) *jsonschema.Schema {
			if t == reflect.TypeOf(config.Duration{}) {
				return &jsonschema.Schema{Type: "string", Pattern: `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`,
					Description: "a Go duration: 500ms, 30s, 2m, 1h30m"}
			}
			return nil
		}}
	if comments {
		if err := r.AddGoComments("github.com/gamedaylab/gameday/scenario", "."); err != nil {
			return nil, err
		}
	}
	s := r.Reflect(&Experiment{})
	s.ID = SchemaID
	s.Title = "gameday experiment"
	if step, ok := s.Definitions["Step"]; ok {
		if a, ok := step.Properties.Get("action"); ok {
			for _, c := range Commands() {
				a.Enum = append(a.Enum, c)
			}
		}
	}
	return json.MarshalIndent(s, "", "  ")
}
