package layering

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// listedPackage is what the test reads of go list -json.
type listedPackage struct {
	ImportPath     string
	Dir            string
	GoFiles        []string
	CgoFiles       []string
	IgnoredGoFiles []string // excluded by build constraints for this build
	Module         *struct{ Path, Dir string }
	Error          *struct{ Err string }
}

// moduleGraph lists the module's packages with go list and reads the imports
// of every non-test file of each, whatever its build constraints. Paths are
// relative to the module.
func moduleGraph(t *testing.T) (pkgs []string, edges []edge) {
	t.Helper()
	goCmd, err := exec.LookPath("go") // go test puts GOROOT/bin first on PATH
	require.NoError(t, err)
	cmd := exec.Command(goCmd, "list", "-e", "-json", "github.com/descent-ml/descent/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "go list: %s", stderr.String())

	fset := token.NewFileSet()
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else {
			require.NoError(t, err)
		}
		require.Nil(t, p.Error, "go list: %s", p.ImportPath)
		require.NotNil(t, p.Module, p.ImportPath)
		mod := p.Module.Path
		rel := relTo(mod, p.ImportPath)
		pkgs = append(pkgs, rel)
		files := append(append(append([]string(nil), p.GoFiles...), p.CgoFiles...), p.IgnoredGoFiles...)
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			path := filepath.Join(p.Dir, name)
			f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
			require.NoError(t, err)
			for _, imp := range f.Imports {
				to, err := strconv.Unquote(imp.Path.Value)
				require.NoError(t, err)
				if to != mod && !strings.HasPrefix(to, mod+"/") {
					continue
				}
				pos := fset.Position(imp.Pos())
				fileRel, err := filepath.Rel(p.Module.Dir, pos.Filename)
				require.NoError(t, err)
				edges = append(edges, edge{from: rel, to: relTo(mod, to), pos: fmt.Sprintf("%s:%d", filepath.ToSlash(fileRel), pos.Line)})
			}
		}
	}
	return pkgs, edges
}

func relTo(mod, path string) string {
	if path == mod {
		return ""
	}
	return strings.TrimPrefix(path, mod+"/")
}

// No non-test file of the module imports upward, and every package has its
// layer.
func TestImportsRunDownward(t *testing.T) {
	pkgs, edges := moduleGraph(t)
	require.Contains(t, pkgs, "model", "go list found the module's packages")
	require.NotEmpty(t, edges)
	for _, msg := range check(pkgs, edges) {
		t.Error(msg)
	}
}

// The check catches what it is there to catch.
func TestCheckCatchesUpwardImports(t *testing.T) {
	got := check(
		[]string{"report", "train", "model", "backend", "backend/backendtest", "data", "metrics", "cli", "cli/descent", "newpkg"},
		[]edge{
			{"report", "train", "report/experiment.go:15"},                       // up
			{"backend/backendtest", "model", "backend/backendtest/planner.go:5"}, // up
			{"data", "metrics", "data/x.go:3"},                                   // sideways
			{"train", "model", "train/trainer.go:9"},                             // down: fine
			{"backend/backendtest", "backend", "backend/backendtest/dense.go:9"}, // same layer: fine
			{"cli/descent", "cli", "cli/descent/main.go:6"},                      // down: fine
			{"cli", "internal/atomicfile", "cli/atomic.go:4"},                    // internal: fine
		})
	assert.Equal(t, []string{
		"backend/backendtest/planner.go:5: backend/backendtest imports model: an import that runs up, from layer backend (rank 3) to layer model (rank 4)",
		"data/x.go:3: data imports metrics: layers data and metrics are siblings (rank 1) and may not import each other",
		"package newpkg is in no layer: add it to layers in internal/layering/layers.go",
		"report/experiment.go:15: report imports train: an import that runs up, from layer report (rank 1) to layer train (rank 6)",
	}, got)
}

// The packages that are coming have their place already.
func TestLayerOf(t *testing.T) {
	for rel, want := range map[string]string{
		"internal/atomicfile": "internal", "bindings/mpi": "bindings", "backend/registry": "backend",
		"predict": "predict", "serve": "serve", "serve/http": "serve", "cli": "cli", "cli/descent": "commands",
		"examples/mnist": "commands", "scripts/reproduction": "commands", "numpyfmt": "numpyfmt",
	} {
		l, ok := layerOf(rel)
		if assert.True(t, ok, rel) {
			assert.Equal(t, want, l.name, rel)
		}
	}
	for _, rel := range []string{"", "clix", "modelzoo"} {
		_, ok := layerOf(rel)
		assert.False(t, ok, rel)
	}
}
