// Package report stores, plots and presents an experiment: several training
// runs of the same network that differ in one setting (a learning-rate sweep,
// an optimizer comparison), as descent sweep and descent compare produce.
//
// Every run has a task (Run.Task: classification, binary or regression; a
// folder written before runs recorded it reads as classification), and
// the runs of an experiment share one. It decides the metrics and files:
// accuracy, the classification report and the confusion matrix for classes
// (a binary task adds the test ROC AUC); MSE, MAE and R² and a regression
// report for a regression.
//
// An experiment folder holds:
//
//	summary.json                 the Experiment: kind, command, dataset, shared
//	                             configuration, and one Summary row per run
//	val_accuracy.png, .svg       validation accuracy per epoch, one line per
//	                             run (a regression: val_mae, the validation
//	                             mean absolute error)
//	val_loss.png, .svg           validation loss per epoch, log-scale y
//	report.html                  one self-contained page: configuration, both
//	                             figures inline as SVG, the summary table, and
//	                             every run's classification report and
//	                             confusion matrix (a regression: its
//	                             regression report); it loads nothing
//	<run>/history.json           the Run: task, history, epoch seconds, test
//	                             scores, configuration, classification report,
//	                             confusion matrix (a superset of the file
//	                             descent train --history writes)
//	<run>/history.csv            epoch,loss,accuracy,val_loss,val_accuracy,seconds
//	                             (a regression: epoch,loss,mae,val_loss,
//	                             val_mae,val_r2,seconds)
//	<run>/classification_report.txt   scikit-learn's text report on the test set
//	<run>/confusion_matrix.csv   rows are true classes, columns predictions
//	<run>/regression_report.txt  a regression's test metrics, in place of the
//	                             two files above
//	lrfind.json, .png, .svg      with --lr auto, the learning-rate range tests
//	                             ([RangeTest]: rates, losses, smoothed losses,
//	                             suggested_lr; one per run) and their figure;
//	                             report.html then has a section for them
//	                             (descent lrfind writes these and report.html
//	                             alone)
//
// The package only builds bytes ([RunFiles], [PageFiles]) and reads folders
// ([Load]); the caller decides how files are written (descent writes each one
// atomically). Floats in JSON and CSV are written in Go's shortest
// round-tripping form, so a file read back gives the same numbers.
package report
