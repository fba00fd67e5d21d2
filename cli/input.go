package cli

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/internal/inputfile"
	"github.com/descent-ml/descent/metrics"
	"github.com/descent-ml/descent/model"
)

// dataFlags are the flags that say which data a run trains and tests on.
func dataFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: "dataset", Value: "mnist", Usage: "built-in data set: mnist or fashion-mnist (Debian's dataset-fashion-mnist); ignored when --data names a file"},
		&ucli.StringFlag{Name: "data", Usage: "your data: a CSV file (header row, --label column), a .npy of features (its targets in the .npy named with y for x: x_train.npy → y_train.npy), a .npz (x_train, y_train[, x_test, y_test] or x, y) or a folder of the built-in data set's IDX files; default: the built-in data set, located automatically (see README)"},
		&ucli.StringFlag{Name: "test-data", Usage: "a separate test set, in any form --data takes; default: the data's own test part (a .npz's x_test, the IDX test files), else --test-split of --data"},
		&ucli.Float64Flag{Name: "test-split", Value: 0.2, Usage: "fraction of --data held out as the test set when it has no test part of its own (and no --test-data is given), split as scikit-learn's train_test_split(random_state=42)"},
		&ucli.StringFlag{Name: "label", Value: data.DefaultCSVLabel, Usage: "the CSV column that holds the target"},
		&ucli.StringFlag{Name: "task", Value: "auto", Usage: "auto, classification, binary or regression; auto: whole-number targets are classes (two values: binary), anything else a regression, and the run says what it chose"},
		&ucli.BoolFlag{Name: "stream", Usage: "keep the features of --data and --test-data on disk and read them a batch at a time, for data larger than memory: a .npy read with pread (the next batch while this one trains), a CSV converted once to a binary cache beside it (FILE.descent-cache)"},
		&ucli.StringFlag{Name: "normalize", Usage: "feature normalisation, fitted on the training split and stored in the model: none, scale (÷255), standardize or minmax", DefaultText: "scale for uint8 images, none otherwise"},
	}
}

// dataOptions are what dataFlags say.
type dataOptions struct {
	dataset, path, testPath, label, normalize string
	datasetSet                                bool // --dataset was given
	stream                                    bool // --stream
	task                                      data.Task
	testSplit, valSplit                       float64
}

// readDataOptions reads and checks the data flags.
func readDataOptions(c *ucli.Context, valSplit float64) (dataOptions, error) {
	// A command without one of the flags (evaluate has no --task) reads
	// "" or 0 for it: its default.
	o := dataOptions{dataset: cmp.Or(c.String("dataset"), "mnist"), path: c.String("data"), testPath: c.String("test-data"),
		label: cmp.Or(c.String("label"), data.DefaultCSVLabel), normalize: c.String("normalize"),
		testSplit: c.Float64("test-split"), valSplit: valSplit, datasetSet: c.IsSet("dataset"), stream: c.Bool("stream")}
	if !c.IsSet("test-split") && o.testSplit == 0 {
		o.testSplit = 0.2
	}
	var err error
	if o.task, err = data.ParseTask(cmp.Or(c.String("task"), "auto")); err != nil {
		return o, usagef("--task: %v", err)
	}
	if o.normalize != "" {
		if _, err := normalizationOf(o.normalize); err != nil {
			return o, err
		}
	}
	if !(o.testSplit > 0 && o.testSplit < 1) {
		return o, usagef("--test-split: must be in (0, 1), got %v", o.testSplit)
	}
	if !o.userFile() {
		if _, err := lookupDataset(o.dataset); err != nil {
			return o, err
		}
	}
	return o, nil
}

// normalizationOf checks a --normalize value.
func normalizationOf(s string) (string, error) {
	switch s {
	case data.NormalizeNone, data.NormalizeScale, data.NormalizeStandardize, data.NormalizeMinMax:
		return s, nil
	}
	return "", usagef("--normalize: unknown normalisation %q (want none, scale, standardize or minmax)", s)
}

// userFile reports whether --data names a user's file rather than a
// built-in data set's folder.
func (o dataOptions) userFile() bool {
	if o.path == "" {
		return false
	}
	st, err := os.Stat(o.path)
	return err != nil || !st.IsDir() // a missing path is reported by its reader
}

