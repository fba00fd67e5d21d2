package backend

import (
	"fmt"
	"strings"
)

// Activation names an element-wise (or, for Softmax, row-wise) function
// applied to a dense layer's pre-activation z = x·W + b. It is defined here,
// beside the engines, because engines that fuse a layer (see DensePlanner)
// apply it themselves; package model re-exports it with the math.
type Activation int

// The activations, with Keras's names.
const (
	Linear  Activation = iota // f(z) = z
	Sigmoid                   // f(z) = 1/(1+e^−z)
	Tanh                      // f(z) = tanh z
	ReLU                      // f(z) = max(0, z)
	Softmax                   // f(z)_j = e^{z_j} / Σ_k e^{z_k}, per row
)

var activationNames = []string{"linear", "sigmoid", "tanh", "relu", "softmax"}

// String returns the Keras name of the activation.
func (a Activation) String() string {
	if !a.Valid() {
		return fmt.Sprintf("Activation(%d)", int(a))
	}
	return activationNames[a]
}

// Valid reports whether a is one of the defined activations.
func (a Activation) Valid() bool { return a >= Linear && a <= Softmax }

// ParseActivation returns the activation with the given Keras name.
func ParseActivation(name string) (Activation, error) {
	for i, n := range activationNames {
		if strings.EqualFold(name, n) {
			return Activation(i), nil
		}
	}
	return 0, fmt.Errorf("unknown activation %q (want one of: %s)", name, strings.Join(activationNames, ", "))
}
