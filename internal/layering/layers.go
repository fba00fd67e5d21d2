// Package layering declares the layers of descent and the one rule between
// them: a package imports only packages of its own layer or of a lower one.
// Its test lists every package of the module with go list and fails on an
// import that runs up, naming the file and the import.
//
// The layers, bottom to top (a layer may import every layer below it; the
// layers that share a rank are siblings and import none of each other):
//
//	0  internal     internal/...: helpers every layer may use
//	1  numpyfmt     standalone leaves, importing nothing of descent but
//	   metrics      internal: NumPy-style printing, scikit-learn's metrics,
//	   data         the data sets, the run folders and their page
//	   report
//	2  bindings     bindings/...: thin cgo over the native libraries
//	3  backend      backend/...: the Engine interface, the engines, the
//	                registry and the conformance suites
//	4  model        the network: layers, activations, Workspace
//	5  predict      inference over snapshots of a trained model
//	6  train        losses, optimizers, the training loop (evaluation runs
//	                on a Predictor)
//	7  bench        the epoch timer and the prediction benchmark
//	   serve        the model server
//	   checkpoint   checkpoints of a Fit (safetensors weights, optimizer
//	                state, position) and resuming from them
//	8  cli          the urfave/cli application
//	9  commands     cli/descent, bench/peers, bench/cmd/..., scripts/..., examples/...:
//	                main packages
//
// Only non-test files are checked (tests may import upward to compare with
// the layer above), but all of them, whatever their build constraints: the
// no-cgo stubs must obey the rule as the cgo files do. A package in no layer
// fails the test too: give a new package its place here.
package layering

import (
	"fmt"
	"slices"
	"strings"
)

// A layer is a named set of packages, given as paths relative to the module
// ("model") or as a path and everything below it ("backend/...").
type layer struct {
	rank     int
	name     string
	packages []string
}

// layers is the declared order, bottom to top.
var layers = []layer{
	{0, "internal", []string{"internal/..."}},
	{1, "numpyfmt", []string{"numpyfmt/..."}},
	{1, "metrics", []string{"metrics/..."}},
	{1, "data", []string{"data/..."}},
	{1, "report", []string{"report/..."}},
	{2, "bindings", []string{"bindings/..."}},
	{3, "backend", []string{"backend/..."}},
	{4, "model", []string{"model/..."}},
	{5, "predict", []string{"predict/..."}},
	{6, "train", []string{"train/..."}},
	{7, "bench", []string{"bench/..."}},
	{7, "serve", []string{"serve/..."}},
	{7, "checkpoint", []string{"checkpoint/..."}},
	{8, "cli", []string{"cli"}},
	{9, "commands", []string{"cli/descent", "bench/peers", "bench/cmd/...", "scripts/...", "examples/..."}},
}

// layerOf returns the layer of the package at rel (a path relative to the
// module; "" is the module root). The longest matching pattern wins, so
// that "cli/descent" is a command and "cli" is not.
func layerOf(rel string) (layer, bool) {
	var best layer
	bestLen := -1
	for _, l := range layers {
		for _, p := range l.packages {
			if n := matchLen(p, rel); n > bestLen {
				best, bestLen = l, n
			}
		}
	}
	return best, bestLen >= 0
}

// matchLen is the length of pattern's fixed part if it matches rel, or −1.
func matchLen(pattern, rel string) int {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		if rel == base || strings.HasPrefix(rel, base+"/") {
			return len(base)
		}
		return -1
	}
	if rel == pattern {
		return len(pattern)
	}
	return -1
}

// An edge is one import in one non-test file of a package.
type edge struct {
	from, to string // package paths relative to the module
	pos      string // file:line of the import
}

// check returns one message per package in no layer and per import that
// runs up or sideways, sorted. It ignores imports outside the module.
func check(pkgs []string, edges []edge) []string {
	var bad []string
	for _, p := range pkgs {
		if _, ok := layerOf(p); !ok {
			bad = append(bad, fmt.Sprintf("package %s is in no layer: add it to layers in internal/layering/layers.go", p))
		}
	}
	for _, e := range edges {
		from, ok1 := layerOf(e.from)
		to, ok2 := layerOf(e.to)
		switch {
		case !ok1 || !ok2 || from.name == to.name || to.rank < from.rank:
			continue
		case to.rank == from.rank:
			bad = append(bad, fmt.Sprintf("%s: %s imports %s: layers %s and %s are siblings (rank %d) and may not import each other",
				e.pos, e.from, e.to, from.name, to.name, from.rank))
		default:
			bad = append(bad, fmt.Sprintf("%s: %s imports %s: an import that runs up, from layer %s (rank %d) to layer %s (rank %d)",
				e.pos, e.from, e.to, from.name, from.rank, to.name, to.rank))
		}
	}
	slices.Sort(bad)
	return slices.Compact(bad)
}
