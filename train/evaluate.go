package train

import (
	"context"
	"fmt"
	"math"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/predict"
)

// Evaluation is what Evaluate measures over a data set. Which metrics are
// set follows the task (data.TaskOf); the others are NaN.
type Evaluation struct {
	// Task is the data's task.
	Task data.Task
	// Loss is the mean per-sample loss. It and the metrics are NaN when any
	// output is not finite (a diverged model): an arg-max of NaNs is no
	// prediction.
	Loss float64
	// Accuracy (classification and binary) is the fraction of samples
	// predicted right: arg-max output = label, or for one positive
	// probability p, (p > 0.5) = label (Keras's binary_accuracy).
	Accuracy float64
	// MSE, MAE and R2 (regression) are the mean squared and absolute
	// errors and the coefficient of determination, each over all outputs
	// as scikit-learn's mean_squared_error, mean_absolute_error and
	// r2_score (multioutput="uniform_average") compute them.
	MSE, MAE, R2 float64
	// NonFinite counts the samples with a non-finite output (NaN or ±Inf).
	// Their Classes entries are what predict.Argmax says of such a row,
	// not predictions.
	NonFinite int
	// Samples is the number of samples evaluated.
	Samples int
	// Classes is the predicted class of every sample, in order, when
	// predictions are asked for and the task has classes.
	Classes []int
	// Outputs holds the model's outputs, (Samples, Output) row-major, when
	// predictions are asked for: the probabilities a ROC curve needs, or a
	// regression's predicted values.
	Outputs []float32
}

// Evaluate runs every sample of src through p and measures the mean loss
// and the task's metrics, and keeps the predictions (Classes, Outputs)
// when withPredictions is set, from one forward pass: what a
// classification report or a regression's scatter needs. It needs no
// optimizer and no Trainer; Trainer.Evaluate uses it.
func Evaluate(ctx context.Context, p *predict.Predictor, src data.Source, loss Loss, withPredictions bool) (Evaluation, error) {
	if loss == nil {
		return Evaluation{}, fmt.Errorf("train: evaluate: nil loss")
	}
	if src == nil || src.Len() == 0 {
		return Evaluation{}, fmt.Errorf("train: evaluation data is empty")
	}
	n, out := src.Len(), src.Targets()
	task := data.TaskOf(src)
	nan := math.NaN()
	ev := Evaluation{Task: task, Samples: n, Accuracy: nan, MSE: nan, MAE: nan, R2: nan}
	if withPredictions {
		ev.Outputs = make([]float32, 0, n*out)
		if task != data.TaskRegression {
			ev.Classes = make([]int, 0, n)
		}
	}
	var perSample []float32
	var lossSum float64
	correct := 0
	r2 := newR2Sums(out)
	err := p.PredictSource(ctx, src, func(b predict.Batch) error {
		if cap(perSample) < b.Rows {
			perSample = make([]float32, b.Rows)
		}
		loss.PerSample(b.Targets, b.Outputs, b.Rows, out, perSample[:b.Rows])
		for _, l := range perSample[:b.Rows] {
			lossSum += float64(l)
		}
		if withPredictions {
			ev.Outputs = append(ev.Outputs, b.Outputs...)
		}
		for r := 0; r < b.Rows; r++ {
			row := b.Outputs[r*out : (r+1)*out]
			if !finiteRow(row) {
				ev.NonFinite++
			}
			if task == data.TaskRegression {
				r2.add(row, b.Targets[r*out:(r+1)*out])
				continue
			}
			var c int
			if task == data.TaskBinary {
				c = binaryClass(row[0])
			} else {
				c = predict.Argmax(row)
			}
			if c == b.Labels[r] {
				correct++
			}
			if withPredictions {
				ev.Classes = append(ev.Classes, c)
			}
		}
		return nil
	})
	if err != nil {
		return Evaluation{}, fmt.Errorf("train: %w", err)
	}
	ev.Loss = lossSum / float64(n)
	if task == data.TaskRegression {
		ev.MSE, ev.MAE, ev.R2 = r2.scores()
	} else {
		ev.Accuracy = float64(correct) / float64(n)
	}
	if ev.NonFinite > 0 {
		ev.Loss, ev.Accuracy, ev.MSE, ev.MAE, ev.R2 = nan, nan, nan, nan, nan
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
	ev, err := t.Measure(ctx, src, false)
	return ev.Loss, ev.Accuracy, err
}

// EvaluateClasses is Evaluate that also returns the predicted (arg-max)
// class of every sample, from the same forward pass: what a classification
// report needs, without running the data through the model twice.
func (t *Trainer) EvaluateClasses(ctx context.Context, src data.Source) (loss, accuracy float64, classes []int, err error) {
	ev, err := t.Measure(ctx, src, true)
	return ev.Loss, ev.Accuracy, ev.Classes, err
}

// Measure is the package's Evaluate of the model as it is now, on the
// trainer's Predictor: every metric of the task, and the predictions when
// withPredictions is set.
func (t *Trainer) Measure(ctx context.Context, src data.Source, withPredictions bool) (Evaluation, error) {
	if err := t.enter(); err != nil {
		return Evaluation{}, err
	}
	defer t.leave()
	return t.evaluateLocked(ctx, src, withPredictions)
}

// evaluateLocked is Measure for a caller that holds the trainer (Fit).
func (t *Trainer) evaluateLocked(ctx context.Context, src data.Source, withPredictions bool) (Evaluation, error) {
	if err := t.check(src, "evaluation data"); err != nil {
		return Evaluation{}, err
	}
	p, err := t.predictor()
	if err != nil {
		return Evaluation{}, err
	}
	return Evaluate(ctx, p, src, t.loss, withPredictions)
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
