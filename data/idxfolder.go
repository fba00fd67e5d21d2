package data

import (
	"fmt"
	"path/filepath"
	"slices"
)

// IDXFolder is a data set read from a folder of IDX files of any names,
// shapes and types.
type IDXFolder struct {
	// Name names the data set: "mnist" or "fashion-mnist" for a verified
	// bundled set, else the folder's base name. The Datasets and Tables are
	// named Name+"/train" and Name+"/test".
	Name string
	// Train and Test are set when the images and labels are unsigned bytes
	// (the memory-lean Dataset, scaled by 1/255 on the way to the network,
	// as MNIST is); NumClasses is max label + 1, over both sets.
	Train, Test *Dataset
	// TrainTable and TestTable are set otherwise (float32 features as
	// stored, float64 targets), for int and float IDX files.
	TrainTable, TestTable *Table
	// Checksums says what was verified, for the run to print, such as
	// "checksums verified: the bundled MNIST copy" or "checksums not
	// verified: not a bundled data set (…)".
	Checksums string
	// ClassNames names the classes, in label order, when the data set is
	// known to have names (Fashion-MNIST); else nil.
	ClassNames []string
}

// LoadIDXFolder loads the IDX files of a folder: train-images* and
// train-labels*, and optionally t10k-images* or test-images* with
// t10k-labels* or test-labels* (the MNIST names, train-images-idx3-ubyte
// and so on, are such names), each raw or .gz, the raw one when both are
// there. A missing file or two candidates for one role are refused with
// ErrIDXFolder and a message listing the IDX-looking files found. Test
// (or TestTable) is nil when there is no test pair.
//
// Images are (N, d1, …), flattened to d1·d2·… features; labels are (N) or
// (N, 1); counts must agree (ErrCountMismatch), as must the features of
// the two sets (ErrShape). When all the files are unsigned bytes, the sets
// are Datasets whose labels are classes 0 to the largest label; otherwise
// they are Tables whose targets are the labels as float64. Files of any
// type are read with ReadIDXValuesFile, with its limits.
//
// When the four files have the names, sizes and SHA-256 of the bundled
// MNIST or Debian's Fashion-MNIST, they are verified, and Checksums says
// which; otherwise nothing is verified and Checksums says so. Files are
// hashed only when their sizes are a bundled set's.
func LoadIDXFolder(dir string) (*IDXFolder, error) {
	return loadIDXFolder(dir, fileSHA256)
}

// loadIDXFolder is LoadIDXFolder with the hash function injected.
func loadIDXFolder(dir string, hash func(string) (string, error)) (*IDXFolder, error) {
	files, err := findIDXFolderFiles(dir)
	if err != nil {
		return nil, err
	}
	set, checksums, err := identifyBundled(files, hash)
	if err != nil {
		return nil, err
	}
	folder := &IDXFolder{Name: folderName(dir), Checksums: checksums}
	if set != nil {
		folder.Name, folder.ClassNames = set.files.Name, slices.Clone(set.classNames)
	}
	pairs := []*idxPair{}
	for _, roles := range [][2]int{{roleTrainImages, roleTrainLabels}, {roleTestImages, roleTestLabels}} {
		if files.paths[roles[0]] == "" {
			continue
		}
		p, err := readIDXPair(files.paths[roles[0]], files.paths[roles[1]])
		if err != nil {
			return nil, err
		}
		pairs = append(pairs, p)
	}
	if len(pairs) == 2 && pairs[0].features != pairs[1].features {
		return nil, fmt.Errorf("IDX folder %s: %w: %d features a sample in %s (dims %v) but %d in %s (dims %v)",
			dir, ErrShape, pairs[0].features, pairs[0].images.Name, pairs[0].images.Dims,
			pairs[1].features, pairs[1].images.Name, pairs[1].images.Dims)
	}
	if err := folder.fill(pairs); err != nil {
		return nil, err
	}
	return folder, nil
}

// folderName returns the base name of dir, made absolute if it can be (so
// "." names the working folder).
func folderName(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return filepath.Base(dir)
}

// fill sets the Datasets (all files uint8) or the Tables (any other type)
// from the training pair and, if there is one, the test pair.
func (f *IDXFolder) fill(pairs []*idxPair) error {
	allBytes := true
	for _, p := range pairs {
		allBytes = allBytes && p.images.Type == IDXUint8 && p.labels.Type == IDXUint8
	}
	splits := []string{"train", "test"}
	if allBytes {
		classes := 0
		for _, p := range pairs {
			for _, l := range p.labels.Data {
				classes = max(classes, int(l)+1)
			}
		}
		sets := []**Dataset{&f.Train, &f.Test}
		for i, p := range pairs {
			d := &Dataset{Name: f.Name + "/" + splits[i], Images: p.images.Data, Labels: p.labels.Data,
				N: p.n, NumFeatures: p.features, NumClasses: classes}
			if err := d.Validate(); err != nil {
				return err
			}
			*sets[i] = d
		}
		return nil
	}
	tables := []**Table{&f.TrainTable, &f.TestTable}
	for i, p := range pairs {
		x, err := p.images.Float32s()
		if err != nil {
			return err
		}
		t := &Table{Name: f.Name + "/" + splits[i], X: x, Y: p.labels.Float64s(), N: p.n, F: p.features}
		if err := t.Validate(); err != nil {
			return err
		}
		*tables[i] = t
	}
	return nil
}

// idxPair is an images file and its labels file, checked to agree.
type idxPair struct {
	images, labels *IDXValues
	n, features    int
}

// readIDXPair reads an images file of dims (N, d1, …) and a labels file of
// dims (N) or (N, 1), and checks that they describe at least one sample of
// at least one feature.
func readIDXPair(imagesPath, labelsPath string) (*idxPair, error) {
	images, err := ReadIDXValuesFile(imagesPath)
	if err != nil {
		return nil, err
	}
	labels, err := ReadIDXValuesFile(labelsPath)
	if err != nil {
		return nil, err
	}
	if len(images.Dims) < 2 {
		return nil, fmt.Errorf("%s: %w: images have dims %v, want (N, d1, …)", images.Name, ErrShape, images.Dims)
	}
	features := 1
	for _, d := range images.Dims[1:] {
		features *= d // the product is at most MaxIDXElements
	}
	n := images.Dims[0]
	if n == 0 || features == 0 {
		return nil, fmt.Errorf("%s: %w: images have dims %v, which is no data", images.Name, ErrShape, images.Dims)
	}
	if !(len(labels.Dims) == 1 || len(labels.Dims) == 2 && labels.Dims[1] == 1) {
		return nil, fmt.Errorf("%s: %w: labels have dims %v, want (N) or (N, 1)", labels.Name, ErrShape, labels.Dims)
	}
	if labels.Dims[0] != n {
		return nil, fmt.Errorf("%w: %d images in %s but %d labels in %s",
			ErrCountMismatch, n, images.Name, labels.Dims[0], labels.Name)
	}
	return &idxPair{images: images, labels: labels, n: n, features: features}, nil
}
