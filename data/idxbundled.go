package data

import (
	"fmt"
	"os"
	"path/filepath"
)

// bundledSet is a data set whose files have known checksums: a FileSet,
// how the run names it, its class names if known, and the size in bytes of
// each file as stored (raw or .gz), which is checked before anything is
// hashed so that other folders pay nothing.
type bundledSet struct {
	files      FileSet
	what       string
	classNames []string
	sizes      map[string]int64
}

// The sizes of the MNIST-shaped files decompressed: a 16-byte header and
// 60000 or 10000 images of 784 bytes; an 8-byte header and the labels.
const (
	rawTrainImagesSize = 16 + 60000*784
	rawTrainLabelsSize = 8 + 60000
	rawTestImagesSize  = 16 + 10000*784
	rawTestLabelsSize  = 8 + 10000
)

// rawSizes returns the sizes of the decompressed MNIST-shaped files, with
// the .gz sizes given added.
func rawSizes(gz map[string]int64) map[string]int64 {
	s := map[string]int64{
		mnistTrainImages: rawTrainImagesSize,
		mnistTrainLabels: rawTrainLabelsSize,
		mnistTestImages:  rawTestImagesSize,
		mnistTestLabels:  rawTestLabelsSize,
	}
	for name, size := range gz {
		s[name] = size
	}
	return s
}

// bundledSets returns the data sets whose checksums are known: MNIST as the
// GoMNIST module ships it (the canonical .gz files) and Fashion-MNIST as
// Debian installs it.
func bundledSets() []bundledSet {
	return []bundledSet{
		{files: MNISTFiles(), what: "the bundled MNIST copy", sizes: rawSizes(map[string]int64{
			mnistTrainImages + gzSuffix: 9912422,
			mnistTrainLabels + gzSuffix: 28881,
			mnistTestImages + gzSuffix:  1648877,
			mnistTestLabels + gzSuffix:  4542,
		})},
		{files: FashionMNISTFiles(), what: "Debian's Fashion-MNIST", classNames: FashionMNISTClasses, sizes: rawSizes(map[string]int64{
			mnistTrainImages + gzSuffix: 26421856,
			mnistTrainLabels + gzSuffix: 29491,
			mnistTestImages + gzSuffix:  4422079,
			mnistTestLabels + gzSuffix:  5125,
		})},
	}
}

// checksumsNotBundled is the Checksums of a folder that is no bundled set.
const checksumsNotBundled = "checksums not verified: not a bundled data set (only the bundled MNIST and Fashion-MNIST copies have known checksums)"

// identifyBundled returns the bundled set whose four files files are, by
// SHA-256, with the sentence for IDXFolder.Checksums; a nil set when they
// are none. A file is hashed (with hash) only when every file has the name
// and size of one of a set's; labels are hashed first, so a mismatch is
// found cheaply, and no file is hashed twice.
func identifyBundled(files idxFolderFiles, hash func(path string) (string, error)) (*bundledSet, string, error) {
	if !files.hasTest() {
		return nil, checksumsNotBundled, nil
	}
	sizes := map[string]int64{}
	for _, p := range files.paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, "", fmt.Errorf("IDX folder %s: %w", files.dir, err)
		}
		sizes[p] = st.Size()
	}
	sums := map[string]string{}
	order := []int{roleTrainLabels, roleTestLabels, roleTestImages, roleTrainImages}
	note := checksumsNotBundled
	for _, set := range bundledSets() {
		if !set.sizesMatch(files, sizes) {
			continue
		}
		match := true
		for _, r := range order {
			p := files.paths[r]
			if _, ok := sums[p]; !ok {
				got, err := hash(p)
				if err != nil {
					return nil, "", err
				}
				sums[p] = got
			}
			if compareSHA256(p, set.files.SHA256[filepath.Base(p)], sums[p]) != nil {
				note = fmt.Sprintf("checksums not verified: %s has the name and size of a file of %s but another SHA-256, so this is not that copy (only the bundled MNIST and Fashion-MNIST copies have known checksums)",
					filepath.Base(p), set.what)
				match = false
				break
			}
		}
		if match {
			return &set, "checksums verified: " + set.what, nil
		}
	}
	return nil, note, nil
}

// sizesMatch reports whether each of the four files has the name of one of
// the set's files and its size.
func (s bundledSet) sizesMatch(files idxFolderFiles, sizes map[string]int64) bool {
	for _, p := range files.paths {
		want, ok := s.sizes[filepath.Base(p)]
		if !ok || sizes[p] != want {
			return false
		}
	}
	return true
}
