// Package dnnl is the oneDNN backend: dense layers run natively with bias
// and activation fused (matmul + eltwise post-op, softmax primitive), their
// backward passes on oneDNN's brgemm kernels, and Sgemm through dnnl_sgemm.
// It implements backend.DensePlanner, so package model hands it whole layers,
// and backend.ForwardPlanner, for inference.
//
// The cgo binding, its concurrency (plans of their own, run concurrently on
// any goroutines) and its thread discipline (one OpenMP master for the
// whole process when oneDNN runs more than one thread) are in
// bindings/libdnnl; the C layer is native/descent_dnnl.c.
package dnnl

import (
	"fmt"

	"github.com/descent-ml/descent/backend"
	"github.com/descent-ml/descent/bindings/libdnnl"
)

// Engine is the oneDNN backend: one oneDNN CPU engine, shared by its plans.
// It is safe for concurrent use, and its plans run concurrently (see
// backend.DensePlanner).
type Engine struct {
	ctx *libdnnl.Context
}

var (
	_ backend.DensePlanner   = (*Engine)(nil)
	_ backend.ForwardPlanner = (*Engine)(nil)
	_ backend.DensePlan      = (*libdnnl.Dense)(nil)
	_ backend.ForwardPlan    = (*libdnnl.Dense)(nil)
)

// DefaultThreads is oneDNN's thread count until someone sets it (the C
// layer's initial value): one, as --threads auto gives it
// (registry.AutoThreads): on the 2-core machines descent is measured on, two
// OpenMP threads are no faster for the tutorial network's 128-row batches
// once the rest of the step is counted (bench/RESULTS.md).
const DefaultThreads = 1

// New returns the oneDNN engine, or an error when oneDNN is not linked into
// this binary. It changes no thread setting: oneDNN's thread count is
// process-wide, DefaultThreads until SetThreads (or bindings/libdnnl.SetThreads)
// changes it.
func New() (*Engine, error) {
	if !libdnnl.Available() {
		return nil, libdnnl.ErrUnavailable
	}
	ctx, err := libdnnl.NewContext()
	if err != nil {
		return nil, fmt.Errorf("dnnl backend: %w", err)
	}
	return &Engine{ctx: ctx}, nil
}

// Name returns "dnnl".
func (e *Engine) Name() string { return "dnnl" }

// Sgemm computes C = alpha·op(A)·op(B) + beta·C with oneDNN's dnnl_sgemm. It
// panics on inconsistent arguments, as gonum's blas does.
func (e *Engine) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if err := libdnnl.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc); err != nil {
		panic(err)
	}
}

// SetThreads sets oneDNN's (process-wide) OpenMP thread count
// (bindings/libdnnl.SetThreads); plans made earlier rebuild their primitives at
// their next call.
func (e *Engine) SetThreads(n int) error { return libdnnl.SetThreads(n) }

// Threads reports oneDNN's thread count.
func (e *Engine) Threads() int { return libdnnl.Threads() }

// Config describes the linked oneDNN: version, threading runtime and the
// instruction set its kernels use.
func (e *Engine) Config() string { return libdnnl.Version() }

// PlanDense makes a native plan for y = act(x·W + b) at this batch size.
// The plan is a *bindings/libdnnl.Dense; its Impl method names the oneDNN
// kernels chosen.
func (e *Engine) PlanDense(batch, in, out int, act backend.Activation) (backend.DensePlan, error) {
	if !act.Valid() {
		return nil, fmt.Errorf("dnnl backend: unknown activation %v", act)
	}
	d, err := e.ctx.NewDense(batch, in, out, libdnnl.Activation(act))
	if err != nil {
		return nil, fmt.Errorf("dnnl backend: %w", err)
	}
	return d, nil
}

// PlanDenseForward makes a forward-only native plan for y = act(x·W + b) at
// this batch size, for inference: no backward primitives or memory. Its
// ActivationBackward and Backward (it is a *bindings/libdnnl.Dense) fail.
func (e *Engine) PlanDenseForward(batch, in, out int, act backend.Activation) (backend.ForwardPlan, error) {
	if !act.Valid() {
		return nil, fmt.Errorf("dnnl backend: unknown activation %v", act)
	}
	d, err := e.ctx.NewDenseForward(batch, in, out, libdnnl.Activation(act))
	if err != nil {
		return nil, fmt.Errorf("dnnl backend: %w", err)
	}
	return d, nil
}

// Close releases the engine. Plans made on e keep working until they are
// closed; PlanDense and PlanDenseForward fail afterwards. Closing twice does
// nothing.
func (e *Engine) Close() error { return e.ctx.Close() }
