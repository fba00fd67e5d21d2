package train

// AdamW is Adam with decoupled weight decay (Loshchilov & Hutter, 2019),
// following Keras 3 (keras/src/optimizers/adamw.py), which is Adam with the
// base optimizer's weight_decay set: before each Adam update (see [Adam])
// every parameter is decayed,
//
//	w ← w − w·wd·lr
//
// wd the weight decay (Keras default 0.004) and lr the current learning
// rate; then the Adam step follows on the decayed w. The decay does not go
// through m and v (that is what "decoupled" means). Slots: Adam's.
// WeightDecay and SetWeightDecay read and change wd.
type AdamW struct {
	Adam
}

// NewAdamW returns AdamW with the given settings, in Keras's argument
// order. The Keras defaults are NewAdamW(0.001, 0.004, 0.9, 0.999, 1e-7,
// false).
func NewAdamW(lr, weightDecay, beta1, beta2, epsilon float64, amsgrad bool) *AdamW {
	o := &AdamW{Adam: *NewAdam(lr, beta1, beta2, epsilon, amsgrad)}
	o.wd = weightDecay
	return o
}

var _ Optimizer = (*AdamW)(nil)

// Name returns "adamw".
func (o *AdamW) Name() string { return "adamw" }
