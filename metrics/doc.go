// Package metrics scores classifiers: a confusion matrix, and per-class
// precision, recall and F1 with their averages, rendered exactly as
// scikit-learn's classification_report prints them.
//
// # Matching scikit-learn
//
// NewReport computes what scikit-learn 1.2's
// precision_recall_fscore_support and classification_report compute, with
// the default zero_division="warn", down to the last bit of every float:
//
//   - precision = tp/(tp+fp) and recall = tp/(tp+fn), set to 0.0 where the
//     denominator is 0 (a class never predicted, or never true), with the
//     warning scikit-learn emits (Report.Warnings);
//   - F1 = 2·precision·recall/(precision+recall), in that order of
//     operations, and 0.0 where precision+recall is 0;
//   - the macro average is the plain mean and the weighted average the
//     support-weighted mean of the per-class values, both summed in numpy's
//     pairwise order;
//   - the micro average pools tp, fp and fn over the reported labels; when
//     the labels are exactly the classes present, scikit-learn prints it as
//     the "accuracy" line (its F1 only), otherwise as "micro avg".
//
// Report.Format reproduces the text layout byte for byte, so
//
//	metrics.ClassificationReport(yTrue, yPred, 2)
//
// prints what print(classification_report(y_true, y_pred)) prints. The
// golden files in testdata were written by scripts/golden/sklearn_report.py
// with scikit-learn 1.2.1 and numpy 1.24.2. Later scikit-learn releases
// compute F1 as 2·tp/(2·tp+fp+fn) instead, which can differ in the last bit
// and so, rarely, in a printed digit.
//
// Differences from scikit-learn: labels are ints (their names are their
// decimal form unless TargetNames are given); invalid input, including a
// TargetNames list whose length does not match the labels (which
// scikit-learn only warns about when labels are given), is an error rather
// than an exception; and the zero_division options other than "warn" are
// not offered.
package metrics
