package scenario

import (
	"fmt"

	"github.com/google/cel-go/cel"
)

// Compile compiles the probe's CEL expression: validation refuses one that does not compile (or is
// not true or false), and a run evaluates the program.
func (p KubernetesProbe) Compile() (cel.Program, error) {
	// Optional types: object.status.?readyReplicas.orValue(0), since the API omits a count that is 0.
	env, err := cel.NewEnv(cel.Variable("object", cel.DynType), cel.OptionalTypes())
	if err != nil {
		return nil, err
	}
	ast, iss := env.Compile(p.Expr)
	if iss.Err() != nil {
		return nil, fmt.Errorf("expr %q: %w", p.Expr, iss.Err())
	}
	if ast.OutputType() != cel.BoolType && ast.OutputType() != cel.DynType {
		return nil, fmt.Errorf("expr %q is a %s, want true or false", p.Expr, ast.OutputType())
	}
	return env.Program(ast)
}
