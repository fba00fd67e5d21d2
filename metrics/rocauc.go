package metrics

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// ROCAUC is the area under the ROC curve of scores for the binary labels
// yTrue (0 or 1), as scikit-learn's roc_auc_score computes it for a binary
// problem: the probability that a random positive scores above a random
// negative, a tie counting one half (the Mann–Whitney U statistic over
// n₊·n₋). It is computed from the ranks of the scores, tied scores sharing
// their mean rank:
//
//	AUC = (Σ ranks of the positives − n₊(n₊+1)/2) / (n₊·n₋)
//
// It is an error when both classes do not occur (scikit-learn raises
// "Only one class present in y_true"), when a label is not 0 or 1, or when
// a score is NaN.
func ROCAUC(yTrue []int, scores []float64) (float64, error) {
	if len(yTrue) != len(scores) {
		return 0, fmt.Errorf("metrics: %d labels but %d scores", len(yTrue), len(scores))
	}
	order := make([]int, len(scores))
	var pos, neg float64
	for i, y := range yTrue {
		switch {
		case y == 1:
			pos++
		case y == 0:
			neg++
		default:
			return 0, fmt.Errorf("metrics: ROC AUC needs labels 0 and 1, got %d", y)
		}
		if math.IsNaN(scores[i]) {
			return 0, fmt.Errorf("metrics: score %d is NaN", i)
		}
		order[i] = i
	}
	if pos == 0 || neg == 0 {
		return 0, errors.New("metrics: ROC AUC is undefined when only one class is present")
	}
	sort.Slice(order, func(a, b int) bool { return scores[order[a]] < scores[order[b]] })
	var rankSum float64
	for i := 0; i < len(order); {
		j := i
		for j < len(order) && scores[order[j]] == scores[order[i]] {
			j++
		}
		mean := float64(i+j+1) / 2 // ranks i+1 … j share their mean
		for _, k := range order[i:j] {
			if yTrue[k] == 1 {
				rankSum += mean
			}
		}
		i = j
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg), nil
}
