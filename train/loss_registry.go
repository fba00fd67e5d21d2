package train

import (
	"fmt"
	"strings"
)

// lossRegistry maps every accepted --loss name to its Loss. The canonical
// names are Keras's (keras/src/losses/__init__.py); "mse" is Keras's alias
// for mean_squared_error.
var lossRegistry = map[string]Loss{
	"categorical_crossentropy":        CategoricalCrossentropyLoss{},
	"sparse_categorical_crossentropy": SparseCategoricalCrossentropyLoss{},
	"binary_crossentropy":             BinaryCrossentropyLoss{},
	"mean_squared_error":              MeanSquaredErrorLoss{},
	"mse":                             MeanSquaredErrorLoss{},
}

// lossNames is the valid-name list of LossByName's error, sorted.
const lossNames = "binary_crossentropy, categorical_crossentropy, mean_squared_error (alias mse), sparse_categorical_crossentropy"

// LossByName returns the float32 Loss with the given Keras name:
// "categorical_crossentropy", "sparse_categorical_crossentropy",
// "binary_crossentropy" or "mean_squared_error" (alias "mse"). Names are
// matched exactly. An unknown name gives an error that lists the valid ones.
func LossByName(name string) (Loss, error) {
	if l, ok := lossRegistry[name]; ok {
		return l, nil
	}
	hint := ""
	if l, ok := lossRegistry[strings.ToLower(strings.TrimSpace(name))]; ok {
		hint = fmt.Sprintf(" (did you mean %q?)", l.Name())
	}
	return nil, fmt.Errorf("train: unknown loss %q%s; valid losses: %s", name, hint, lossNames)
}
