package gameday_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gamedaylab/gameday/actions"
)

// TestActionNamesAreComparedByName (issue 33): the catalog declares every action's name once
// (actions.Name); no other package compares an action or a spec with a string spelling one
// (`e.Action == "kill"`, `case "fault":` on an entry's action), which is how a renamed or dead name
// used to live on in six packages.
func TestActionNamesAreComparedByName(t *testing.T) {
	names := map[string]bool{}
	for _, s := range actions.Catalog() {
		names[string(s.Name)] = true
	}
	isName := func(e ast.Expr) bool {
		lit, ok := e.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return false
		}
		v, err := strconv.Unquote(lit.Value)
		return err == nil && names[v]
	}
	// onAction: an expression that reads an action's name (X.Action, X.Name of a spec, X.Spec().Name).
	onAction := func(e ast.Expr) bool {
		sel, ok := e.(*ast.SelectorExpr)
		return ok && (sel.Sel.Name == "Action" || sel.Sel.Name == "Name" && isSpec(sel.X))
	}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != "." && (strings.HasPrefix(n, ".") || n == "testbed" || path == "actions") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BinaryExpr:
				if (n.Op == token.EQL || n.Op == token.NEQ) && (onAction(n.X) && isName(n.Y) || onAction(n.Y) && isName(n.X)) {
					t.Errorf("%s: compares an action with a string; use the actions.Name constant", fset.Position(n.Pos()))
				}
			case *ast.SwitchStmt:
				if n.Tag == nil || !onAction(n.Tag) {
					return true
				}
				for _, c := range n.Body.List {
					for _, e := range c.(*ast.CaseClause).List {
						if isName(e) {
							t.Errorf("%s: a case of an action's name spelled as a string; use the actions.Name constant", fset.Position(e.Pos()))
						}
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// isSpec guesses that X of X.Name is a catalog spec: a variable named spec/s or a Spec() call.
func isSpec(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name == "spec" || x.Name == "s"
	case *ast.CallExpr:
		sel, ok := x.Fun.(*ast.SelectorExpr)
		return ok && sel.Sel.Name == "Spec"
	}
	return false
}
