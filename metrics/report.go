package metrics

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ClassScores are one label's row of a classification report.
type ClassScores struct {
	// Label is the class label and Name the text the report shows for it:
	// its decimal form, or the matching ReportOptions.TargetNames entry.
	Label int    `json:"label"`
	Name  string `json:"name"`
	// Precision is tp/(tp+fp) and Recall tp/(tp+fn), each 0 where its
	// denominator is 0; F1 is their harmonic mean (0 where both are 0).
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1_score"`
	// Support is the number of samples whose true class is Label.
	Support int `json:"support"`
}

// AverageScores are an averaged row of a classification report. Support is
// the total support of the reported labels.
type AverageScores struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1_score"`
	Support   int     `json:"support"`
}

// Report is the content of a scikit-learn classification report in
// structured form; Format (or String) renders it as text. The zero Report
// renders without panicking but is not meaningful: build one with
// NewReport.
type Report struct {
	// Classes holds one entry per reported label, in report order.
	Classes []ClassScores `json:"classes"`
	// Accuracy is the fraction of all samples with yPred == yTrue
	// (scikit-learn's accuracy_score), whichever labels are reported.
	Accuracy float64 `json:"accuracy"`
	// Micro pools tp, fp and fn over the reported labels. When
	// MicroIsAccuracy (the reported labels are exactly the classes present
	// in yTrue and yPred) its precision, recall and F1 all equal Accuracy up
	// to rounding, and the text shows it as the "accuracy" line.
	Micro           AverageScores `json:"micro_avg"`
	MicroIsAccuracy bool          `json:"micro_is_accuracy"`
	// Macro is the unweighted mean of the per-class scores, Weighted their
	// mean weighted by Support.
	Macro    AverageScores `json:"macro_avg"`
	Weighted AverageScores `json:"weighted_avg"`
	// Warnings are the distinct UndefinedMetricWarning messages
	// scikit-learn would emit, in order: a score whose denominator is 0 is
	// reported as 0.0 and warned about.
	Warnings []string `json:"warnings,omitempty"`
}

// ReportOptions select what a Report covers. The zero value reports every
// class present in yTrue or yPred, in increasing order, named by number.
type ReportOptions struct {
	// Labels, when not nil, are the labels to report, in this order
	// (scikit-learn's labels=): they may include labels absent from the
	// data, and samples of other labels count only as false positives or
	// negatives of these. Unless they are exactly the classes present, the
	// micro average is printed as "micro avg" rather than "accuracy".
	Labels []int
	// TargetNames, when not nil, name the reported labels, one per label.
	TargetNames []string
}

