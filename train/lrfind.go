package train

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/descent-ml/descent/data"
)

// LRRule names how FindLR picks a learning rate from the range test's
// smoothed loss curve.
type LRRule string

// The suggestion rules. Each is computed for every range test (see
// LRFindResult.Suggestions); LRFindConfig.Rule selects the one returned as
// SuggestedLR.
const (
	// RuleMinimum10 is the rate at the minimum of the smoothed loss
	// divided by 10: fastai's lr_find "minimum" suggestion (Smith 2017,
	// "Cyclical Learning Rates for Training Neural Networks", §3.3: the
	// largest rate at which the loss still falls, backed off an order of
	// magnitude because the minimum is already at the edge of divergence).
	RuleMinimum10 LRRule = "minimum/10"
	// RuleSteepest is the rate where the smoothed loss falls fastest
	// against log(rate), skipping the first 10 and the last point:
	// PyTorch Lightning's LearningRateFinder.suggestion() and fastai's
	// "steep".
	RuleSteepest LRRule = "steepest"
	// RuleValley is fastai's "valley" suggestion: the point half way down
	// the longest stretch over which the smoothed loss keeps falling.
	RuleValley LRRule = "valley"
)

// DefaultLRRule is the rule FindLR uses when LRFindConfig.Rule is empty:
// minimum/10. Of the three it is the one tied to stability, the edge
// where the loss starts to diverge, and so the one that finds a known
// answer: on a linear regression, whose largest stable step 2/λ_max is
// computed from the data (lrfind_test.go), minimum/10 lands at a fifth of
// it, while steepest and valley land about two decades below it, where
// the loss falls fastest only because the steps taken so far first add
// up to 1/λ there — a property of the schedule, not of the problem.
//
// On the tutorial's 784→128→128→10 sigmoid network on MNIST (batch 128,
// seed 1; docs/lrfind.md) its suggestions are SGD 1.04, Momentum 0.52,
// RMSprop 0.0048 and Adam 0.0070, where the tutorial's hand sweep found
// SGD's good rates (lr 1: 0.95 in 5 epochs, 0.1: 0.90), and 10 epochs at
// them reach 0.975–0.977 validation accuracy for all four, against 0.16
// and 0.73 for SGD and Momentum at the tutorial's fixed 0.001. Steepest
// trains as well there (SGD 1.28, Momentum 0.13, RMSprop and Adam 0.0019:
// 0.975–0.978) and sits nearer Keras's default 0.001 for Adam; valley puts
// SGD at 0.11, a decade below its best rate. Every rule's suggestion is in
// LRFindResult.Suggestions.
const DefaultLRRule = RuleMinimum10

// LRRules lists the rules, the default first.
func LRRules() []LRRule { return []LRRule{RuleMinimum10, RuleSteepest, RuleValley} }

// The range test's defaults (see LRFindConfig).
const (
	DefaultLRFindMinLR = 1e-5
	DefaultLRFindMaxLR = 100
	DefaultLRFindSteps = 800
)

// LRFindConfig configures FindLR. Zero fields take the defaults given.
type LRFindConfig struct {
	// MinLR and MaxLR are the first and the last rate of the test:
	// 1e-5 and 100. The upper end lies well above SGD's good rates on
	// sigmoid networks (about 1) so that the loss diverges inside the
	// range for every optimizer.
	MinLR, MaxLR float64
	// Steps is the number of training steps (batches) of the test: 800,
	// about 110 a decade. fastai takes 100 steps over 1e-7…10 (12 a
	// decade); on the tutorial's sigmoid network so few leave SGD no time
	// to learn before the rate is past its good values, and the smoothed
	// average (a memory of about 1/(1−β) = 50 steps) then lags by
	// decades. Two epochs of MNIST at batch 128 take about a second.
	Steps int
	// Smoothing is β of the exponentially weighted average of the loss,
	// with bias correction (as Adam corrects its moments): 0.98, fastai's.
	Smoothing float64
	// DivergeFactor stops the test once the smoothed loss exceeds this
	// many times its minimum so far: 4, fastai's.
	DivergeFactor float64
	// Seed seeds the shuffling of the samples, with the rules of Fit: the
	// same seed gives the same batches as the first steps of a Fit.
	Seed uint64
	// NoShuffle keeps the samples in order.
	NoShuffle bool
	// Rule picks SuggestedLR; empty is DefaultLRRule.
	Rule LRRule
}

