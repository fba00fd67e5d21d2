package cli

import (
	"fmt"
	"math"

	ucli "github.com/urfave/cli/v2"

	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/train"
)

// Regularization is what the regularisation flags say, with Keras 3's
// names (the optimizers' weight_decay, clipnorm, clipvalue and
// global_clipnorm arguments and the cross-entropies' label_smoothing). It
// is embedded in NetConfig, so its fields sit beside the others in the
// history file; 0 is "off" and is left out.
type Regularization struct {
	// WeightDecay is --weight-decay, the decoupled weight decay of every
	// optimizer (w ← w − w·wd·lr before each update); AdamW's default is
	// Keras's 0.004, the others' 0.
	WeightDecay float64 `json:"weight_decay,omitempty"`
	// ClipNorm is --clipnorm: each layer's kernel and bias gradients are
	// clipped to this L2 norm separately.
	ClipNorm float64 `json:"clipnorm,omitempty"`
	// ClipValue is --clipvalue: every gradient element is clipped to
	// [−ClipValue, ClipValue].
	ClipValue float64 `json:"clipvalue,omitempty"`
	// GlobalClipNorm is --global-clipnorm: all gradients together are
	// rescaled to at most this L2 norm.
	GlobalClipNorm float64 `json:"global_clipnorm,omitempty"`
	// LabelSmoothing is --label-smoothing, for categorical and binary
	// cross-entropy: y ← y·(1 − ls) + ls/K (binary: + ls/2).
	LabelSmoothing float64 `json:"label_smoothing,omitempty"`
}

// regularizeFlags are the flags of Regularization, shared by train, sweep
// and compare.
func regularizeFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.Float64Flag{Name: "weight-decay", Usage: "decoupled weight decay of the optimizer, Keras's weight_decay: w ← w − w·wd·lr before each update, on every weight and bias",
			DefaultText: "Keras's default: 0.004 for adamw, none otherwise"},
		&ucli.Float64Flag{Name: "clipnorm", Usage: "clip the gradient of each layer's kernel and of each bias to this L2 norm (Keras's clipnorm); 0 for none"},
		&ucli.Float64Flag{Name: "clipvalue", Usage: "clip every gradient element to [-v, v] (Keras's clipvalue); 0 for none"},
		&ucli.Float64Flag{Name: "global-clipnorm", Usage: "rescale all gradients together to at most this L2 norm (Keras's global_clipnorm); 0 for none"},
		&ucli.Float64Flag{Name: "label-smoothing", Usage: "label smoothing in [0, 1] for categorical and binary cross-entropy (Keras's label_smoothing): y ← y·(1−ls) + ls/classes"},
	}
}

// readRegularizeFlags reads and checks the regularisation flags into cfg,
// whose Optimizer is already set (it decides the weight decay's default).
// A negative, infinite or NaN value, label smoothing above 1, or more than
// one of the three clippings (Keras refuses that too) is a usage error
// naming the flag.
func readRegularizeFlags(c *ucli.Context, cfg *NetConfig) error {
	r := &cfg.Regularization
	r.WeightDecay = train.DefaultWeightDecay(cfg.Optimizer)
	for _, f := range []struct {
		name string
		dst  *float64
	}{
		{"weight-decay", &r.WeightDecay},
		{"clipnorm", &r.ClipNorm},
		{"clipvalue", &r.ClipValue},
		{"global-clipnorm", &r.GlobalClipNorm},
		{"label-smoothing", &r.LabelSmoothing},
	} {
		if !c.IsSet(f.name) {
			continue
		}
		v := c.Float64(f.name)
		if !(v >= 0) || math.IsInf(v, 0) {
			return usagef("--%s: must be a finite number ≥ 0, got %v", f.name, v)
		}
		*f.dst = v
	}
	if r.LabelSmoothing > 1 {
		return usagef("--label-smoothing: must be in [0, 1], got %v", r.LabelSmoothing)
	}
	set := 0
	for _, v := range []float64{r.ClipNorm, r.ClipValue, r.GlobalClipNorm} {
		if v > 0 {
			set++
		}
	}
	if set > 1 {
		return usagef("--clipnorm, --clipvalue, --global-clipnorm: only one may be set, as in Keras; got clipnorm=%v, clipvalue=%v, global_clipnorm=%v",
			r.ClipNorm, r.ClipValue, r.GlobalClipNorm)
	}
	return nil
}

// applyRegularization applies r when a trainer is built: it sets opt's
// weight decay, returns loss with its label smoothing, and the trainer
// option that installs the clipping hook (nil when there is none) — the
// hook runs after the backward pass and before the update, and the weight
// decay at the start of the update, Keras's order.
func applyRegularization(r Regularization, m *model.Sequential, opt train.Optimizer, loss train.Loss) (train.Loss, []train.TrainerOption, error) {
	if wd, ok := opt.(train.WeightDecayer); ok {
		wd.SetWeightDecay(r.WeightDecay)
	} else if r.WeightDecay != 0 {
		return nil, nil, usagef("--weight-decay: optimizer %s has no weight decay", opt.Name())
	}
	loss, err := train.WithLabelSmoothing(loss, r.LabelSmoothing)
	if err != nil {
		return nil, nil, usagef("--label-smoothing: %v", err)
	}
	var hook train.GradientHook
	switch {
	case r.ClipNorm > 0:
		hook, err = train.ClipNorm(m, r.ClipNorm)
	case r.ClipValue > 0:
		hook, err = train.ClipValue(r.ClipValue)
	case r.GlobalClipNorm > 0:
		hook, err = train.ClipGlobalNorm(r.GlobalClipNorm)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("cli: gradient clipping: %w", err)
	}
	if hook == nil {
		return loss, nil, nil
	}
	return loss, []train.TrainerOption{train.WithGradientHooks(hook)}, nil
}
