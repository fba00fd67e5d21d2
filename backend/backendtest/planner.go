package backendtest

import (
	"github.com/descent-ml/descent/backend"
	"github.com/descent-ml/descent/model"
)

// Planner wraps an Engine into a DensePlanner whose plans run package
// model's Go layer functions over the engine's Sgemm. It is the reference the
// native planners are compared with, and lets tests drive the model's
// planner path without native code.
func Planner(e backend.Engine) backend.DensePlanner { return goPlanner{e} }

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
	model.DenseForward(p.gemm, p.act, x, w, b, y, p.batch, p.in, p.out)
	return nil
}

func (p *goPlan) ActivationBackward(y, dy []float32) error {
	model.ActivationBackward(p.act, y, dy, p.batch, p.out)
	return nil
}

func (p *goPlan) Backward(x, w, dz, dw, db, dx []float32) error {
	model.DenseBackward(p.gemm, x, w, dz, dw, db, dx, p.batch, p.in, p.out)
	return nil
}

func (p *goPlan) Close() error { return nil }