// dataSets are the three parts of the data a run uses (val is nil without
// a validation split), served as the network takes them, and what a model
// trained on them records.
type dataSets struct {
	info            dataset // the built-in data set, or name only for a user's data
	task            data.Task
	train, val, tst data.Source
	// pre maps raw features (what predict, evaluate and serve receive) to
	// what the sources serve; the model file records it.
	pre model.Preprocessing
	// classes names the classes in label order (nil for a regression).
	classes []string
	// targetName names a regression's target (the CSV column), or is "".
	targetName string
	// testLabels are the test set's true classes (nil for a regression).
	testLabels []int
	// notes say what was chosen or verified, for the run to print.
	notes []string
	// stream says the training data is read from disk (--stream): Fit
	// prefetches each batch while the one before trains.
	stream bool
}

// loadDataSets loads the data o names, splits off the test set (unless
// the data has one) and the validation set as scikit-learn's
// train_test_split(test_size, random_state=42) does, in that order, and
// normalises the features with statistics of the training split only.
func loadDataSets(ctx context.Context, o dataOptions) (dataSets, error) {
	if o.path == "" || (o.datasetSet && !o.userFile()) {
		return loadBuiltin(ctx, o)
	}
	if !o.userFile() {
		// A folder of IDX files: any names, shapes and types; verified
		// only when it is a bundled copy.
		folder, err := data.LoadIDXFolder(o.path)
		if err != nil {
			return dataSets{}, fmt.Errorf("--data: %w", err)
		}
		notes := []string{folder.Checksums}
		if folder.Train != nil {
			return loadImages(ctx, o, dataset{name: folder.Name, classes: folder.ClassNames}, folder.Train, folder.Test, notes)
		}
		return loadTables(ctx, o, folder.TrainTable, folder.TestTable, notes)
	}
	if o.stream {
		full, err := streamRows(ctx, o.path, o.label)
		if err != nil {
			return dataSets{}, err
		}
		var test *rows
		if o.testPath != "" {
			if test, err = streamRows(ctx, o.testPath, o.label); err != nil {
				return dataSets{}, fmt.Errorf("--test-data: %w", err)
			}
		}
		s, err := loadRows(ctx, o, full, test, []string{"features: read from disk a batch at a time (--stream)"})
		s.stream = true
		return s, err
	}
	full, test, err := readTables(o.path, o.label)
	if err != nil {
		return dataSets{}, err
	}
	return loadTables(ctx, o, full, test, nil)
}

// streamRows opens a user's file for streaming: a .npy of features (its
// targets read whole from the y file), or a CSV through its binary cache.
// The file stays open (mapped) until the process ends.
func streamRows(ctx context.Context, path, label string) (*rows, error) {
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("--data %s: not a regular file (%s)", path, inputfile.Describe(st.Mode()))
	}
	var xPath, yPath, targetName string
	var err error
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".npy":
		xPath = path
		if yPath, err = targetsPath(path); err != nil {
			return nil, err
		}
	case ".csv":
		// Converted a row at a time, so the whole file never sits in
		// memory: the 1 GiB cap of an in-memory read does not apply (the
		// cap on values, MaxTableValues, does).
		if xPath, yPath, err = data.CSVCache(ctx, path, data.CSVOptions{Label: label, MaxBytes: 1 << 40}); err != nil {
			return nil, err
		}
		targetName = label
	default:
		return nil, usagef("--stream: %s: only a .npy or a CSV file can be streamed (got %q; a .npz is compressed: save its arrays with numpy.save)", path, ext)
	}
	x, err := data.OpenNPYFile(xPath) // pread: shuffled rows, see OpenNPYFile
	if err != nil {
		return nil, err
	}
	y, err := data.ReadNPYTargets(yPath)
	if err != nil {
		x.Close()
		return nil, err
	}
	if len(y) != x.Rows() {
		x.Close()
		return nil, fmt.Errorf("%s has %d samples but its targets %s %d", xPath, x.Rows(), yPath, len(y))
	}
	return &rows{name: path, features: x.Cols(), targets: y, targetName: targetName,
		source: func(enc data.Encoding) (data.Source, error) { return data.NewStreamSource(x, y, enc) }}, nil
}

// rows is a user's data set, in memory (a Table) or on disk (a .npy read
// a batch at a time), before its targets are encoded.
type rows struct {
	name       string
	features   int
	targets    []float64
	targetName string
	// source serves the rows with the targets encoded by enc.
	source func(enc data.Encoding) (data.Source, error)
}

