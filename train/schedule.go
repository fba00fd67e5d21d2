package train

import (
	"cmp"
	"fmt"
	"math"
)

// A Schedule gives the learning rate of every training step, as a Keras 3
// LearningRateSchedule does (keras/src/optimizers/schedules/
// learning_rate_schedule.py): At(step) is the rate of the step that has
// step steps of this Fit before it (0 for the first step of epoch 1).
//
// Fit calls At before every step and hands the result to
// Optimizer.SetLearningRate (FitConfig.Schedule). The step counts every
// step of the Fit, whether or not a gradient hook skips its update, and a
// resumed Fit counts the steps of the epochs it resumes after: the rate is
// a pure function of the position, so a resumed Fit uses the rates of one
// never stopped. At must not allocate.
type Schedule interface {
	At(step int) float64
}

// StepDecay multiplies the rate by Factor every StepSize steps:
// Initial·Factor^⌊step/StepSize⌋. It is Keras's ExponentialDecay with
// staircase=True (decay_steps = StepSize, decay_rate = Factor), the step
// decay of Keras's LearningRateScheduler examples when StepSize is a number
// of epochs' steps.
type StepDecay struct {
	Initial  float64
	Factor   float64
	StepSize int
}

// At returns Initial·Factor^⌊step/StepSize⌋.
func (s StepDecay) At(step int) float64 {
	return s.Initial * math.Pow(s.Factor, math.Floor(float64(step)/float64(s.StepSize)))
}

// ExponentialDecay is Keras's ExponentialDecay:
// Initial·Rate^(step/DecaySteps), with the exponent floored when Staircase.
type ExponentialDecay struct {
	Initial    float64
	DecaySteps int
	Rate       float64
	Staircase  bool
}

// At returns Initial·Rate^(step/DecaySteps).
func (s ExponentialDecay) At(step int) float64 {
	p := float64(step) / float64(s.DecaySteps)
	if s.Staircase {
		p = math.Floor(p)
	}
	return s.Initial * math.Pow(s.Rate, p)
}

// CosineDecay is Keras 3's CosineDecay with its linear warm-up. Without
// warm-up (WarmupSteps 0) the rate is
//
//	Initial·((1−Alpha)·½(1+cos(π·min(step, DecaySteps)/DecaySteps)) + Alpha)
//
// With WarmupSteps > 0 it rises linearly from Initial (step 0) towards
// WarmupTarget, reaching it at step WarmupSteps, then decays from
// WarmupTarget as above over the DecaySteps that follow (the step is
// clamped at WarmupSteps+DecaySteps), as Keras does when warmup_target is
// set.
type CosineDecay struct {
	Initial      float64
	DecaySteps   int
	Alpha        float64
	WarmupTarget float64
	WarmupSteps  int
}

// At returns the rate of step.
func (s CosineDecay) At(step int) float64 {
	t, d := float64(step), float64(s.DecaySteps)
	from := s.Initial
	if s.WarmupSteps > 0 {
		w := float64(s.WarmupSteps)
		t = min(t, d+w)
		if t < w {
			return (s.WarmupTarget-s.Initial)*(t/w) + s.Initial
		}
		t -= w
		from = s.WarmupTarget
	}
	t = min(t, d)
	cosine := 0.5 * (1 + math.Cos(math.Pi*t/d))
	return from * ((1-s.Alpha)*cosine + s.Alpha)
}

// Warmup rises linearly from Initial at step 0 to Then.At(0) at step Steps,
// then follows Then shifted by Steps: Then.At(step−Steps). It is Keras 3's
// CosineDecay warm-up rule applied to any schedule (CosineDecay{WarmupSteps}
// equals Warmup{Then: CosineDecay without warm-up}).
type Warmup struct {
	Initial float64
	Steps   int
	Then    Schedule
}

// At returns the rate of step.
func (s Warmup) At(step int) float64 {
	if step < s.Steps {
		target := s.Then.At(0)
		return (target-s.Initial)*(float64(step)/float64(s.Steps)) + s.Initial
	}
	return s.Then.At(step - s.Steps)
}

