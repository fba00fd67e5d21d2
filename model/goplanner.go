package model

import "github.com/descent-ml/descent/backend"

// GoPlanner wraps an Engine into a backend.DensePlanner whose plans run this
// package's Go layer functions (DenseForward, ActivationBackward,
// DenseBackward) over the engine's Sgemm. It is the reference planner: the
// native planners are compared with it, and it drives the Workspace's
// planner path without native code. Its plans hold no resources; Close is a
// no-op.
func GoPlanner(e backend.Engine) backend.DensePlanner { return goPlanner{e} }

type goPlanner struct{ backend.Engine }

func (p goPlanner) PlanDense(batch, in, out int, act backend.Activation) (backend.DensePlan, error) {
	return &goPlan{gemm: p.Sgemm, batch: batch, in: in, out: out, act: act}, nil
}

type goPlan struct {
	gemm           backend.GemmFunc[float32]
	batch, in, out int
	act            backend.Activation
}

func (p *goPlan) Forward(x, w, b, y []float32) error {
	DenseForward(p.gemm, p.act, x, w, b, y, p.batch, p.in, p.out)
	return nil
}

func (p *goPlan) ActivationBackward(y, dy []float32) error {
	ActivationBackward(p.act, y, dy, p.batch, p.out)
	return nil
}

func (p *goPlan) Backward(x, w, dz, dw, db, dx []float32) error {
	DenseBackward(p.gemm, x, w, dz, dw, db, dx, p.batch, p.in, p.out)
	return nil
}

func (p *goPlan) Close() error { return nil }