// tableRows is the rows of an in-memory table.
func tableRows(t *data.Table) *rows {
	if t == nil {
		return nil
	}
	return &rows{name: t.Name, features: t.F, targets: t.Y, targetName: t.TargetName,
		source: func(enc data.Encoding) (data.Source, error) { return data.NewTableSource(t, enc) }}
}

// subsetOf returns the samples idx of a user's source.
func subsetOf(src data.Source, idx []int) (data.Source, error) {
	switch s := src.(type) {
	case *data.TableSource:
		return s.Subset(idx)
	case *data.StreamSource:
		return s.Subset(idx)
	}
	return nil, fmt.Errorf("internal error: cannot take a subset of a %T", src)
}

// loadTables makes the data sets of a user's data: full, and its own
// test part when it has one (else --test-data, else --test-split of full).
func loadTables(ctx context.Context, o dataOptions, full, test *data.Table, notes []string) (dataSets, error) {
	var tst *rows
	switch {
	case o.testPath != "":
		t, _, err := readTables(o.testPath, o.label)
		if err != nil {
			return dataSets{}, fmt.Errorf("--test-data: %w", err)
		}
		tst = tableRows(t)
	case test != nil:
		notes = append(notes, fmt.Sprintf("test set: the test arrays of %s", o.path))
		tst = tableRows(test)
	}
	return loadRows(ctx, o, tableRows(full), tst, notes)
}

// loadRows encodes the targets of full and test (nil: split from full),
// splits and normalises them: the part of loading common to tables and
// streams.
func loadRows(ctx context.Context, o dataOptions, full, test *rows, notes []string) (dataSets, error) {
	if test != nil && test.features != full.features {
		return dataSets{}, fmt.Errorf("the test set %s has %d features, the training data %s %d", test.name, test.features, full.name, full.features)
	}
	all := full.targets
	if test != nil {
		all = append(append([]float64(nil), full.targets...), test.targets...)
	}
	enc, err := data.NewEncoding(o.task, all)
	if err != nil {
		return dataSets{}, fmt.Errorf("%s: %w", o.path, err)
	}
	if o.task == data.TaskAuto {
		notes = append(notes, fmt.Sprintf("task: %s (from the targets: %s; --task sets it)", enc.Task, describeTargets(enc)))
	}
	src, err := full.source(enc)
	if err != nil {
		return dataSets{}, err
	}
	var tst data.Source
	if test != nil {
		if tst, err = test.source(enc); err != nil {
			return dataSets{}, fmt.Errorf("the test set: %w", err)
		}
	} else {
		trIdx, teIdx, err := data.TrainTestSplit(src.Len(), o.testSplit, 42)
		if err != nil {
			return dataSets{}, usagef("--test-split: %v", err)
		}
		notes = append(notes, fmt.Sprintf("test set: %d of the %d samples (--test-split %g)", len(teIdx), src.Len(), o.testSplit))
		if tst, err = subsetOf(src, teIdx); err != nil {
			return dataSets{}, err
		}
		if src, err = subsetOf(src, trIdx); err != nil {
			return dataSets{}, err
		}
	}
	s := dataSets{info: dataset{name: filepath.Base(o.path)}, task: enc.Task, classes: enc.ClassNames(), notes: notes, targetName: full.targetName}
	trainSrc, valSrc := src, data.Source(nil)
	if o.valSplit > 0 {
		trIdx, valIdx, err := data.TrainTestSplit(src.Len(), o.valSplit, 42)
		if err != nil {
			return dataSets{}, usagef("--val-split: %v", err)
		}
		if trainSrc, err = subsetOf(src, trIdx); err != nil {
			return dataSets{}, err
		}
		if valSrc, err = subsetOf(src, valIdx); err != nil {
			return dataSets{}, err
		}
	}
	kind := o.normalize
	if kind == "" {
		kind = data.NormalizeNone
	}
	if err := s.normalize(ctx, kind, trainSrc, valSrc, tst, model.NoPreprocessing()); err != nil {
		return dataSets{}, err
	}
	return s, s.readTestLabels(ctx)
}

// readTestLabels fills in testLabels for a task with classes.
func (s *dataSets) readTestLabels(ctx context.Context) error {
	if s.task == data.TaskRegression {
		return nil
	}
	var err error
	s.testLabels, err = sourceLabels(ctx, s.tst)
	return err
}

