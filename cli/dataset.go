package cli

import (
	"fmt"
	"strings"

	"github.com/descent-ml/descent/data"
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
