package train

import (
	"fmt"
	"strings"
)

// optimizerEntry is one optimizer name: its Keras 3 defaults and how to
// build it. momentum and nesterov are SGD configurations, as in the
// tutorial (SGD(momentum=0.9)).
type optimizerEntry struct {
	name         string
	lr, momentum float64
	build        func(lr, momentum float64) Optimizer
}

// optimizerRegistry lists every accepted optimizer name, in the order
// OptimizerNames gives them. The defaults are Keras 3's
// (keras/src/optimizers/*.py): learning rate 0.01 for SGD, 0.001 for the
// others; rho 0.9 for RMSprop; beta₁ 0.9, beta₂ 0.999 for Adam, AdamW and
// Nadam; weight decay 0.004 for AdamW (none for the others); epsilon 1e-7.
var optimizerRegistry = []optimizerEntry{
	{"sgd", 0.01, 0, func(lr, mom float64) Optimizer { return NewSGD(lr, mom, false) }},
	{"momentum", 0.01, 0.9, func(lr, mom float64) Optimizer { return NewSGD(lr, mom, false) }},
	{"nesterov", 0.01, 0.9, func(lr, mom float64) Optimizer { return NewSGD(lr, mom, true) }},
	{"rmsprop", 0.001, 0, func(lr, mom float64) Optimizer { return NewRMSprop(lr, 0.9, mom, 1e-7, false) }},
	{"adam", 0.001, 0, func(lr, _ float64) Optimizer { return NewAdam(lr, 0.9, 0.999, 1e-7, false) }},
	{"adamw", 0.001, 0, func(lr, _ float64) Optimizer { return NewAdamW(lr, 0.004, 0.9, 0.999, 1e-7, false) }},
	{"nadam", 0.001, 0, func(lr, _ float64) Optimizer { return NewNadam(lr, 0.9, 0.999, 1e-7) }},
}

func lookupOptimizer(name string) (optimizerEntry, bool) {
	for _, e := range optimizerRegistry {
		if e.name == name {
			return e, true
		}
	}
	return optimizerEntry{}, false
}

// OptimizerNames returns the names NewOptimizerByName accepts: "sgd",
// "momentum", "nesterov", "rmsprop", "adam", "adamw", "nadam". The slice is the caller's.
func OptimizerNames() []string {
	names := make([]string, len(optimizerRegistry))
	for i, e := range optimizerRegistry {
		names[i] = e.name
	}
	return names
}

// DefaultLearningRate is Keras 3's default learning rate of the named
// optimizer: 0.01 for sgd, momentum and nesterov, 0.001 for the others —
// and for an unknown name, which NewOptimizerByName then rejects.
func DefaultLearningRate(name string) float64 {
	if e, ok := lookupOptimizer(name); ok {
		return e.lr
	}
	return 0.001
}

// DefaultMomentum is 0.9 for momentum and nesterov, 0 otherwise (an unknown
// name included).
func DefaultMomentum(name string) float64 {
	e, _ := lookupOptimizer(name)
	return e.momentum
}

// DefaultWeightDecay is Keras 3's default weight_decay of the named
// optimizer: 0.004 for adamw, 0 (none) for the others and for an unknown
// name.
func DefaultWeightDecay(name string) float64 {
	if e, ok := lookupOptimizer(name); ok {
		if w, ok := e.build(e.lr, e.momentum).(WeightDecayer); ok {
			return w.WeightDecay()
		}
	}
	return 0
}

// NewOptimizerByName builds the named optimizer with learning rate lr and
// momentum (for the SGD variants and RMSprop; the Adam family has none and
// ignores it), and Keras 3's defaults for the rest (AdamW's weight decay
// 0.004 included). Names are matched exactly. An unknown
// name gives an error that lists the valid ones.
func NewOptimizerByName(name string, lr, momentum float64) (Optimizer, error) {
	if e, ok := lookupOptimizer(name); ok {
		return e.build(lr, momentum), nil
	}
	hint := ""
	if e, ok := lookupOptimizer(strings.ToLower(strings.TrimSpace(name))); ok {
		hint = fmt.Sprintf(" (did you mean %q?)", e.name)
	}
	return nil, fmt.Errorf("train: unknown optimizer %q%s; valid optimizers: %s", name, hint, strings.Join(OptimizerNames(), ", "))
}
