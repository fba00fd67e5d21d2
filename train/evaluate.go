package train

import (
	"context"
	"fmt"
	"math"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/predict"
)

// Evaluation is what Evaluate measures over a data set.
type Evaluation struct {
	// Loss is the mean per-sample loss, Accuracy the fraction of samples
	// whose arg-max output is their label. Both are NaN when any output is
	// not finite (a diverged model): an arg-max of NaNs is no prediction.
	Loss, Accuracy float64
	// NonFinite counts the samples with a non-finite output (NaN or ±Inf).
	// Their Classes entries are what predict.Argmax says of such a row,
	// not predictions.
	NonFinite int
	// Samples is the number of samples evaluated.
	Samples int
	// Classes is the predicted (arg-max) class of every sample, in order,
	// when asked for.
	Classes []int
}

// Evaluate runs every sample of src through p and measures the mean loss
// and accuracy, and the predicted classes when withClasses is set, from one
// forward pass: what a classification report needs. It needs no optimizer
// and no Trainer; Trainer.Evaluate uses it.
func Evaluate(ctx context.Context, p *predict.Predictor, src data.Source, loss Loss, withClasses bool) (Evaluation, error) {
	if loss == nil {
		return Evaluation{}, fmt.Errorf("train: evaluate: nil loss")
	}
	if src == nil || src.Len() == 0 {
		return Evaluation{}, fmt.Errorf("train: evaluation data is empty")
	}
	n, out := src.Len(), src.Classes()
	ev := Evaluation{Samples: n}
	if withClasses {
		ev.Classes = make([]int, 0, n)
	}
	var perSample []float32
	var lossSum float64
	correct := 0
	err := p.PredictSource(ctx, src, func(b predict.Batch) error {
		if cap(perSample) < b.Rows {
			perSample = make([]float32, b.Rows)
		}
		loss.PerSample(b.Targets, b.Outputs, b.Rows, out, perSample[:b.Rows])
		for _, l := range perSample[:b.Rows] {
			lossSum += float64(l)
		}
		for r, label := range b.Labels {
			row := b.Outputs[r*out : (r+1)*out]
			if !finiteRow(row) {
				ev.NonFinite++
			}
			c := predict.Argmax(row)
			if c == label {
				correct++
			}
			if withClasses {
				ev.Classes = append(ev.Classes, c)
			}
		}
		return nil
	})
	if err != nil {
		return Evaluation{}, fmt.Errorf("train: %w", err)
	}
	ev.Loss, ev.Accuracy = lossSum/float64(n), float64(correct)/float64(n)
	if ev.NonFinite > 0 {
		ev.Loss, ev.Accuracy = math.NaN(), math.NaN()
	}
	return ev, nil
}

// finiteRow reports whether every value of row is finite.
func finiteRow(row []float32) bool {
	for _, v := range row {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return false
		}
	}
	return true
}

// Evaluate returns the mean loss and accuracy of the model over src, in
// batches of the trainer's batch size, without changing the model. It runs
// on the trainer's Predictor (see predictor), on a snapshot of the
// parameters as they are now.
func (t *Trainer) Evaluate(ctx context.Context, src data.Source) (loss, accuracy float64, err error) {
	loss, accuracy, _, err = t.evaluate(ctx, src, false)
	return loss, accuracy, err
}

// EvaluateClasses is Evaluate that also returns the predicted (arg-max)
// class of every sample, from the same forward pass: what a classification
// report needs, without running the data through the model twice.
func (t *Trainer) EvaluateClasses(ctx context.Context, src data.Source) (loss, accuracy float64, classes []int, err error) {
	return t.evaluate(ctx, src, true)
}

func (t *Trainer) evaluate(ctx context.Context, src data.Source, withClasses bool) (loss, accuracy float64, classes []int, err error) {
	if err := t.enter(); err != nil {
		return 0, 0, nil, err
	}
	defer t.leave()
	return t.evaluateLocked(ctx, src, withClasses)
}

// evaluateLocked is evaluate for a caller that holds the trainer (Fit).
func (t *Trainer) evaluateLocked(ctx context.Context, src data.Source, withClasses bool) (loss, accuracy float64, classes []int, err error) {
	if err := t.check(src, "evaluation data"); err != nil {
		return 0, 0, nil, err
	}
	p, err := t.predictor()
	if err != nil {
		return 0, 0, nil, err
	}
	ev, err := Evaluate(ctx, p, src, t.loss, withClasses)
	if err != nil {
		return 0, 0, nil, err
	}
	return ev.Loss, ev.Accuracy, ev.Classes, nil
}

// Predict returns the model's outputs for every sample of src, (Len, Output)
// row-major, and the arg-max class of each, from the trainer's Predictor.
func (t *Trainer) Predict(ctx context.Context, src data.Source) (outputs []float32, classes []int, err error) {
	if err := t.enter(); err != nil {
		return nil, nil, err
	}
	defer t.leave()
	if err := t.check(src, "prediction data"); err != nil {
		return nil, nil, err
	}
	p, err := t.predictor()
	if err != nil {
		return nil, nil, err
	}
	out := t.model.Output()
	outputs = make([]float32, 0, src.Len()*out)
	classes = make([]int, 0, src.Len())
	err = p.PredictSource(ctx, src, func(b predict.Batch) error {
		outputs = append(outputs, b.Outputs...)
		for r := 0; r < b.Rows; r++ {
			classes = append(classes, predict.Argmax(b.Outputs[r*out:(r+1)*out]))
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("train: %w", err)
	}
	return outputs, classes, nil
}

// predictor returns the trainer's Predictor serving the parameters as they
// are now: made on first use (one workspace, batches of the trainer's batch
// size, forward-only plans), then given a fresh snapshot (Swap: a copy of
// the parameters, no new plans) at every call.
func (t *Trainer) predictor() (*predict.Predictor, error) {
	if t.pred == nil {
		p, err := predict.New(t.model, t.eng, predict.Options{MaxBatch: t.batchSize, Workers: 1})
		if err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		t.pred = p
		return p, nil
	}
	if _, err := t.pred.Swap(t.model); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return t.pred, nil
}