// withDefaults fills the zero fields and checks the others.
func (c LRFindConfig) withDefaults() (LRFindConfig, error) {
	if c.MinLR == 0 {
		c.MinLR = DefaultLRFindMinLR
	}
	if c.MaxLR == 0 {
		c.MaxLR = DefaultLRFindMaxLR
	}
	if c.Steps == 0 {
		c.Steps = DefaultLRFindSteps
	}
	if c.Smoothing == 0 {
		c.Smoothing = 0.98
	}
	if c.DivergeFactor == 0 {
		c.DivergeFactor = 4
	}
	if c.Rule == "" {
		c.Rule = DefaultLRRule
	}
	switch {
	case !(c.MinLR > 0) || math.IsInf(c.MinLR, 0):
		return c, fmt.Errorf("train: range test: the smallest rate must be positive and finite, got %v", c.MinLR)
	case !(c.MaxLR > c.MinLR) || math.IsInf(c.MaxLR, 0):
		return c, fmt.Errorf("train: range test: the largest rate must be finite and above the smallest (%v), got %v", c.MinLR, c.MaxLR)
	case c.Steps < 2:
		return c, fmt.Errorf("train: range test: at least 2 steps, got %d", c.Steps)
	case !(c.Smoothing >= 0 && c.Smoothing < 1):
		return c, fmt.Errorf("train: range test: smoothing must be in [0, 1), got %v", c.Smoothing)
	case !(c.DivergeFactor > 1) || math.IsInf(c.DivergeFactor, 0):
		return c, fmt.Errorf("train: range test: the divergence factor must be finite and above 1, got %v", c.DivergeFactor)
	}
	if _, err := suggest(c.Rule, []float64{1, 2}, []float64{1, 1}); err != nil {
		return c, err
	}
	return c, nil
}

// LRFindResult is the outcome of a range test. The three slices have one
// entry per step taken.
type LRFindResult struct {
	// LRs is the rate of every step; Losses the step's mean batch loss
	// (before its update, as Fit reports); Smoothed the bias-corrected
	// exponentially weighted average of Losses up to the step.
	LRs, Losses, Smoothed []float64
	// SuggestedLR is the suggestion of Rule; Suggestions holds every
	// rule's (see LRRules).
	SuggestedLR float64
	Rule        LRRule
	Suggestions map[LRRule]float64
	// StoppedEarly says that the smoothed loss exceeded DivergeFactor
	// times its minimum, or a loss was not finite, before the last step.
	StoppedEarly bool
	// Config is the configuration the test ran with, defaults filled in.
	Config LRFindConfig
}

