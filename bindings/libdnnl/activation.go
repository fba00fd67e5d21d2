package libdnnl

// Activation selects the activation a Dense plan fuses; the values are those
// of descent's backend.Activation and the C layer's descent_act.
type Activation int

// The activations.
const (
	Linear Activation = iota
	Sigmoid
	Tanh
	ReLU
	Softmax
)
