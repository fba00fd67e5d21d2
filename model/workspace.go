package model

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/descent-ml/descent/backend"
)

// Workspace is the scratch memory of one goroutine running a Sequential on
// one engine: layer outputs, back-propagated gradients and the parameter
// gradient buffer. It is allocated once for the largest batch; Forward and
// Backward then allocate nothing. A workspace serves any network with the
// same architecture as the one it was made for (SameArchitecture), so a
// snapshot of a model's parameters can run on it.
//
// An inference workspace (NewInferenceWorkspace) runs Forward only: it holds
// no gradients and, on engines with native plans, only forward-only plans
// made up front for a fixed set of batch sizes.
type Workspace struct {
	m        *Sequential
	gemm     backend.GemmFunc[float32]
	planner  backend.DensePlanner        // nil unless the engine fuses whole layers
	plans    []map[int]backend.DensePlan // plans[l][batch], made on first use
	maxBatch int

	// Inference only: forward plans fplans[l][batch], all made by
	// NewInferenceWorkspace; Forward with another batch size fails.
	inference bool
	fplans    []map[int]backend.ForwardPlan
	x         []float32   // the last input given to Forward (not copied)
	batch     int         // the last batch size given to Forward
	acts      [][]float32 // acts[l] is layer l's output, (maxBatch, units_l)
	deltas    [][]float32 // deltas[l] is ∂L/∂z_l, (maxBatch, units_l)

	// Dropout, training workspaces only, for the layers with a rate (nil
	// slices for the others): masks[l] holds 0 or 1/(1−rate) and
	// dropped[l] = acts[l] ⊙ masks[l], what layer l+1 reads after a
	// ForwardTraining. acts[l] keeps the activation's output, from which
	// Backward takes the activation's derivative.
	masks, dropped [][]float32
	pcg            rand.PCG
	training       bool // the last forward pass was ForwardTraining
	// Grads is ∂L/∂Params after Backward, laid out like Params.
	Grads []float32
}

// NewWorkspace allocates a workspace for batches of up to maxBatch rows on
// engine e.
func (m *Sequential) NewWorkspace(e backend.Engine, maxBatch int) (*Workspace, error) {
	if maxBatch < 1 {
		return nil, fmt.Errorf("model: workspace batch size must be ≥ 1, got %d", maxBatch)
	}
	ws := &Workspace{m: m, gemm: e.Sgemm, maxBatch: maxBatch, Grads: make([]float32, len(m.Params))}
	if p, ok := e.(backend.DensePlanner); ok {
		ws.planner = p
		ws.plans = make([]map[int]backend.DensePlan, len(m.layers))
		for l := range ws.plans {
			ws.plans[l] = make(map[int]backend.DensePlan, 2)
		}
	}
	ws.masks = make([][]float32, len(m.layers))
	ws.dropped = make([][]float32, len(m.layers))
	for i, l := range m.layers {
		ws.acts = append(ws.acts, make([]float32, maxBatch*l.Units))
		ws.deltas = append(ws.deltas, make([]float32, maxBatch*l.Units))
		if l.Dropout > 0 {
			ws.masks[i] = make([]float32, maxBatch*l.Units)
			ws.dropped[i] = make([]float32, maxBatch*l.Units)
		}
	}
	return ws, nil
}

// NewInferenceWorkspace allocates a forward-only workspace for batches of
// up to maxBatch rows on engine e: layer outputs only, no gradients. When e
// makes native plans (backend.ForwardPlanner, or else backend.DensePlanner)
// it makes them here, for exactly the given batch sizes (each in
// 1..maxBatch), so that Forward never builds one; Forward with a batch size
// not in the list is then an error (PlannedBatches tells which). Engines
// without plans run any batch size up to maxBatch, and batches is ignored.
func (m *Sequential) NewInferenceWorkspace(e backend.Engine, maxBatch int, batches []int) (*Workspace, error) {
	if maxBatch < 1 {
		return nil, fmt.Errorf("model: workspace batch size must be ≥ 1, got %d", maxBatch)
	}
	ws := &Workspace{m: m, gemm: e.Sgemm, maxBatch: maxBatch, inference: true}
	for _, l := range m.layers {
		ws.acts = append(ws.acts, make([]float32, maxBatch*l.Units))
	}
	fp, isFwd := e.(backend.ForwardPlanner)
	dp, isDense := e.(backend.DensePlanner)
	if !isFwd && !isDense {
		return ws, nil
	}
	ws.fplans = make([]map[int]backend.ForwardPlan, len(m.layers))
	for l := range ws.fplans {
		ws.fplans[l] = make(map[int]backend.ForwardPlan, len(batches))
	}
	for _, b := range batches {
		if b < 1 || b > maxBatch {
			ws.Close()
			return nil, fmt.Errorf("model: planned batch size %d outside 1..%d", b, maxBatch)
		}
		for l, layer := range m.layers {
			if _, ok := ws.fplans[l][b]; ok {
				continue
			}
			var p backend.ForwardPlan
			var err error
			if isFwd {
				p, err = fp.PlanDenseForward(b, m.fanIn(l), layer.Units, layer.Activation)
			} else {
				p, err = dp.PlanDense(b, m.fanIn(l), layer.Units, layer.Activation)
			}
			if err != nil {
				ws.Close()
				return nil, fmt.Errorf("model: layer %d (%d→%d %s, batch %d): %w", l, m.fanIn(l), layer.Units, layer.Activation, b, err)
			}
			ws.fplans[l][b] = p
		}
	}
	return ws, nil
}