// FindLR runs the learning-rate range test (Smith 2017, "Cyclical Learning
// Rates for Training Neural Networks", §3.3; fastai's lr_find, PyTorch
// Lightning's LearningRateFinder): it trains on src for cfg.Steps steps
// while the rate grows exponentially, lrᵢ = MinLR·(MaxLR/MinLR)^(i/(Steps−1)),
// records every step's loss and its smoothed average, stops once the
// smoothed loss exceeds DivergeFactor times its minimum (or a loss is not
// finite), and suggests a rate by cfg.Rule.
//
// The test trains the trainer's model: its parameters and the optimizer's
// state are changed (ruined, past the divergence) when FindLR returns.
// Give it a throwaway model built like the one to train, with the same
// initial weights (descent's CLI builds a second network from the same
// seed). The optimizer's learning rate is restored on return. The batches
// follow Fit's rules: shuffled from cfg.Seed as Fit shuffles, reshuffled
// after each pass, the last partial batch kept.
//
// It fails if the loss is not finite already at the first step, or if too
// few steps were taken for the rule (fewer than 2).
func (t *Trainer) FindLR(ctx context.Context, src data.Source, cfg LRFindConfig) (*LRFindResult, error) {
	if err := t.enter(); err != nil {
		return nil, err
	}
	defer t.leave()
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := t.check(src, "training data"); err != nil {
		return nil, err
	}
	n := src.Len()
	if n == 0 {
		return nil, errors.New("train: range test: training data is empty")
	}
	idx, rng := t.sampleOrder(n, cfg.Seed) // as Fit
	steps := (n + t.batchSize - 1) / t.batchSize
	restore := t.opt.LearningRate()
	defer t.opt.SetLearningRate(restore)

	res := &LRFindResult{Rule: cfg.Rule, Config: cfg}
	ratio := math.Log(cfg.MaxLR / cfg.MinLR)
	avg, best := 0.0, math.Inf(1)
	for i := 0; i < cfg.Steps; i++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("train: range test, step %d: %w", i+1, err)
		}
		s := i % steps
		if s == 0 && !cfg.NoShuffle {
			shuffle(rng, idx)
		}
		batch := idx[s*t.batchSize : min((s+1)*t.batchSize, n)]
		lr := cfg.MinLR * math.Exp(ratio*float64(i)/float64(cfg.Steps-1))
		t.opt.SetLearningRate(lr)
		if err := t.loadBatch(ctx, src, batch); err != nil {
			return nil, fmt.Errorf("train: range test, step %d: %w", i+1, err)
		}
		sum, _, err := t.step(len(batch))
		if err != nil {
			return nil, fmt.Errorf("train: range test, step %d: %w", i+1, err)
		}
		loss := sum / float64(len(batch))
		if !finite(loss) {
			if i == 0 {
				return nil, fmt.Errorf("train: range test: the loss is %v at the first step (rate %g): the model or the data is not finite", loss, lr)
			}
			res.StoppedEarly = i < cfg.Steps-1
			break
		}
		avg = cfg.Smoothing*avg + (1-cfg.Smoothing)*loss
		smooth := avg / (1 - math.Pow(cfg.Smoothing, float64(i+1)))
		res.LRs = append(res.LRs, lr)
		res.Losses = append(res.Losses, loss)
		res.Smoothed = append(res.Smoothed, smooth)
		best = math.Min(best, smooth)
		if smooth > cfg.DivergeFactor*best {
			res.StoppedEarly = i < cfg.Steps-1
			break
		}
	}
	if len(res.LRs) < 2 {
		return nil, fmt.Errorf("train: range test: diverged after %d step(s), below %g: lower the smallest rate", len(res.LRs), cfg.MinLR)
	}
	res.Suggestions = make(map[LRRule]float64, len(LRRules()))
	for _, r := range LRRules() {
		if res.Suggestions[r], err = suggest(r, res.LRs, res.Smoothed); err != nil {
			return nil, err
		}
	}
	res.SuggestedLR = res.Suggestions[cfg.Rule]
	return res, nil
}

// suggest applies rule to the curve smoothed(lrs).
func suggest(rule LRRule, lrs, smoothed []float64) (float64, error) {
	switch rule {
	case RuleMinimum10:
		return lrs[argmin(smoothed)] / 10, nil
	case RuleSteepest:
		return lrs[steepest(lrs, smoothed)], nil
	case RuleValley:
		return lrs[valley(smoothed)], nil
	}
	return 0, fmt.Errorf("train: range test: unknown rule %q (want %s, %s or %s)", rule, RuleMinimum10, RuleSteepest, RuleValley)
}

func argmin(v []float64) int {
	k := 0
	for i, x := range v {
		if x < v[k] {
			k = i
		}
	}
	return k
}

// steepest returns the index of the most negative slope of loss against
// log(lr) (central differences, one-sided at the ends), skipping the first
// 10 points and the last one as Lightning does — or, on curves too short
// for that, none.
func steepest(lrs, loss []float64) int {
	n := len(loss)
	lo, hi := 10, n-1
	if hi-lo < 1 {
		lo, hi = 0, n
	}
	k, best := lo, math.Inf(1)
	for i := lo; i < hi; i++ {
		a, b := max(i-1, 0), min(i+1, n-1)
		g := (loss[b] - loss[a]) / (math.Log(lrs[b]) - math.Log(lrs[a]))
		if g < best {
			k, best = i, g
		}
	}
	return k
}

// valley returns fastai's valley point: the longest (not necessarily
// contiguous) decreasing subsequence of loss, found in O(n²) as fastai
// does, and the index half way from its start to its end (fastai's
// start + ⌊s⌋ + ⌊s/2⌋ with s a third of the length).
func valley(loss []float64) int {
	n := len(loss)
	lds := make([]int, n)
	for i := range lds {
		lds[i] = 1
	}
	maxStart, maxEnd := 0, 0
	for i := 1; i < n; i++ {
		for j := 0; j < i; j++ {
			if loss[i] < loss[j] && lds[i] < lds[j]+1 {
				lds[i] = lds[j] + 1
			}
		}
		if lds[i] > lds[maxEnd] {
			maxEnd = i
			maxStart = maxEnd - lds[maxEnd]
		}
	}
	maxStart = max(maxStart, 0)
	sections := float64(maxEnd-maxStart) / 3
	return min(maxStart+int(sections)+int(sections/2), n-1)
}
