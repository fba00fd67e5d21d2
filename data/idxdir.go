package data

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/descent-ml/descent/internal/inputfile"
)

// gzSuffix is the file name suffix of a gzip-compressed IDX file.
const gzSuffix = ".gz"

// FileSet describes an MNIST-style data set stored as four IDX files in one
// folder, such as MNIST or Fashion-MNIST (which use the same file names).
type FileSet struct {
	// Name prefixes the names of the loaded Datasets ("mnist" gives
	// "mnist/train" and "mnist/test").
	Name string
	// TrainImages, TrainLabels, TestImages and TestLabels are the base file
	// names, without ".gz". Each file may be stored raw or with a ".gz"
	// suffix; when both exist the raw one is used.
	TrainImages, TrainLabels, TestImages, TestLabels string
	// NumClasses is the number of classes of the labels.
	NumClasses int
	// SHA256 maps a file name as stored on disk (with ".gz" if compressed)
	// to its lower-case hex SHA-256. It is used when LoadIDXDir verifies.
	SHA256 map[string]string
}

// ErrChecksum means a file's SHA-256 differs from the expected one, or no
// checksum is known for a file that had to be verified.
var ErrChecksum = errors.New("checksum mismatch")

// LoadIDXDir loads the train and test Datasets described by files from dir.
// With verify set, each file's SHA-256 must match files.SHA256 (a file with
// no entry there is an error); without it, checksums are not computed.
func LoadIDXDir(dir string, files FileSet, verify bool) (train, test *Dataset, err error) {
	train, err = loadIDXPair(dir, files, "train", files.TrainImages, files.TrainLabels, verify)
	if err != nil {
		return nil, nil, err
	}
	test, err = loadIDXPair(dir, files, "test", files.TestImages, files.TestLabels, verify)
	if err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// loadIDXPair loads one images file and one labels file into a Dataset.
func loadIDXPair(dir string, files FileSet, split, imagesName, labelsName string, verify bool) (*Dataset, error) {
	images, err := loadIDXMember(dir, imagesName, files.SHA256, verify)
	if err != nil {
		return nil, err
	}
	labels, err := loadIDXMember(dir, labelsName, files.SHA256, verify)
	if err != nil {
		return nil, err
	}
	return NewDataset(files.Name+"/"+split, images, labels, files.NumClasses)
}

// loadIDXMember finds one file of the set, verifies it if asked, and parses it.
func loadIDXMember(dir, base string, sums map[string]string, verify bool) (*IDX, error) {
	path, err := findIDXFile(dir, base)
	if err != nil {
		return nil, err
	}
	if verify {
		if err := verifySHA256(path, sums[filepath.Base(path)]); err != nil {
			return nil, err
		}
	}
	return ReadIDXFile(path)
}

// findIDXFile returns the path of base in dir, raw or with a ".gz" suffix.
func findIDXFile(dir, base string) (string, error) {
	candidates := []string{filepath.Join(dir, base), filepath.Join(dir, base+gzSuffix)}
	for _, p := range candidates {
		st, err := os.Stat(p)
		if err != nil {
			continue
		}
		if !st.Mode().IsRegular() {
			return "", fmt.Errorf("IDX file %s: %s is not a regular file (%s)", base, p, inputfile.Describe(st.Mode()))
		}
		return p, nil
	}
	return "", fmt.Errorf("IDX file %s not found: looked for %s: %w",
		base, strings.Join(candidates, " and "), fs.ErrNotExist)
}

// hasIDXFiles returns nil if dir holds every file of files, and otherwise
// an error saying which is missing.
func hasIDXFiles(dir string, files FileSet) error {
	for _, base := range []string{files.TrainImages, files.TrainLabels, files.TestImages, files.TestLabels} {
		if _, err := findIDXFile(dir, base); err != nil {
			return fmt.Errorf("no %s or %s%s", base, base, gzSuffix)
		}
	}
	return nil
}
