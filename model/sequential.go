package model

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
)

// Layer describes one Dense layer of a Sequential: its width and
// activation, and the dropout rate applied to its output in training
// (Keras's Dense followed by Dropout(rate); see WithDropout). The last
// layer of a Sequential takes no dropout.
type Layer struct {
	Units      int
	Activation Activation
	// Dropout is the rate in [0, 1) at which ForwardTraining zeroes the
	// layer's outputs (scaling the kept ones by 1/(1−Dropout)); 0: none.
	Dropout float64
}

// Dense returns the description of a fully connected layer with the given
// number of units and activation.
func Dense(units int, act Activation) Layer { return Layer{Units: units, Activation: act} }

// Sequential is a stack of Dense layers, y = f_L(…f_1(x·W₁+b₁)…·W_L+b_L).
// Its parameters live in one flat buffer (see the package documentation for
// the layout). Forward and Backward only read the parameters; everything they
// write lives in a Workspace.
type Sequential struct {
	input  int
	layers []Layer
	// Params holds every weight and bias: [W₀ | b₀ | W₁ | b₁ | …].
	Params []float32
	wOff   []int // offset of layer l's kernel in Params; its bias follows

	// Preprocessing maps raw input features to what the first layer takes;
	// it is saved with the model and applied by package predict (and so by
	// descent evaluate, predict and serve). NewSequential sets the identity.
	Preprocessing Preprocessing
	// Labels names the outputs (the classes, in output order), as saved in
	// the model file; nil means "0", "1", … (see ClassLabels).
	Labels []string
}

// NewSequential returns a network taking input features through the given
// layers, with all parameters zero; call Init to initialise them.
func NewSequential(input int, layers ...Layer) (*Sequential, error) {
	if input < 1 {
		return nil, fmt.Errorf("model: input size must be ≥ 1, got %d", input)
	}
	if len(layers) == 0 {
		return nil, errors.New("model: a Sequential needs at least one layer")
	}
	m := &Sequential{input: input, layers: append([]Layer(nil), layers...), Preprocessing: NoPreprocessing()}
	n, in := 0, input
	for i, l := range layers {
		if l.Units < 1 {
			return nil, fmt.Errorf("model: layer %d: units must be ≥ 1, got %d", i, l.Units)
		}
		if !l.Activation.Valid() {
			return nil, fmt.Errorf("model: layer %d: unknown activation %d", i, l.Activation)
		}
		if err := validDropout(l.Dropout); err != nil {
			return nil, fmt.Errorf("model: layer %d: %w", i, err)
		}
		if l.Dropout != 0 && i == len(layers)-1 {
			return nil, fmt.Errorf("model: layer %d: dropout after the output layer is not supported (put it after a hidden layer)", i)
		}
		m.wOff = append(m.wOff, n)
		n += in*l.Units + l.Units
		in = l.Units
	}
	m.Params = make([]float32, n)
	return m, nil
}

// Init initialises the parameters as Keras does by default: Glorot-uniform
// kernels and zero biases, drawing from rng.
func (m *Sequential) Init(rng *rand.Rand) {
	for l := range m.layers {
		w, b := m.Layer(l)
		GlorotUniform(rng, w, m.fanIn(l), m.layers[l].Units)
		clear(b)
	}
}

// Clone returns a deep copy of m: the same architecture, its own copy of
// the parameters, preprocessing and labels. A Predictor serves a clone, so
// that training may go on changing m.
func (m *Sequential) Clone() *Sequential {
	c := *m
	c.layers = append([]Layer(nil), m.layers...)
	c.wOff = append([]int(nil), m.wOff...)
	c.Params = append([]float32(nil), m.Params...)
	c.Preprocessing = m.Preprocessing.clone()
	c.Labels = append([]string(nil), m.Labels...)
	if m.Labels == nil {
		c.Labels = nil
	}
	return &c
}

// SameArchitecture reports whether o has m's input size and layers (units,
// activations and dropout rates), so that a Workspace made for one can run the other.
func (m *Sequential) SameArchitecture(o *Sequential) bool {
	if m == o {
		return true
	}
	if m == nil || o == nil || m.input != o.input || len(m.layers) != len(o.layers) {
		return false
	}
	for i := range m.layers {
		if m.layers[i] != o.layers[i] {
			return false
		}
	}
	return true
}

// ClassLabels returns the names of the outputs (for a positive probability,
// of the negative and the positive class): Labels, or "0" … "n−1" when
// Labels is nil.
func (m *Sequential) ClassLabels() []string {
	if m.Labels != nil {
		return append([]string(nil), m.Labels...)
	}
	out := make([]string, m.numLabels())
	for i := range out {
		out[i] = fmt.Sprint(i)
	}
	return out
}

// Input is the number of input features.
func (m *Sequential) Input() int { return m.input }

// Output is the width of the last layer.
func (m *Sequential) Output() int { return m.layers[len(m.layers)-1].Units }

// Layers returns a copy of the layer descriptions.
func (m *Sequential) Layers() []Layer { return append([]Layer(nil), m.layers...) }

// HasDropout reports whether any layer has a dropout rate above 0.
func (m *Sequential) HasDropout() bool {
	for _, l := range m.layers {
		if l.Dropout > 0 {
			return true
		}
	}
	return false
}

// NumParams is the total number of parameters (len(Params)).
func (m *Sequential) NumParams() int { return len(m.Params) }

// Layer returns views of layer l's kernel W ((in, out) row-major) and bias b
// in Params.
func (m *Sequential) Layer(l int) (w, b []float32) {
	return m.slices(m.Params, l)
}

// slices cuts layer l's kernel and bias out of a buffer laid out like Params
// (Params itself, or a gradient buffer).
func (m *Sequential) slices(buf []float32, l int) (w, b []float32) {
	in, out := m.fanIn(l), m.layers[l].Units
	o := m.wOff[l]
	return buf[o : o+in*out], buf[o+in*out : o+in*out+out]
}

func (m *Sequential) fanIn(l int) int {
	if l == 0 {
		return m.input
	}
	return m.layers[l-1].Units
}

// String is a short summary in the manner of Keras's model.summary(), one
// line per layer (and per dropout); Summary is Keras 3's table itself.
func (m *Sequential) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "Sequential: input %d\n", m.input)
	fmt.Fprintf(&sb, "  %-8s %-14s %-10s %10s\n", "layer", "output shape", "activation", "params")
	for l, layer := range m.layers {
		p := m.fanIn(l)*layer.Units + layer.Units
		fmt.Fprintf(&sb, "  %-8s %-14s %-10s %10d\n", fmt.Sprintf("dense_%d", l), fmt.Sprintf("(None, %d)", layer.Units), layer.Activation, p)
		if layer.Dropout > 0 {
			fmt.Fprintf(&sb, "  %-8s %-14s %-10s %10d\n", "dropout", fmt.Sprintf("(None, %d)", layer.Units), fmt.Sprintf("rate %g", layer.Dropout), 0)
		}
	}
	fmt.Fprintf(&sb, "  total params: %d\n", len(m.Params))
	return sb.String()
}