// NewReport computes scikit-learn's classification report for the given
// true and predicted labels (see the package documentation for how exactly
// it matches). It fails when the slices differ in length or are empty, when
// Labels is empty or repeats a label, or when TargetNames does not have one
// name per label.
func NewReport(yTrue, yPred []int, opts ReportOptions) (*Report, error) {
	if len(yTrue) != len(yPred) {
		return nil, lengthError(yTrue, yPred)
	}
	if len(yTrue) == 0 {
		return nil, errors.New("metrics: yTrue and yPred are empty")
	}
	present := append(slices.Clone(yTrue), yPred...)
	slices.Sort(present)
	present = slices.Compact(present)

	labels := present
	if opts.Labels != nil {
		if len(opts.Labels) == 0 {
			return nil, errors.New("metrics: ReportOptions.Labels is empty")
		}
		sorted := slices.Clone(opts.Labels)
		slices.Sort(sorted)
		if len(slices.Compact(sorted)) != len(opts.Labels) {
			return nil, fmt.Errorf("metrics: ReportOptions.Labels %v repeats a label", opts.Labels)
		}
		labels = opts.Labels
	}
	if opts.TargetNames != nil && len(opts.TargetNames) != len(labels) {
		return nil, fmt.Errorf("metrics: Number of classes, %d, does not match size of target_names, %d",
			len(labels), len(opts.TargetNames))
	}

	k := len(labels)
	pos := make(map[int]int, k)
	for i, l := range labels {
		pos[l] = i
	}
	tp := make([]int, k)
	predSum := make([]int, k)
	trueSum := make([]int, k)
	correct := 0
	for i, t := range yTrue {
		p := yPred[i]
		if t == p {
			correct++
		}
		if j, ok := pos[t]; ok {
			trueSum[j]++
			if t == p {
				tp[j]++
			}
		}
		if j, ok := pos[p]; ok {
			predSum[j]++
		}
	}

	r := &Report{
		Classes:         make([]ClassScores, k),
		Accuracy:        float64(correct) / float64(len(yTrue)),
		MicroIsAccuracy: slices.Equal(present, sortedCopy(labels)),
	}
	var w warnings

	// Per class (precision_recall_fscore_support with average=None).
	prec := w.divide(tp, predSum, "Precision", "predicted")
	rec := w.divide(tp, trueSum, "Recall", "true")
	f1 := make([]float64, k)
	support := 0
	for i := range labels {
		f1[i] = fScore(prec[i], rec[i])
		support += trueSum[i]
		name := strconv.Itoa(labels[i])
		if opts.TargetNames != nil {
			name = opts.TargetNames[i]
		}
		r.Classes[i] = ClassScores{
			Label: labels[i], Name: name,
			Precision: prec[i], Recall: rec[i], F1: f1[i], Support: trueSum[i],
		}
	}

	// average="micro": pool the counts, then divide.
	sumTP, sumPred := 0, 0
	for i := range labels {
		sumTP += tp[i]
		sumPred += predSum[i]
	}
	mp := w.divide([]int{sumTP}, []int{sumPred}, "Precision", "predicted")[0]
	mr := w.divide([]int{sumTP}, []int{support}, "Recall", "true")[0]
	r.Micro = AverageScores{Precision: mp, Recall: mr, F1: fScore(mp, mr), Support: support}

	// average="macro" and "weighted" repeat the per-class division (and its
	// warnings, which w drops as duplicates) before averaging.
	n := float64(k)
	r.Macro = AverageScores{
		Precision: pairwiseSum(prec) / n,
		Recall:    pairwiseSum(rec) / n,
		F1:        pairwiseSum(f1) / n,
		Support:   support,
	}
	r.Weighted = AverageScores{Support: support}
	if support > 0 {
		// numpy.average(x, weights=trueSum): sum(x*w)/sum(w).
		ws := float64(support)
		r.Weighted.Precision = weightedSum(prec, trueSum) / ws
		r.Weighted.Recall = weightedSum(rec, trueSum) / ws
		r.Weighted.F1 = weightedSum(f1, trueSum) / ws
	} // else scikit-learn returns zero_division's 0.0 for all three.

	r.Warnings = w.msgs
	return r, nil
}

// ClassificationReport returns scikit-learn's
// classification_report(yTrue, yPred, digits=digits) text for ints: the
// per-class rows in increasing label order, then the accuracy, macro and
// weighted average lines, ending in a newline.
//
// It never panics. On invalid input (lengths differ, no samples, negative
// digits) it returns the error's text, "metrics: ..." without a trailing
// newline, instead of a report; call NewReport to get the error and the
// zero-division warnings as values.
func ClassificationReport(yTrue, yPred []int, digits int) string {
	if digits < 0 {
		return fmt.Sprintf("metrics: digits %d is negative", digits)
	}
	r, err := NewReport(yTrue, yPred, ReportOptions{})
	if err != nil {
		return err.Error()
	}
	return r.Format(digits)
}

// String is Format(2), scikit-learn's default.
func (r *Report) String() string { return r.Format(2) }

