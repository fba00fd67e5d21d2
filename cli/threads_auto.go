package cli

import (
	"github.com/descent-ml/descent/backend/registry"
	"github.com/descent-ml/descent/data"
)

// stepWork is the shape of cfg's training step, what --threads auto weighs
// (registry.AutoThreads): input, hidden widths and output layer (one unit
// for a binary task, cfg.Classes outputs otherwise: classes, or a
// regression's targets), and the batch size. It is the zero Work, which
// keeps native backends on one thread, until cfg.fit has read the data's
// sizes, and for commands that open a backend without a network to train
// (evaluate, predict, serve).
func (cfg NetConfig) stepWork() registry.Work {
	out := cfg.Classes
	if cfg.Task == data.TaskBinary.String() {
		out = 1
	}
	if cfg.Input < 1 || out < 1 || cfg.BatchSize < 1 {
		return registry.Work{}
	}
	widths := append(append([]int{cfg.Input}, cfg.Hidden...), out)
	return registry.Work{Widths: widths, Batch: cfg.BatchSize}
}