// describeTargets says what the encoding saw in the targets.
func describeTargets(enc data.Encoding) string {
	switch enc.Task {
	case data.TaskRegression:
		return "real values, or whole numbers with gaps"
	case data.TaskBinary:
		return "two values, " + strings.Join(enc.ClassNames(), " and ")
	}
	return fmt.Sprintf("%d class numbers", enc.Classes())
}

// normalize fits the normalisation kind on train and serves all three
// parts through it; base is what the sources already do to raw features.
func (s *dataSets) normalize(ctx context.Context, kind string, train, val, tst data.Source, base model.Preprocessing) error {
	sc, err := data.FitScaling(ctx, kind, train)
	if err != nil {
		return err
	}
	wrap := func(src data.Source) (data.Source, error) {
		if src == nil {
			return nil, nil
		}
		return data.Scaled(src, sc)
	}
	if s.train, err = wrap(train); err != nil {
		return err
	}
	if s.val, err = wrap(val); err != nil {
		return err
	}
	if s.tst, err = wrap(tst); err != nil {
		return err
	}
	s.pre = composePreprocessing(base, sc)
	if kind != data.NormalizeNone {
		s.notes = append(s.notes, fmt.Sprintf("features: %s, fitted on the %d training samples", kind, train.Len()))
	}
	return nil
}

// composePreprocessing returns base followed by sc, as one map of raw
// features: ((x − b)/d − s)/v = (x − (b + d·s)) / (d·v). base has one
// value or one per feature.
func composePreprocessing(base model.Preprocessing, sc data.Scaling) model.Preprocessing {
	if sc.IsIdentity() {
		return base
	}
	f := len(sc.Shift)
	p := model.Preprocessing{Kind: sc.Kind, Shift: make([]float32, f), Divisor: make([]float32, f)}
	for j := 0; j < f; j++ {
		b, d := preAt(base.Shift, j, 0), preAt(base.Divisor, j, 1)
		p.Shift[j] = b + d*sc.Shift[j]
		p.Divisor[j] = d * sc.Divisor[j]
	}
	return p
}

// loadBuiltin loads a built-in data set (MNIST, Fashion-MNIST) from its
// folder: located, or --data.
func loadBuiltin(ctx context.Context, o dataOptions) (dataSets, error) {
	info, err := lookupDataset(o.dataset)
	if err != nil {
		return dataSets{}, err
	}
	switch o.task {
	case data.TaskAuto, data.TaskClassification:
	default:
		return dataSets{}, usagef("--task %s: %s is a classification data set", o.task, info.name)
	}
	if o.testPath != "" {
		return dataSets{}, usagef("--test-data: %s has its own test set (give --data a file to train on your own data)", info.name)
	}
	dir := o.path
	if dir == "" {
		if dir, err = info.locate(); err != nil {
			return dataSets{}, err
		}
	}
	full, test, err := info.load(dir)
	if err != nil {
		return dataSets{}, fmt.Errorf("%s: %w", info.name, err)
	}
	return loadImages(ctx, o, info, full, test, nil)
}

// loadImages makes the data sets of uint8 images: full, and its test part
// (nil: --test-split of full).
func loadImages(ctx context.Context, o dataOptions, info dataset, full, test *data.Dataset, notes []string) (dataSets, error) {
	switch o.task {
	case data.TaskAuto, data.TaskClassification:
	default:
		return dataSets{}, usagef("--task %s: %s holds images with class labels: a classification", o.task, info.name)
	}
	s := dataSets{info: info, task: data.TaskClassification, classes: info.classNames(full.Classes()), notes: notes}
	if o.testPath != "" {
		return dataSets{}, usagef("--test-data: the test images of an IDX folder are its t10k-/test- files")
	}
	if test == nil {
		trIdx, teIdx, err := data.TrainTestSplit(full.Len(), o.testSplit, 42)
		if err != nil {
			return dataSets{}, usagef("--test-split: %v", err)
		}
		s.notes = append(s.notes, fmt.Sprintf("test set: %d of the %d samples (--test-split %g)", len(teIdx), full.Len(), o.testSplit))
		// In place: a copy would hold every image twice (full stays
		// referenced until both parts exist).
		if full, test, err = full.SplitInPlace(trIdx, teIdx); err != nil {
			return dataSets{}, err
		}
	}
	train, val := full, (*data.Dataset)(nil)
	if o.valSplit > 0 {
		trIdx, valIdx, err := data.TrainTestSplit(full.Len(), o.valSplit, 42)
		if err != nil {
			return dataSets{}, usagef("--val-split: %v", err)
		}
		if train, val, err = full.SplitInPlace(trIdx, valIdx); err != nil {
			return dataSets{}, err
		}
	}
	kind := o.normalize
	if kind == "" || kind == data.NormalizeScale {
		// The images as package data serves them, pixel/255: as always.
		s.train, s.tst, s.pre = train, test, model.ScaleBy(255)
		if val != nil {
			s.val = val
		}
		return s, s.readTestLabels(ctx)
	}
	var v data.Source
	if val != nil {
		v = val
	}
	if err := s.normalize(ctx, kind, train, v, test, model.ScaleBy(255)); err != nil {
		return dataSets{}, err
	}
	return s, s.readTestLabels(ctx)
}

