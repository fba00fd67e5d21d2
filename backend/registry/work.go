package registry

// Work is the shape of one training step, what --threads auto weighs
// against the machine's cores (AutoThreads): the widths of a dense network
// from its input to its output layer and the batch size. The zero Work
// means the shape is not known (a command that opens a backend before it
// has a model); AutoThreads then gives the rule for small networks.
type Work struct {
	// Widths are the layer widths, input first: 784, 128, 128, 10 for
	// the tutorial network.
	Widths []int
	// Batch is the number of samples per step.
	Batch int
}

// Known reports whether w describes a network: at least one layer and a
// positive batch.
func (w Work) Known() bool {
	if len(w.Widths) < 2 || w.Batch < 1 {
		return false
	}
	for _, n := range w.Widths {
		if n < 1 {
			return false
		}
	}
	return true
}

// StepFLOPs is the floating-point operations of one training step's GEMMs,
// 2·m·n·k for each: per layer (in → out) the forward x·W (batch×in·in×out)
// and the weight gradient xᵀ·dz, and for every layer but the first the
// input gradient dz·Wᵀ (the first layer's input needs none). Activations,
// the loss and the optimizer are left out: they are O(batch·width) or
// O(parameters), not O(batch·parameters). It is 0 for an unknown Work.
//
// The tutorial network (784→128→128→10, batch 128) is 0.0649 GFLOP a
// step; 784→1024→1024→10 at batch 512 is 4.90 GFLOP.
func (w Work) StepFLOPs() float64 {
	if !w.Known() {
		return 0
	}
	b := float64(w.Batch)
	var flops float64
	for l := 1; l < len(w.Widths); l++ {
		mn := float64(w.Widths[l-1]) * float64(w.Widths[l])
		flops += 2 * 2 * b * mn // forward and dW
		if l > 1 {
			flops += 2 * b * mn // dX
		}
	}
	return flops
}
