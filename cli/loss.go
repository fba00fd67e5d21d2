package cli

import (
	"encoding/json"
	"fmt"
	"math"

	ucli "github.com/urfave/cli/v2"

	"github.com/descent-ml/descent/numpyfmt"
	"github.com/descent-ml/descent/train"
)

// lossFunc64 is a per-sample loss at float64 over (batch, units) matrices.
type lossFunc64 func(yTrue, yPred []float64, batch, units int, out []float64)

// losses64 maps --loss names to the float64 instantiation of each loss.
func losses64(name string, fromLogits bool) (lossFunc64, error) {
	switch {
	case name == "categorical_crossentropy" && fromLogits:
		return train.CategoricalCrossentropyFromLogits[float64], nil
	case name == "categorical_crossentropy":
		return train.CategoricalCrossentropy[float64], nil
	case name == "sparse_categorical_crossentropy" && fromLogits:
		return train.SparseCategoricalCrossentropyFromLogits[float64], nil
	case name == "sparse_categorical_crossentropy":
		return train.SparseCategoricalCrossentropy[float64], nil
	case fromLogits:
		return nil, usagef("--from-logits: only the cross-entropies take logits, not %q", name)
	case name == "binary_crossentropy":
		return train.BinaryCrossentropy[float64], nil
	case name == "mean_squared_error" || name == "mse":
		return train.MeanSquaredError[float64], nil
	}
	return nil, usagef("--loss: unknown loss %q (want categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy or mean_squared_error)", name)
}

func lossCommand(env Env) *ucli.Command {
	return &ucli.Command{
		Name:  "loss",
		Usage: "compute a loss for given targets and predictions, in float64, with Keras's semantics",
		Description: "descent loss --loss categorical_crossentropy --y-true '[[0,1,0],[1,0,0]]' --y-pred '[[0.1,0.8,0.1],[0.7,0.2,0.1]]'\n" +
			"For sparse_categorical_crossentropy, --y-true is a list of class indices: '[1,0]'.",
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "loss", Value: "categorical_crossentropy", Usage: "loss name, as in Keras"},
			&ucli.StringFlag{Name: "y-true", Required: true, Usage: "targets as a JSON matrix (rows = samples)"},
			&ucli.StringFlag{Name: "y-pred", Required: true, Usage: "predictions as a JSON matrix"},
			&ucli.BoolFlag{Name: "from-logits", Usage: "--y-pred holds logits, not probabilities"},
			&ucli.BoolFlag{Name: "json", Usage: `print {"losses":[...],"mean":...}`},
		},
		Action: func(c *ucli.Context) error {
			name := c.String("loss")
			f, err := losses64(name, c.Bool("from-logits"))
			if err != nil {
				return err
			}
			yPred, batch, units, err := parseMatrix("--y-pred", c.String("y-pred"))
			if err != nil {
				return err
			}
			var yTrue []float64
			if name == "sparse_categorical_crossentropy" {
				yTrue, err = parseLabels(c.String("y-true"), batch, units)
			} else {
				var tb, tu int
				yTrue, tb, tu, err = parseMatrix("--y-true", c.String("y-true"))
				if err == nil && (tb != batch || tu != units) {
					err = usagef("--y-true is %d×%d but --y-pred is %d×%d", tb, tu, batch, units)
				}
			}
			if err != nil {
				return err
			}
			out := make([]float64, batch)
			f(yTrue, yPred, batch, units, out)
			mean := 0.0
			for _, v := range out {
				mean += v
			}
			mean /= float64(batch)
			if c.Bool("json") {
				b, err := json.Marshal(struct {
					Losses []float64 `json:"losses"`
					Mean   float64   `json:"mean"`
				}{out, mean})
				if err != nil {
					return err
				}
				fmt.Fprintln(env.Stdout, string(b))
				return nil
			}
			fmt.Fprintf(env.Stdout, "losses: %s\nmean: %v\n", numpyfmt.Format(out), mean)
			return nil
		},
	}
}

// parseMatrix reads a non-empty rectangular JSON matrix of finite numbers.
func parseMatrix(flag, s string) (m []float64, rows, cols int, err error) {
	var rowsv [][]float64
	if err := json.Unmarshal([]byte(s), &rowsv); err != nil {
		return nil, 0, 0, usagef("%s: not a JSON matrix of numbers: %v", flag, err)
	}
	if len(rowsv) == 0 || len(rowsv[0]) == 0 {
		return nil, 0, 0, usagef("%s: empty matrix", flag)
	}
	cols = len(rowsv[0])
	for i, r := range rowsv {
		if len(r) != cols {
			return nil, 0, 0, usagef("%s: row %d has %d values, row 0 has %d", flag, i, len(r), cols)
		}
		for j, v := range r {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, 0, 0, usagef("%s: [%d][%d] is not finite", flag, i, j)
			}
		}
		m = append(m, r...)
	}
	return m, len(rowsv), cols, nil
}

// parseLabels reads a JSON list of class indices (or a column matrix).
func parseLabels(s string, batch, units int) ([]float64, error) {
	var flat []float64
	if err := json.Unmarshal([]byte(s), &flat); err != nil {
		m, rows, cols, err2 := parseMatrix("--y-true", s)
		if err2 != nil || cols != 1 {
			return nil, usagef("--y-true: want a JSON list of class indices: %v", err)
		}
		flat, _ = m, rows
	}
	if len(flat) != batch {
		return nil, usagef("--y-true has %d labels but --y-pred has %d rows", len(flat), batch)
	}
	for i, v := range flat {
		// Compared as float64: converting 1e300 to int first gives
		// MinInt64, which passed the check and indexed out of range.
		if math.IsNaN(v) || math.IsInf(v, 0) || v != math.Trunc(v) || v < 0 || v >= float64(units) {
			return nil, usagef("--y-true: label %d is %v, not a class index in 0..%d", i, v, units-1)
		}
	}
	return flat, nil
}