// PlannedBatches returns the batch sizes an inference workspace has native
// plans for, in increasing order, or nil when it runs any batch size (an
// engine without plans).
func (ws *Workspace) PlannedBatches() []int {
	if ws.fplans == nil || len(ws.fplans) == 0 {
		return nil
	}
	out := make([]int, 0, len(ws.fplans[0]))
	for b := range ws.fplans[0] {
		out = append(out, b)
	}
	slices.Sort(out)
	return out
}

// plan returns the engine's plan for layer l at this batch size, making it
// on first use (once per shape: the full batch and the last partial one).
func (ws *Workspace) plan(l, batch int) (backend.DensePlan, error) {
	if p, ok := ws.plans[l][batch]; ok {
		return p, nil
	}
	layer := ws.m.layers[l]
	p, err := ws.planner.PlanDense(batch, ws.m.fanIn(l), layer.Units, layer.Activation)
	if err != nil {
		return nil, fmt.Errorf("model: layer %d (%d→%d %s, batch %d): %w", l, ws.m.fanIn(l), layer.Units, layer.Activation, batch, err)
	}
	ws.plans[l][batch] = p
	return p, nil
}

// Close releases the native plans of engines that fuse layers; the
// workspace must not be used afterwards. It is a no-op for other engines.
func (ws *Workspace) Close() error {
	var first error
	for _, byBatch := range ws.fplans {
		for b, p := range byBatch {
			if err := p.Close(); err != nil && first == nil {
				first = err
			}
			delete(byBatch, b)
		}
	}
	for _, byBatch := range ws.plans {
		for b, p := range byBatch {
			if err := p.Close(); err != nil && first == nil {
				first = err
			}
			delete(byBatch, b)
		}
	}
	return first
}

// MaxBatch is the largest batch the workspace holds.
func (ws *Workspace) MaxBatch() int { return ws.maxBatch }

// Forward runs the network on x ((batch, Input) row-major) in evaluation
// mode, without dropout, and returns a view of the output ((batch,
// Output)), valid until the next Forward on ws. ws keeps a reference to x
// for Backward: do not change x in between.
func (m *Sequential) Forward(ws *Workspace, x []float32, batch int) ([]float32, error) {
	return m.forward(ws, x, batch, nil)
}

// ForwardTraining is Forward in training mode: after each layer with a
// dropout rate it applies that layer's mask for key (see DropoutKey), and
// the next Backward on ws back-propagates through the same masks. It
// needs a training workspace (NewWorkspace); for a network without
// dropout it is Forward. It allocates nothing.
func (m *Sequential) ForwardTraining(ws *Workspace, x []float32, batch int, key DropoutKey) ([]float32, error) {
	if ws != nil && ws.inference {
		return nil, fmt.Errorf("model: ForwardTraining on an inference workspace")
	}
	return m.forward(ws, x, batch, &key)
}

// forward is Forward (key nil) and ForwardTraining.
//
//	x        (batch, Input)
//	acts[l]  (batch, units_l)  y_l = f_l(in_l·W_l + b_l)
//	masks[l] (batch, units_l)  training with a rate only
//	dropped[l]                 d_l = y_l ⊙ masks[l], then in_{l+1} = d_l (else y_l)
func (m *Sequential) forward(ws *Workspace, x []float32, batch int, key *DropoutKey) ([]float32, error) {
	if err := m.check(ws, batch); err != nil {
		return nil, err
	}
	if len(x) < batch*m.input {
		return nil, fmt.Errorf("model: input has %d values, want %d (batch %d × %d features)", len(x), batch*m.input, batch, m.input)
	}
	ws.x, ws.batch, ws.training = x, batch, key != nil
	in := x
	for l, layer := range m.layers {
		w, b := m.Layer(l)
		if ws.fplans != nil {
			p, ok := ws.fplans[l][batch]
			if !ok {
				return nil, fmt.Errorf("model: inference workspace has no plan for batch size %d (planned: %v)", batch, ws.PlannedBatches())
			}
			if err := p.Forward(in, w, b, ws.acts[l]); err != nil {
				return nil, fmt.Errorf("model: layer %d forward: %w", l, err)
			}
		} else if ws.planner != nil {
			p, err := ws.plan(l, batch)
			if err != nil {
				return nil, err
			}
			if err := p.Forward(in, w, b, ws.acts[l]); err != nil {
				return nil, fmt.Errorf("model: layer %d forward: %w", l, err)
			}
		} else {
			DenseForward(ws.gemm, layer.Activation, in, w, b, ws.acts[l], batch, m.fanIn(l), layer.Units)
		}
		in = ws.acts[l]
		if ws.dropsAt(l) {
			n := batch * layer.Units
			drawMask(&ws.pcg, *key, l, layer.Dropout, ws.masks[l][:n])
			dropoutForward(ws.acts[l][:n], ws.masks[l], ws.dropped[l])
			in = ws.dropped[l]
		}
	}
	return ws.acts[len(m.layers)-1][:batch*m.Output()], nil
}

