package train

import "fmt"

// AccumulateGradients returns a hook that applies one update every k steps,
// with the mean of the k batches' gradients, as Keras 3's
// gradient_accumulation_steps does (keras/src/optimizers/base_optimizer.py):
// the k−1 steps in between only add their gradients to a buffer and skip
// the update. With k batches of equal size the update is that of one batch
// k times as large, up to float32 rounding. Steps are counted from the
// hook's first call; the buffer is allocated then, once. The hook keeps
// state, so give each Trainer its own.
func AccumulateGradients(k int) (GradientHook, error) {
	if k < 1 {
		return nil, fmt.Errorf("train: gradient accumulation needs k ≥ 1 steps, got %d", k)
	}
	a := &accumulator{k: k}
	return a, nil
}

type accumulator struct {
	k, seen int
	sum     []float32
}

func (a *accumulator) OnGradients(g *StepGradients) error {
	if a.k == 1 {
		return nil
	}
	if a.sum == nil {
		a.sum = make([]float32, len(g.Grads))
	}
	if len(a.sum) != len(g.Grads) {
		return fmt.Errorf("train: gradient accumulation: %d gradients, the buffer holds %d (one hook per trainer)", len(g.Grads), len(a.sum))
	}
	a.seen++
	if a.seen < a.k {
		for i, v := range g.Grads {
			a.sum[i] += v
		}
		g.SkipUpdate = true
		return nil
	}
	inv := 1 / float32(a.k)
	for i, v := range g.Grads {
		g.Grads[i] = (a.sum[i] + v) * inv
		a.sum[i] = 0
	}
	a.seen = 0
	return nil
}
