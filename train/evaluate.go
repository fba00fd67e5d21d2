package train

import (
	"context"
	"fmt"

	"github.com/descent-ml/descent/data"
)

// Evaluate returns the mean loss and accuracy of the model over src, in
// batches of the trainer's batch size, without changing the model.
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
	if err := t.check(src, "evaluation data"); err != nil {
		return 0, 0, nil, err
	}
	n, out := src.Len(), t.model.Output()
	if n == 0 {
		return 0, 0, nil, fmt.Errorf("train: evaluation data is empty")
	}
	if withClasses {
		classes = make([]int, 0, n)
	}
	var lossSum float64
	correct := 0
	err = t.batches(ctx, src, func(probs []float32, b int) {
		t.loss.PerSample(t.y[:b*out], probs, b, out, t.perSample)
		for _, l := range t.perSample[:b] {
			lossSum += float64(l)
		}
		correct += countCorrect(probs, t.labels[:b], out)
		if withClasses {
			for r := 0; r < b; r++ {
				classes = append(classes, argmax(probs[r*out:(r+1)*out]))
			}
		}
	})
	if err != nil {
		return 0, 0, nil, err
	}
	return lossSum / float64(n), float64(correct) / float64(n), classes, nil
}

// Predict returns the model's outputs for every sample of src, (Len, Output)
// row-major, and the arg-max class of each.
func (t *Trainer) Predict(ctx context.Context, src data.Source) (outputs []float32, classes []int, err error) {
	if err := t.check(src, "prediction data"); err != nil {
		return nil, nil, err
	}
	out := t.model.Output()
	outputs = make([]float32, 0, src.Len()*out)
	classes = make([]int, 0, src.Len())
	err = t.batches(ctx, src, func(probs []float32, b int) {
		outputs = append(outputs, probs...)
		for r := 0; r < b; r++ {
			classes = append(classes, argmax(probs[r*out:(r+1)*out]))
		}
	})
	if err != nil {
		return nil, nil, err
	}
	return outputs, classes, nil
}

// batches runs the forward pass over src in order, batch by batch, handing
// each batch's outputs to f. The batch's targets and labels are in t.y and
// t.labels.
func (t *Trainer) batches(ctx context.Context, src data.Source, f func(probs []float32, b int)) error {
	n := src.Len()
	for start := 0; start < n; start += t.batchSize {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("train: interrupted at sample %d of %d: %w", start, n, err)
		}
		b := min(t.batchSize, n-start)
		idx := t.batchIdx[:b]
		for i := range idx {
			idx[i] = start + i
		}
		t.loadBatch(src, idx)
		probs, err := t.model.Forward(t.ws, t.x, b)
		if err != nil {
			return fmt.Errorf("train: %w", err)
		}
		f(probs, b)
	}
	return nil
}
