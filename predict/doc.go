// Package predict answers predictions from a trained model, from any number
// of goroutines at once, while the model may go on training elsewhere.
//
// A Predictor serves a snapshot of a model.Sequential: a private copy of its
// parameters, preprocessing and labels, taken by New and by every Swap, so
// the Trainer that owns the original may keep changing it. Swap replaces the
// snapshot atomically: each request runs entirely on the snapshot it started
// with, old or new, never a mix of the two.
//
// Inputs are raw features, (rows, Input) row-major float32 in the units the
// model's users have (0–255 pixels for MNIST): the Predictor applies the
// model's recorded Preprocessing before the first layer. PredictSource is
// the exception: a data.Source already yields preprocessed features.
//
// Concurrency. A Predictor owns a pool of Workers workspaces (default
// GOMAXPROCS), each with its own layer buffers and, on engines with native
// plans, its own forward-only plans; a request takes one workspace for its
// forward pass and waits (or gives up with its context) when all are busy.
// Requests larger than MaxBatch rows run in chunks of MaxBatch.
//
// Plans. Native engines (backend.ForwardPlanner, backend.DensePlanner) need
// a plan per batch size; the Predictor makes them all up front for a fixed
// set of batch-size buckets (1, 2, 3, 4, 6, 8, 12, … up to MaxBatch, each
// at most 1.5× the one before) and runs a request of r rows on the
// smallest bucket ≥ r, zero-padding the rows in between. So the plan cache
// is bounded (about 2·log₂ MaxBatch plans per layer and workspace) and no
// request builds a plan after New or Swap returns. Engines without plans
// run exactly r rows.
//
// Results are deterministic: the same input on the same snapshot and
// engine gives the same bits, whichever goroutine asks and however many ask
// at once (the tests check this under the race detector).
package predict