// GradOf says what the gradient given to Backward is taken with respect to.
type GradOf int

const (
	// GradOutput: grad is ∂L/∂y, y the output of the last activation.
	GradOutput GradOf = iota
	// GradLogits: grad is ∂L/∂z, z the last layer's pre-activation, e.g. the
	// fused softmax + cross-entropy gradient (p − y)/N.
	GradLogits
)

// Backward back-propagates grad ((batch, Output), for the batch of the last
// Forward on ws) and leaves ∂L/∂Params in ws.Grads. grad is not modified.
// The input x and the parameters must be unchanged since that Forward:
// engines may reuse what the forward pass derived from them (the dnnl
// backend's bf16 copies).
func (m *Sequential) Backward(ws *Workspace, grad []float32, of GradOf) error {
	if ws != nil && ws.inference {
		return fmt.Errorf("model: Backward on an inference workspace")
	}
	if ws != nil && ws.x == nil {
		return fmt.Errorf("model: Backward before Forward")
	}
	if err := m.check(ws, ws.batch); err != nil {
		return err
	}
	batch, last := ws.batch, len(m.layers)-1
	if len(grad) < batch*m.Output() {
		return fmt.Errorf("model: gradient has %d values, want %d (batch %d × %d outputs)", len(grad), batch*m.Output(), batch, m.Output())
	}
	dz := ws.deltas[last][:batch*m.Output()]
	copy(dz, grad)
	if of == GradOutput {
		if err := ws.activationBackward(last, batch, dz); err != nil {
			return err
		}
	}
	for l := last; l >= 0; l-- {
		in, out := m.fanIn(l), m.layers[l].Units
		x := ws.x
		var dx []float32 // ∂L/∂(input of layer l) = ∂L/∂y_{l−1} (or ∂L/∂d_{l−1}); not needed for l = 0
		if l > 0 {
			x, dx = ws.acts[l-1], ws.deltas[l-1]
			if ws.dropsAt(l - 1) {
				x = ws.dropped[l-1]
			}
		}
		w, _ := m.Layer(l)
		dw, db := m.slices(ws.Grads, l)
		if ws.planner != nil {
			p, err := ws.plan(l, batch)
			if err != nil {
				return err
			}
			// x and w are what this layer's plan read in the Forward this
			// Backward follows (same slices; Backward's contract: unchanged
			// since), so a plan that can reuse work from its forward may.
			if ap, ok := p.(backend.AfterForwardPlan); ok {
				err = ap.BackwardAfterForward(x, w, ws.deltas[l], dw, db, dx)
			} else {
				err = p.Backward(x, w, ws.deltas[l], dw, db, dx)
			}
			if err != nil {
				return fmt.Errorf("model: layer %d backward: %w", l, err)
			}
		} else {
			DenseBackward(ws.gemm, x, w, ws.deltas[l], dw, db, dx, batch, in, out)
		}
		if l > 0 {
			if ws.dropsAt(l - 1) {
				// ∂L/∂y_{l−1} = ∂L/∂d_{l−1} ⊙ mask_{l−1}, (batch, units_{l−1})
				dropoutBackward(dx[:batch*in], ws.masks[l-1])
			}
			if err := ws.activationBackward(l-1, batch, dx); err != nil {
				return err
			}
		}
	}
	return nil
}

// dropsAt reports whether the last forward pass dropped layer l's output.
func (ws *Workspace) dropsAt(l int) bool {
	return ws.training && ws.masks[l] != nil
}

// activationBackward turns ∂L/∂y_l in dy into ∂L/∂z_l, natively when the
// engine fuses layers.
func (ws *Workspace) activationBackward(l, batch int, dy []float32) error {
	units := ws.m.layers[l].Units
	if ws.planner == nil {
		ActivationBackward(ws.m.layers[l].Activation, ws.acts[l], dy, batch, units)
		return nil
	}
	p, err := ws.plan(l, batch)
	if err != nil {
		return err
	}
	if err := p.ActivationBackward(ws.acts[l][:batch*units], dy[:batch*units]); err != nil {
		return fmt.Errorf("model: layer %d activation backward: %w", l, err)
	}
	return nil
}

func (m *Sequential) check(ws *Workspace, batch int) error {
	if ws == nil || !ws.m.SameArchitecture(m) {
		return fmt.Errorf("model: workspace was made for a network of another architecture")
	}
	if batch < 1 || batch > ws.maxBatch {
		return fmt.Errorf("model: batch size %d outside 1..%d of the workspace", batch, ws.maxBatch)
	}
	return nil
}