// Format renders the report as scikit-learn's classification_report does
// with the given number of digits after the decimal point (a negative
// digits counts as 0). The first column is as wide as the longest of the
// class names (counted in code points), "weighted avg" and digits; the other
// columns are 9 wide, plus a space between.
//
// One quirk of scikit-learn 1.2 is kept: when no sample at all is classified
// correctly (Accuracy is 0), its counts come out as floats, and the support
// column reads "12.0" rather than "12".
func (r *Report) Format(digits int) string {
	digits = max(digits, 0)
	const lastHeading = "weighted avg"
	width := max(len(lastHeading), digits)
	for _, c := range r.Classes {
		width = max(width, len([]rune(c.Name)))
	}

	var b strings.Builder
	fmt.Fprintf(&b, "%*s ", width, "")
	for _, h := range [...]string{"precision", "recall", "f1-score", "support"} {
		fmt.Fprintf(&b, " %9s", h)
	}
	b.WriteString("\n\n")
	support := strconv.Itoa
	if r.Accuracy == 0 {
		support = pyFloatInt
	}
	row := func(name string, p, rc, f float64, s int) {
		fmt.Fprintf(&b, "%*s  %9.*f %9.*f %9.*f %9s\n", width, name, digits, p, digits, rc, digits, f, support(s))
	}
	for _, c := range r.Classes {
		row(c.Name, c.Precision, c.Recall, c.F1, c.Support)
	}
	b.WriteString("\n")
	if r.MicroIsAccuracy {
		fmt.Fprintf(&b, "%*s  %9s %9s %9.*f %9s\n", width, "accuracy", "", "", digits, r.Micro.F1, support(r.Micro.Support))
	} else {
		row("micro avg", r.Micro.Precision, r.Micro.Recall, r.Micro.F1, r.Micro.Support)
	}
	row("macro avg", r.Macro.Precision, r.Macro.Recall, r.Macro.F1, r.Macro.Support)
	row(lastHeading, r.Weighted.Precision, r.Weighted.Recall, r.Weighted.F1, r.Weighted.Support)
	return b.String()
}

// pyFloatInt formats n as Python's str(float(n)) does: 12.0, 1e+16.
func pyFloatInt(n int) string {
	f := float64(n)
	if math.Abs(f) >= 1e16 {
		return strconv.FormatFloat(f, 'e', -1, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64) + ".0"
}

// fScore is scikit-learn 1.2's F-beta for beta = 1, operation for operation:
// (1+beta²)·p·r / (beta²·p + r), with a zero denominator replaced by 1.
func fScore(p, r float64) float64 {
	denom := p + r
	if denom == 0 {
		denom = 1
	}
	return 2 * p * r / denom
}

// warnings collects scikit-learn's UndefinedMetricWarning messages, each
// once, in the order they are first raised.
type warnings struct{ msgs []string }

// divide is scikit-learn's _prf_divide with zero_division="warn": num/den
// elementwise, 0.0 where den is 0, with a warning if that happened anywhere.
func (w *warnings) divide(num, den []int, metric, modifier string) []float64 {
	out := make([]float64, len(num))
	undefined := false
	for i := range num {
		if den[i] == 0 {
			undefined = true
			continue
		}
		out[i] = float64(num[i]) / float64(den[i])
	}
	if undefined {
		where := "in labels with"
		if len(num) == 1 {
			where = "due to"
		}
		w.add(metric + " and F-score are ill-defined and being set to 0.0 " + where +
			" no " + modifier + " samples. Use `zero_division` parameter to control this behavior.")
	}
	return out
}

func (w *warnings) add(msg string) {
	if !slices.Contains(w.msgs, msg) {
		w.msgs = append(w.msgs, msg)
	}
}

// weightedSum is numpy's multiply(x, w).sum(): the products rounded one by
// one, then added in pairwise order.
func weightedSum(x []float64, w []int) float64 {
	prod := make([]float64, len(x))
	for i := range x {
		// The explicit conversion forbids fusing the product into a later
		// add (FMA), which numpy does not do.
		prod[i] = float64(x[i] * float64(w[i]))
	}
	return pairwiseSum(prod)
}

// pairwiseSum adds a in the order numpy's add.reduce uses for a contiguous
// float64 array (pairwise_sum in numpy's loops_utils.h): sequentially below
// 8 elements, in 8 interleaved partial sums up to 128, and by recursive
// halving (at multiples of 8) above that. Matching this order is what makes
// the macro and weighted averages bit-identical to scikit-learn's.
func pairwiseSum(a []float64) float64 {
	n := len(a)
	switch {
	case n < 8:
		res := 0.0
		for _, x := range a {
			res += x
		}
		return res
	case n <= 128:
		var r [8]float64
		copy(r[:], a[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			for j := range r {
				r[j] += a[i+j]
			}
		}
		res := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			res += a[i]
		}
		return res
	default:
		n2 := n / 2
		n2 -= n2 % 8
		return pairwiseSum(a[:n2]) + pairwiseSum(a[n2:])
	}
}

func sortedCopy(x []int) []int {
	s := slices.Clone(x)
	slices.Sort(s)
	return s
}
