package train_test

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend/gonum"
	"github.com/descent-ml/descent/train"
)

// Each schedule against its closed form, written out by hand at chosen
// steps (Keras 3's learning_rate_schedule.py formulas; PyTorch's
// OneCycleLR for OneCycle).
func TestScheduleClosedForms(t *testing.T) {
	cosWarm := train.CosineDecay{Initial: 0, DecaySteps: 100, WarmupTarget: 1, WarmupSteps: 10}
	cases := []struct {
		name string
		s    train.Schedule
		at   map[int]float64
	}{
		{"step: 0.1·0.5^⌊t/10⌋", train.StepDecay{Initial: 0.1, Factor: 0.5, StepSize: 10},
			map[int]float64{0: 0.1, 9: 0.1, 10: 0.05, 25: 0.025}},
		{"exponential: 0.1·0.5^(t/10)", train.ExponentialDecay{Initial: 0.1, DecaySteps: 10, Rate: 0.5},
			map[int]float64{0: 0.1, 5: 0.07071067811865475, 10: 0.05, 20: 0.025}},
		{"exponential staircase", train.ExponentialDecay{Initial: 0.1, DecaySteps: 10, Rate: 0.5, Staircase: true},
			map[int]float64{5: 0.1, 15: 0.05}},
		{"cosine: ½(1+cos(πt/100))", train.CosineDecay{Initial: 1, DecaySteps: 100},
			map[int]float64{0: 1, 25: 0.8535533905932737, 50: 0.5, 100: 0, 200: 0}},
		{"cosine alpha 0.1", train.CosineDecay{Initial: 1, DecaySteps: 100, Alpha: 0.1},
			map[int]float64{50: 0.55, 100: 0.1, 150: 0.1}},
		{"cosine with warm-up 0→1 over 10 steps", cosWarm,
			map[int]float64{0: 0, 5: 0.5, 10: 1, 35: 0.8535533905932737, 60: 0.5, 110: 0, 1000: 0}},
		{"warm-up wrapper equals Keras's cosine warm-up", train.Warmup{Steps: 10, Then: train.CosineDecay{Initial: 1, DecaySteps: 100}},
			map[int]float64{0: 0, 5: 0.5, 10: 1, 35: 0.8535533905932737, 60: 0.5, 110: 0}},
		{"warm-up then step", train.Warmup{Initial: 0.01, Steps: 4, Then: train.StepDecay{Initial: 0.05, Factor: 0.1, StepSize: 10}},
			map[int]float64{0: 0.01, 2: 0.03, 4: 0.05, 13: 0.05, 14: 0.005}},
		// initial = 1/25 = 0.04, min = 0.04/1e4 = 4e-6; the rise ends at
		// step 0.3·100−1 = 29, the fall at step 99.
		{"one-cycle: PyTorch defaults", train.OneCycle{MaxLR: 1, TotalSteps: 100},
			map[int]float64{0: 0.04, 29: 1, 64: 0.500002, 99: 4e-6, 150: 4e-6}},
		{"one-cycle: pct 0.5, div 10", train.OneCycle{MaxLR: 0.1, TotalSteps: 21, PctStart: 0.5, DivFactor: 10, FinalDivFactor: 100},
			// rise over steps 0..9.5: step 0 at 0.01; fall from 9.5 to 20: step 20 at 1e-4
			map[int]float64{0: 0.01, 20: 1e-4}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.NoError(t, train.CheckSchedule(c.s))
			for step, want := range c.at {
				assert.InDelta(t, want, c.s.At(step), 1e-12, "step %d", step)
			}
			assert.Zero(t, testing.AllocsPerRun(100, func() { c.s.At(17) }), "At allocates")
		})
	}
}

func TestCheckScheduleRefuses(t *testing.T) {
	for _, s := range []train.Schedule{
		train.StepDecay{Initial: 0.1, Factor: 0.5},
		train.ExponentialDecay{Initial: 0.1, Rate: 0.5},
		train.CosineDecay{Initial: 0.1},
		train.Warmup{Steps: 3},
		train.OneCycle{MaxLR: 1, TotalSteps: 1},
		train.OneCycle{MaxLR: 1, TotalSteps: 3}, // 0.3·3−1 ≤ 0: no rising step
	} {
		assert.Error(t, train.CheckSchedule(s), "%+v", s)
	}
}

// Fit sets the rate of every step from the schedule, records the rate of
// each epoch's first step, and a resumed Fit sets the same rates: the rate
// is a function of the step alone.
func TestFitAppliesScheduleAndResumes(t *testing.T) {
	src := smallSet(50, 1) // 7 steps of 8
	sched := train.Warmup{Initial: 0, Steps: 5, Then: train.ExponentialDecay{Initial: 0.01, DecaySteps: 7, Rate: 0.5}}
	run := func(resume *train.FitState, stopAt int) (*train.History, []float64, *train.FitState, error) {
		tr, err := train.NewTrainer(smallNet(t), gonum.New(), train.NewSGD(0.5, 0, false), train.CategoricalCrossentropyLoss{}, 8)
		require.NoError(t, err)
		var rates []float64
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var saved *train.FitState
		cfg := train.FitConfig{Epochs: 3, Seed: 3, Schedule: sched, Resume: resume,
			Callbacks: []train.Callback{callbackFuncs{batch: func(train.BatchLogs) { rates = append(rates, tr.Optimizer().LearningRate()) }}},
			OnState: func(s train.FitState) error {
				if s.Reason == train.StateStep && (s.Epoch-1)*s.Steps+s.Step == stopAt {
					c := stateCopy(s)
					saved = &c
					cancel()
				}
				return nil
			}}
		h, err := tr.Fit(ctx, src, cfg)
		return h, rates, saved, err
	}
	h, rates, _, err := run(nil, -1)
	require.NoError(t, err)
	require.Len(t, rates, 21)
	for i, r := range rates {
		assert.Equal(t, sched.At(i), r, "step %d", i)
	}
	assert.Equal(t, []float64{sched.At(0), sched.At(7), sched.At(14)}, h.LR)

	_, _, saved, err := run(nil, 10) // stop after step 3 of epoch 2
	require.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, saved)
	h2, rates2, _, err := run(saved, -1)
	require.NoError(t, err)
	require.Len(t, rates2, 11)
	for i, r := range rates2 {
		assert.Equal(t, sched.At(10+i), r, "resumed step %d", 10+i)
	}
	assert.Equal(t, h.LR, h2.LR)
	assert.False(t, math.IsNaN(h2.LR[0]))
}
