package cli

import (
	"fmt"
	"math"

	ucli "github.com/urfave/cli/v2"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/model"
)

// modelFlags are the flags that shape the network beyond --hidden and
// --activation, or show it: --dropout and --summary. trainFlags includes
// them, so sweep and compare take --dropout too.
func modelFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.Float64Flag{Name: "dropout", Value: 0, Usage: "dropout rate after every hidden layer, in [0, 1), as Keras's Dropout(rate) after each Dense: in training only, from --seed; 0 for none"},
		&ucli.BoolFlag{Name: "summary", Usage: "print the network as Keras's model.summary() does (layers, output shapes, parameter counts) before training"},
	}
}

// readModelFlags reads --dropout into cfg.
func readModelFlags(c *ucli.Context, cfg *NetConfig) error {
	cfg.Dropout = c.Float64("dropout")
	if math.IsNaN(cfg.Dropout) || cfg.Dropout < 0 || cfg.Dropout >= 1 {
		return usagef("--dropout: must be in [0, 1), got %v", cfg.Dropout)
	}
	return nil
}

// newNetwork builds, uninitialised, the network cfg describes for task:
// --hidden layers of --activation, the task's output layer (newModel) and
// --dropout after every hidden layer (withDropout).
func newNetwork(cfg NetConfig, task data.Task) (*model.Sequential, error) {
	act, err := model.ParseActivation(cfg.Activation)
	if err != nil {
		return nil, usagef("--activation: %v", err)
	}
	m, err := newModel(cfg.Input, cfg.Hidden, act, cfg.Classes, task)
	if err != nil {
		return nil, err
	}
	return withDropout(m, cfg.Dropout)
}

// withDropout returns m's architecture with dropout at rate after every
// hidden layer (every layer but the output one), its parameters and
// everything else unchanged; m itself for rate 0.
func withDropout(m *model.Sequential, rate float64) (*model.Sequential, error) {
	if rate == 0 {
		return m, nil
	}
	layers := m.Layers()
	for i := range layers[:len(layers)-1] {
		layers[i] = layers[i].WithDropout(rate)
	}
	d, err := model.NewSequential(m.Input(), layers...)
	if err != nil {
		return nil, fmt.Errorf("--dropout: %w", err)
	}
	copy(d.Params, m.Params)
	d.Preprocessing, d.Labels = m.Preprocessing, m.Labels
	return d, nil
}

// printModelSummary prints, when --summary is given, the summary of the network
// cfg describes for the data in sets (its weights play no part).
func printModelSummary(c *ucli.Context, env Env, cfg NetConfig, sets dataSets) error {
	if !c.Bool("summary") {
		return nil
	}
	m, err := newNetwork(cfg, sets.task)
	if err != nil {
		return err
	}
	_, err = fmt.Fprint(env.Stdout, m.Summary())
	return err
}

// dropoutCopies: per sample and hidden unit with dropout, the training
// workspace's mask and dropped output (see model.Workspace).
const dropoutCopies = 2

// dropoutFootprint adds to fp what dropout at rate after every hidden
// layer needs for batch samples; fp itself for rate 0.
func dropoutFootprint(fp footprint, hidden []int, batch uint64, rate float64) footprint {
	if rate == 0 {
		return fp
	}
	var units uint64
	for _, u := range hidden {
		units = addSat(units, uint64(u))
	}
	fp.bytes = addSat(fp.bytes, mulSat(4, mulSat(batch, mulSat(dropoutCopies, units))))
	return fp
}