// readTables reads a user's data file: a CSV, a .npy (with its targets'
// .npy), a .npz. test is the file's own test part, or nil.
func readTables(path, label string) (train, test *data.Table, err error) {
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("--data %s: not a regular file or a folder (%s)", path, inputfile.Describe(st.Mode()))
	}
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv":
		train, err = data.ReadCSV(path, data.CSVOptions{Label: label})
	case ".npy":
		var yPath string
		if yPath, err = targetsPath(path); err == nil {
			train, err = data.ReadNPY(path, yPath)
		}
	case ".npz":
		train, test, err = data.ReadNPZ(path)
	default:
		return nil, nil, usagef("--data %s: unknown kind of file %q (want .csv, .npy, .npz or a folder of IDX files)", path, ext)
	}
	return train, test, err
}

// targetsPath names the .npy holding the targets of the features file
// path: the same name with the x that starts it (or follows its last _ or
// -) replaced by y, as x.npy → y.npy, x_train.npy → y_train.npy,
// mnist_x.npy → mnist_y.npy.
func targetsPath(path string) (string, error) {
	dir, base := filepath.Split(path)
	stem := strings.TrimSuffix(base, filepath.Ext(base))
	for _, p := range []struct{ x, y string }{{"x", "y"}, {"X", "y"}} {
		switch {
		case strings.HasPrefix(stem, p.x+"_") || strings.HasPrefix(stem, p.x+"-") || stem == p.x:
			return filepath.Join(dir, p.y+strings.TrimPrefix(base, p.x)), nil
		case strings.HasSuffix(stem, "_"+p.x) || strings.HasSuffix(stem, "-"+p.x):
			return filepath.Join(dir, strings.TrimSuffix(stem, p.x)+p.y+filepath.Ext(base)), nil
		}
	}
	return "", usagef("--data %s: the targets of a .npy of features are read from the file named with y for its x (x.npy → y.npy, x_train.npy → y_train.npy); this name has no x to replace (or use a .npz holding x and y)", path)
}

// classNames returns the names of n classes.
func (s dataSets) classNames(n int) []string {
	if len(s.classes) == n {
		return append([]string(nil), s.classes...)
	}
	return s.info.classNames(n)
}

// classificationReport is scikit-learn's classification_report(digits=4),
// with the class names as target_names when every class occurs (as
// scikit-learn requires).
func (s dataSets) classificationReport(yTrue, yPred []int) string {
	if s.classes != nil {
		r, err := metrics.NewReport(yTrue, yPred, metrics.ReportOptions{TargetNames: s.classes})
		if err == nil {
			return r.Format(4)
		}
	}
	return metrics.ClassificationReport(yTrue, yPred, 4)
}

// sourceLabels returns the class label of every sample of src, in order.
func sourceLabels(ctx context.Context, src data.Source) ([]int, error) {
	out := make([]int, src.Len())
	if d, ok := src.(*data.Dataset); ok {
		// The labels as stored: no features decoded to get them (a
		// 1024-row float batch was 3 MB of the run's peak RSS).
		for i, l := range d.Labels {
			out[i] = int(l)
		}
		return out, nil
	}
	err := data.InOrder(ctx, src, 256, func(start, n int, _, _ []float32, labels []int) error {
		copy(out[start:start+n], labels)
		return nil
	})
	return out, err
}

// outputLabels names m's outputs for its file: the classes (for one
// sigmoid output, the negative and the positive class), or for a
// regression the target's name.
func (s dataSets) outputLabels(m *model.Sequential) []string {
	if s.task == data.TaskRegression {
		names := make([]string, m.Output())
		for i := range names {
			names[i] = "value"
			if len(names) > 1 {
				names[i] = fmt.Sprint("value", i)
			}
		}
		if len(names) == 1 && s.targetName != "" {
			names[0] = s.targetName
		}
		return names
	}
	n := m.Output()
	if s.task == data.TaskBinary {
		n = 2
	}
	return s.classNames(n)
}

