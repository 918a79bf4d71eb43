package gameday_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/gamedaylab/gameday/"

// layers ranks every package (docs/ARCHITECTURE.md draws the same table): a package may import only
// packages of a lower rank. A new package must be given a rank here.
var layers = map[string]int{
	// Leaves: domain types, the bus, load profiles, palettes.
	"bounds": -1,
	"model":  0, "bus": 0, "load": 0, "themes": 0, "revert": 0, "engines": 0,
	// What is measured of a target, and how each metric convention reads it.
	"signals": 0,
	// The config file; the backends' shared types; the actions; the load engine.
	"yamlfile": 0, "config": 1, "sources": 1, "sources/discover": 1, "actions": 1, "load/engine": 1,
	// Backends by technology, and the simulated world.
	"sources/kube": 2, "sources/prometheus": 2, "sources/zipkin": 2, "sources/jaeger": 2, "sources/elasticsearch": 2, "sim": 2,
	// Which trace backend a cluster has (Zipkin or Jaeger).
	"sources/tracing": 3,
	// The experiment file.
	"scenario": 2,
	// Continuous chaos, acting through a session.
	"monkey": 2,
	// the recording file format (header, envelopes, zstd, scrubbing); the player is the session's
	"recording": 2,
	// The session: a game day without a UI.
	"session": 4,
	// Experiments run on a session; Chaos Toolkit experiments too, by the Chaos Toolkit's rules.
	"experiment": 5, "experiment/bridge": 5, "experiment/chaostoolkit": 6, "experiment/chaosmesh": 6, "experiment/litmus": 6,
	// A run's report, from its journal.
	"report": 6,
	// The cockpit.
	"tui/keys": 5, "tui/screen": 5, "tui/core": 6, "tui/panes": 7, "tui": 8,
	// Binaries: flags and wiring.
	"cmd/gameday": 9, "cmd/demoapp": 9,
	// Test infrastructure: real servers for tests; only tests import it.
	"testbed": 10, "testbed/churn": 10, "testbed/hello": 10,
}

// uiRuntime is the terminal UI runtime: only the cockpit and the binary may import it.
var uiRuntime = []string{"charm.land/bubbletea", "charm.land/bubbles", "charm.land/huh", "github.com/charmbracelet/x/term"}

// TestImportLayersRunOneWay lists every package's imports (test files aside) and fails when a lower
// layer imports a higher one or the same one, when a package below the cockpit imports the terminal
// UI runtime, or when a package has no rank.
func TestImportLayersRunOneWay(t *testing.T) {
	imports := listImports(t)
	var bad []string
	for pkg, imps := range imports {
		rank, ok := layers[pkg]
		if !ok {
			bad = append(bad, pkg+": no layer: give it a rank in layers_test.go and docs/ARCHITECTURE.md")
			continue
		}
		for _, imp := range imps {
			if own, ok := strings.CutPrefix(imp, module); ok {
				r, known := layers[own]
				if known && r >= rank && !(strings.HasPrefix(pkg, "testbed") && strings.HasPrefix(own, "testbed")) {
					bad = append(bad, pkg+" (layer "+strconv.Itoa(rank)+") imports "+own+" (layer "+strconv.Itoa(r)+")")
				}
				continue
			}
			for _, ui := range uiRuntime {
				if strings.HasPrefix(imp, ui) && !strings.HasPrefix(pkg, "tui") && pkg != "cmd/gameday" {
					bad = append(bad, pkg+" imports the terminal UI runtime ("+imp+"): only tui/ and cmd/ may")
				}
			}
		}
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Error(b)
	}
	if len(imports) < 20 {
		t.Fatalf("found only %d packages: the walk is broken", len(imports))
	}
}

// listImports parses the imports of every non-test Go file under the module.
func listImports(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != "." && (strings.HasPrefix(n, ".") || n == "testdata" || n == "bin") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && path != "." {
				return filepath.SkipDir // a module of its own (testbed/otelapp), not layered here
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(filepath.Dir(path))
		for _, s := range f.Imports {
			p, _ := strconv.Unquote(s.Path.Value)
			out[pkg] = append(out[pkg], p)
		}
		if _, ok := out[pkg]; !ok {
			out[pkg] = nil
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
