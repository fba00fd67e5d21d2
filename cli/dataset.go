package cli

import (
	"fmt"
	"strings"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/metrics"
)

// dataset is one data set the commands can train on (--dataset).
type dataset struct {
	name string
	// classes names the classes in label order; nil means their numbers.
	classes []string
	locate  func() (string, error)
	load    func(dir string) (train, test *data.Dataset, err error)
}

var datasets = []dataset{
	{name: "mnist", locate: data.LocateMNIST,
		load: func(dir string) (*data.Dataset, *data.Dataset, error) { return data.LoadMNIST(dir) }},
	{name: "fashion-mnist", classes: data.FashionMNISTClasses, locate: data.LocateFashionMNIST,
		load: func(dir string) (*data.Dataset, *data.Dataset, error) { return data.LoadFashionMNIST(dir) }},
}

func datasetNames() string {
	names := make([]string, len(datasets))
	for i, d := range datasets {
		names[i] = d.name
	}
	return strings.Join(names, ", ")
}

// lookupDataset returns the named data set or a usage error.
func lookupDataset(name string) (dataset, error) {
	for _, d := range datasets {
		if d.name == name {
			return d, nil
		}
	}
	return dataset{}, usagef("--dataset: unknown data set %q (want one of: %s)", name, datasetNames())
}

// dataSets are the three parts of a data set a run uses; val is nil
// without a validation split.
type dataSets struct {
	info            dataset
	train, val, tst *data.Dataset
}

// loadDataSets locates (unless dir is given) and loads the named data set
// and splits off the validation set as scikit-learn's
// train_test_split(test_size=valSplit, random_state=42) does.
func loadDataSets(name, dir string, valSplit float64) (dataSets, error) {
	info, err := lookupDataset(name)
	if err != nil {
		return dataSets{}, err
	}
	if dir == "" {
		if dir, err = info.locate(); err != nil {
			return dataSets{}, err
		}
	}
	full, test, err := info.load(dir)
	if err != nil {
		return dataSets{}, fmt.Errorf("%s: %w", name, err)
	}
	s := dataSets{info: info, train: full, tst: test}
	if valSplit == 0 {
		return s, nil
	}
	trIdx, valIdx, err := data.TrainTestSplit(full.Len(), valSplit, 42)
	if err != nil {
		return dataSets{}, usagef("--val-split: %v", err)
	}
	s.train, s.val = full.Subset(trIdx), full.Subset(valIdx)
	return s, nil
}

// classNames returns the names of n classes: the data set's, or numbers.
func (d dataset) classNames(n int) []string {
	if len(d.classes) == n {
		return append([]string(nil), d.classes...)
	}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprint(i)
	}
	return out
}

// classificationReport is scikit-learn's classification_report(digits=4),
// with the data set's class names as target_names when it has them and
// every class occurs (as scikit-learn requires).
func (d dataset) classificationReport(yTrue, yPred []int) string {
	if d.classes != nil {
		r, err := metrics.NewReport(yTrue, yPred, metrics.ReportOptions{TargetNames: d.classes})
		if err == nil {
			return r.Format(4)
		}
	}
	return metrics.ClassificationReport(yTrue, yPred, 4)
}