// modelEncoding is the target encoding a model was trained with, from what
// its file says its outputs are: class values from its labels (which are
// numbers when it was trained on a user's file), or a regression.
func modelEncoding(m *model.Sequential, path string) (data.Encoding, error) {
	switch m.Outputs() {
	case model.OutputValues:
		return data.Encoding{Task: data.TaskRegression}, nil
	case model.OutputPositiveProbability:
		return classEncoding(data.TaskBinary, m.ClassLabels(), path)
	}
	return classEncoding(data.TaskClassification, m.ClassLabels(), path)
}

func classEncoding(task data.Task, labels []string, path string) (data.Encoding, error) {
	values := make([]float64, len(labels))
	for i, l := range labels {
		v, err := strconv.ParseFloat(l, 64)
		if err != nil || (i > 0 && v <= values[i-1]) {
			return data.Encoding{}, fmt.Errorf("%s: its classes are named (%q), not the ascending target numbers of a data file, so they cannot be matched to a file's targets", path, l)
		}
		values[i] = v
	}
	return data.Encoding{Task: task, Values: values}, nil
}

// loadForModel loads the samples a saved model is evaluated on: the test
// set of a built-in data set (--dataset, --data DIR), or every row of a
// user's file (--test-data, else --data; a .npz's test arrays when it has
// them), served through the model's own preprocessing.
func loadForModel(ctx context.Context, o dataOptions, m *model.Sequential, modelPath string) (dataSets, error) {
	if o.testPath == "" && !o.userFile() {
		o.valSplit = 0
		s, err := loadBuiltin(ctx, o)
		if err != nil {
			return s, err
		}
		// The images arrive as pixel/255; the model maps raw pixels x as
		// (x − a)/b, which is (x/255 − a/255)/(b/255).
		sc := modelScaling(m, 255)
		if s.tst.Features() != m.Input() {
			return s, fmt.Errorf("%s takes %d inputs, but %s has %d features", modelPath, m.Input(), s.info.name, s.tst.Features())
		}
		if s.tst, err = data.Scaled(s.tst, sc); err != nil {
			return s, err
		}
		return s, nil
	}
	path := o.testPath
	if path == "" {
		path = o.path
	}
	full, test, err := readTables(path, o.label)
	if err != nil {
		return dataSets{}, err
	}
	var notes []string
	if test != nil {
		full = test
		notes = append(notes, fmt.Sprintf("the test arrays of %s", path))
	}
	if full.F != m.Input() {
		return dataSets{}, fmt.Errorf("%s takes %d inputs, but %s has %d features", modelPath, m.Input(), path, full.F)
	}
	enc, err := modelEncoding(m, modelPath)
	if err != nil {
		return dataSets{}, err
	}
	src, err := data.NewTableSource(full, enc)
	if err != nil {
		return dataSets{}, err
	}
	sc := modelScaling(m, 1)
	s := dataSets{info: dataset{name: filepath.Base(path)}, task: enc.Task, classes: enc.ClassNames(), notes: notes, pre: m.Preprocessing}
	if s.tst, err = data.Scaled(src, sc); err != nil {
		return dataSets{}, err
	}
	return s, s.readTestLabels(ctx)
}

// modelScaling is m's preprocessing as a data.Scaling over sources that
// already divide the raw features by unit (255 for a Dataset's pixels, 1
// for a table): (x − a)/b = (x/unit − a/unit)/(b/unit).
func modelScaling(m *model.Sequential, unit float32) data.Scaling {
	p := m.Preprocessing
	sc := data.Scaling{Kind: p.Kind, Shift: make([]float32, m.Input()), Divisor: make([]float32, m.Input())}
	for j := range sc.Shift {
		sc.Shift[j], sc.Divisor[j] = preAt(p.Shift, j, 0)/unit, preAt(p.Divisor, j, 1)/unit
	}
	return sc
}

// preAt is a preprocessing vector's value for feature j (one value is
// broadcast; none is def).
func preAt(xs []float32, j int, def float32) float32 {
	switch len(xs) {
	case 0:
		return def
	case 1:
		return xs[0]
	}
	return xs[j]
}
