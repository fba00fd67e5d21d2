package backendtest_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/descent-ml/descent/backend"
	"github.com/descent-ml/descent/backend/backendtest"
	"github.com/descent-ml/descent/model"
)

// refEngine is the float32 instantiation of the reference GEMM: it must pass.
type refEngine struct{ broken func(*bool, *bool, *float32) }

func (refEngine) Name() string         { return "reference" }
func (refEngine) SetThreads(int) error { return nil }
func (refEngine) Threads() int         { return 1 }
func (r refEngine) Sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if r.broken != nil {
		r.broken(&tA, &tB, &beta)
	}
	backend.Gemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func TestReferencePasses(t *testing.T) { backendtest.Run(t, refEngine{}) }

// The suite must catch the classic mistakes, or it proves nothing.
func TestSuiteCatchesBrokenEngines(t *testing.T) {
	for _, tc := range []struct {
		name   string
		broken func(*bool, *bool, *float32)
	}{
		{"ignores transA", func(tA, _ *bool, _ *float32) { *tA = false }},
		{"ignores transB", func(_, tB *bool, _ *float32) { *tB = false }},
		{"ignores beta", func(_, _ *bool, beta *float32) { *beta = 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			failed := 0
			for i, c := range backendtest.Cases() {
				func() {
					defer func() {
						if recover() != nil { // out-of-range from a wrong transpose also counts
							failed++
						}
					}()
					if backendtest.Check(refEngine{tc.broken}, c, uint64(i)) != nil {
						failed++
					}
				}()
			}
			assert.Positive(t, failed)
		})
	}
}

func TestGoPlannerPasses(t *testing.T) { backendtest.RunDense(t, model.GoPlanner(refEngine{})) }

// brokenPlanner wraps the Go reference planner (model.GoPlanner) with one classic mistake.
type brokenPlanner struct {
	backend.DensePlanner
	mistake string
}

func (b brokenPlanner) PlanDense(batch, in, out int, act backend.Activation) (backend.DensePlan, error) {
	p, err := b.DensePlanner.PlanDense(batch, in, out, act)
	return brokenPlan{p, b.mistake, act}, err
}

type brokenPlan struct {
	backend.DensePlan
	mistake string
	act     backend.Activation
}

func (b brokenPlan) Forward(x, w, bias, y []float32) error {
	if b.mistake == "no bias" {
		bias = make([]float32, len(bias))
	}
	return b.DensePlan.Forward(x, w, bias, y)
}

func (b brokenPlan) ActivationBackward(y, dy []float32) error {
	if b.mistake == "skip activation backward" && b.act != backend.Linear {
		return nil
	}
	return b.DensePlan.ActivationBackward(y, dy)
}

func (b brokenPlan) Backward(x, w, dz, dw, db, dx []float32) error {
	if b.mistake == "accumulate dW" {
		saved := append([]float32(nil), dw...)
		err := b.DensePlan.Backward(x, w, dz, dw, db, dx)
		for i := range dw {
			dw[i] += saved[i]
		}
		return err
	}
	return b.DensePlan.Backward(x, w, dz, dw, db, dx)
}

func TestDenseSuiteCatchesBrokenPlans(t *testing.T) {
	for _, mistake := range []string{"no bias", "skip activation backward", "accumulate dW"} {
		t.Run(mistake, func(t *testing.T) {
			p := brokenPlanner{model.GoPlanner(refEngine{}), mistake}
			failed := 0
			for i, c := range backendtest.DenseCases() {
				if backendtest.CheckDense(p, c, uint64(i)) != nil {
					failed++
				}
			}
			assert.Positive(t, failed)
		})
	}
}