// OneCycle is Smith's 1cycle policy as PyTorch's OneCycleLR with
// anneal_strategy="cos" and three_phase=False (torch/optim/lr_scheduler.py):
// the rate rises from MaxLR/DivFactor to MaxLR over the first
// PctStart·TotalSteps−1 steps, then falls to MaxLR/(DivFactor·FinalDivFactor)
// at step TotalSteps−1, each phase along a half cosine
// (end + (start−end)/2·(1+cos(π·pct))). Step 0 is PyTorch's first
// optimizer step (last_epoch 0); steps past the last stay at the last
// phase's formula, clamped at its end. PyTorch's momentum cycling
// (cycle_momentum) is not done: the optimizers' momentum is configuration
// that Fit does not change.
type OneCycle struct {
	MaxLR      float64
	TotalSteps int
	// PctStart (PyTorch's 0.3 when 0), DivFactor (25 when 0) and
	// FinalDivFactor (1e4 when 0) are PyTorch's parameters.
	PctStart, DivFactor, FinalDivFactor float64
}

// withDefaults returns PctStart, DivFactor and FinalDivFactor, PyTorch's
// defaults in place of zeros.
func (s OneCycle) withDefaults() (pct, div, final float64) {
	return cmp.Or(s.PctStart, 0.3), cmp.Or(s.DivFactor, 25), cmp.Or(s.FinalDivFactor, 1e4)
}

// At returns the rate of step.
func (s OneCycle) At(step int) float64 {
	pct, div, final := s.withDefaults()
	initial := s.MaxLR / div
	minLR := initial / final
	t := float64(min(step, s.TotalSteps-1))
	end1 := pct*float64(s.TotalSteps) - 1
	anneal := func(start, end, p float64) float64 { return end + (start-end)/2*(math.Cos(math.Pi*p)+1) }
	if t <= end1 {
		return anneal(initial, s.MaxLR, t/end1)
	}
	return anneal(s.MaxLR, minLR, (t-end1)/(float64(s.TotalSteps-1)-end1))
}

// CheckSchedule reports the parameters of the package's schedules that give
// no rate (a step size ≤ 0, a negative or non-finite rate...).
func CheckSchedule(s Schedule) error {
	bad := func(format string, a ...any) error { return fmt.Errorf("train: schedule: "+format, a...) }
	switch s := s.(type) {
	case StepDecay:
		if s.StepSize < 1 || !(s.Factor > 0) || !(s.Initial >= 0) {
			return bad("step decay wants a step size ≥ 1, a factor > 0 and a rate ≥ 0, got %+v", s)
		}
	case ExponentialDecay:
		if s.DecaySteps < 1 || !(s.Rate > 0) || !(s.Initial >= 0) {
			return bad("exponential decay wants decay steps ≥ 1, a rate > 0 and an initial rate ≥ 0, got %+v", s)
		}
	case CosineDecay:
		if s.DecaySteps < 1 || s.WarmupSteps < 0 || !(s.Initial >= 0) || !(s.Alpha >= 0 && s.Alpha <= 1) {
			return bad("cosine decay wants decay steps ≥ 1 (Keras: > 0), warm-up steps ≥ 0 and alpha in [0, 1], got %+v", s)
		}
	case Warmup:
		if s.Steps < 0 || s.Then == nil {
			return bad("warm-up wants steps ≥ 0 and a schedule after it")
		}
		return CheckSchedule(s.Then)
	case OneCycle:
		if !(s.MaxLR > 0) || s.TotalSteps < 2 || s.PctStart < 0 || s.PctStart >= 1 || s.DivFactor < 0 || s.FinalDivFactor < 0 {
			return bad("one-cycle wants a max rate > 0, total steps ≥ 2 and a start fraction in [0, 1), got %+v", s)
		}
		if p, _, _ := s.withDefaults(); p*float64(s.TotalSteps)-1 <= 0 {
			return bad("one-cycle: its rising phase has no step (start fraction %v of %d steps)", p, s.TotalSteps)
		}
	}
	return nil
}
