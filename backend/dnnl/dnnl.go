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
//
// Precision. New(WithPrecision(BF16)) makes an engine whose dense plans run
// their GEMMs in bfloat16 (mixed precision): the forward x·W and the
// backward xᵀ·dz and dz·Wᵀ read bf16 copies of x, W and dz, rounded to
// nearest even by the C layer with AVX512-BF16's conversion instruction at
// every forward (the weights change every step; the backward reuses the
// forward's copies of x and W: libdnnl.Dense.BackwardAfterForward), and
// accumulate and write float32. Everything the caller sees stays float32: master
// weights and gradients (model.Params, model.Grads), the optimizer's state,
// the activations a plan writes, bias, activation functions, softmax and
// the loss. Sgemm stays float32 whatever the precision: it is the generic
// GEMM, not a layer. The default, F32, is the engine as it always was.
package dnnl

import (
	"errors"
	"fmt"

	"golang.org/x/sys/cpu"

	"github.com/descent-ml/descent/backend"
	"github.com/descent-ml/descent/bindings/libdnnl"
)

// Engine is the oneDNN backend: one oneDNN CPU engine, shared by its plans.
// It is safe for concurrent use, and its plans run concurrently (see
// backend.DensePlanner).
type Engine struct {
	ctx  *libdnnl.Context
	prec Precision
}

// Precision is the number format of an engine's dense-layer GEMMs.
type Precision = libdnnl.Precision

// The precisions (see the package comment).
const (
	F32  = libdnnl.F32
	BF16 = libdnnl.BF16
)

// Option configures New.
type Option func(*Engine)

// WithPrecision sets the precision of the engine's dense plans (F32 unless
// given).
func WithPrecision(p Precision) Option { return func(e *Engine) { e.prec = p } }

// ErrNoBF16 is New's error for BF16 on a CPU without bf16 instructions
// (CPUID: neither AVX512-BF16 nor AMX-BF16).
var ErrNoBF16 = errors.New("bf16 needs a CPU with AVX512-BF16 or AMX; this one has neither")

// cpuHasBF16 reads CPUID (through golang.org/x/sys/cpu, which also checks
// that the OS saves the AVX-512 state); a variable for tests.
var cpuHasBF16 = func() bool { return cpu.X86.HasAVX512BF16 || cpu.X86.HasAMXBF16 }

var (
	_ backend.DensePlanner     = (*Engine)(nil)
	_ backend.ForwardPlanner   = (*Engine)(nil)
	_ backend.DensePlan        = (*libdnnl.Dense)(nil)
	_ backend.ForwardPlan      = (*libdnnl.Dense)(nil)
	_ backend.AfterForwardPlan = (*libdnnl.Dense)(nil)
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
//
// With WithPrecision(BF16) it checks bf16 support twice: the CPU (CPUID:
// AVX512-BF16 or AMX-BF16; ErrNoBF16 if neither), then oneDNN's effective
// ISA, which ONEDNN_MAX_CPU_ISA can cap below the CPU's.
func New(opts ...Option) (*Engine, error) {
	e := &Engine{}
	for _, o := range opts {
		o(e)
	}
	switch e.prec {
	case F32:
	case BF16:
		if !cpuHasBF16() {
			return nil, fmt.Errorf("dnnl backend: %w", ErrNoBF16)
		}
	default:
		return nil, fmt.Errorf("dnnl backend: unknown precision %v", e.prec)
	}
	if !libdnnl.Available() {
		return nil, libdnnl.ErrUnavailable
	}
	if e.prec == BF16 && !libdnnl.BF16Supported() {
		return nil, fmt.Errorf("dnnl backend: bf16: the CPU has AVX512-BF16 or AMX but oneDNN's kernels here do not use it (%s; is ONEDNN_MAX_CPU_ISA set?)", libdnnl.Version())
	}
	ctx, err := libdnnl.NewContext()
	if err != nil {
		return nil, fmt.Errorf("dnnl backend: %w", err)
	}
	e.ctx = ctx
	return e, nil
}

// Precision reports the precision of the engine's dense plans.
func (e *Engine) Precision() Precision { return e.prec }

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
func (e *Engine) Config() string {
	if e.prec != F32 {
		return libdnnl.Version() + ", dense GEMMs in " + e.prec.String()
	}
	return libdnnl.Version()
}

// PlanDense makes a native plan for y = act(x·W + b) at this batch size.
// The plan is a *bindings/libdnnl.Dense; its Impl method names the oneDNN
// kernels chosen.
func (e *Engine) PlanDense(batch, in, out int, act backend.Activation) (backend.DensePlan, error) {
	if !act.Valid() {
		return nil, fmt.Errorf("dnnl backend: unknown activation %v", act)
	}
	d, err := e.ctx.NewDensePrecision(batch, in, out, libdnnl.Activation(act), false, e.prec)
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
	d, err := e.ctx.NewDensePrecision(batch, in, out, libdnnl.Activation(act), true, e.prec)
	if err != nil {
		return nil, fmt.Errorf("dnnl backend: %w", err)
	}
	return d, nil
}

// Close releases the engine. Plans made on e keep working until they are
// closed; PlanDense and PlanDenseForward fail afterwards. Closing twice does
// nothing.
func (e *Engine) Close() error { return e.ctx.Close() }
