package data

import (
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// FashionMNISTDirEnv is the environment variable LocateFashionMNIST looks at
// first.
const FashionMNISTDirEnv = "DESCENT_FASHION_MNIST_DIR"

// DebianFashionMNISTDir is where Debian's dataset-fashion-mnist package
// installs the four .gz files (bookworm, version 0.0~git20200523.55506a9-1).
const DebianFashionMNISTDir = "/usr/share/datasets/fashion-mnist"

// FashionMNISTClasses are Fashion-MNIST's class names, in label order.
var FashionMNISTClasses = []string{
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
}

// FashionMNISTFiles returns the FileSet of Fashion-MNIST (Zalando Research):
// the same four file names as MNIST, 60000 training and 10000 test 28×28
// images in 10 classes. Its SHA-256 sums are those of the files Debian's
// dataset-fashion-mnist package installs, both the .gz files and their
// decompressed contents. Debian's .gz files store no file name (gzip flags
// 0) and are each shorter than upstream's published sizes by exactly that
// name and its terminating byte, so upstream's .gz downloads have other
// sums: decompress them, and the raw sums apply. Each call returns a fresh
// map.
func FashionMNISTFiles() FileSet {
	return FileSet{
		Name:        "fashion-mnist",
		TrainImages: mnistTrainImages,
		TrainLabels: mnistTrainLabels,
		TestImages:  mnistTestImages,
		TestLabels:  mnistTestLabels,
		NumClasses:  10,
		SHA256: map[string]string{
			mnistTrainImages + gzSuffix: "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
			mnistTrainLabels + gzSuffix: "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
			mnistTestImages + gzSuffix:  "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
			mnistTestLabels + gzSuffix:  "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
			mnistTrainImages:            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
			mnistTrainLabels:            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
			mnistTestImages:             "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
			mnistTestLabels:             "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
		},
	}
}

// LoadFashionMNIST loads Fashion-MNIST's train and test sets from dir,
// verifying each file's SHA-256 unless SkipChecksums is given.
func LoadFashionMNIST(dir string, opts ...MNISTOption) (train, test *Dataset, err error) {
	cfg := mnistConfig{verify: true}
	for _, o := range opts {
		o(&cfg)
	}
	return LoadIDXDir(dir, FashionMNISTFiles(), cfg.verify)
}

// LocateFashionMNIST returns a folder holding the four Fashion-MNIST files:
// the one named by $DESCENT_FASHION_MNIST_DIR, else DebianFashionMNISTDir.
// When neither holds them the error says where it looked and how to install
// the files.
func LocateFashionMNIST() (string, error) {
	return locateFashion(os.Getenv, DebianFashionMNISTDir)
}

func locateFashion(getenv func(string) string, debianDir string) (string, error) {
	s := search{files: FashionMNISTFiles(), seen: map[string]bool{}}
	for _, c := range []candidate{
		{what: "$" + FashionMNISTDirEnv, dir: getenv(FashionMNISTDirEnv), why: "not set"},
		{what: "Debian's dataset-fashion-mnist", dir: debianDir},
	} {
		if s.holds(c) {
			return c.dir, nil
		}
	}
	return "", fmt.Errorf("Fashion-MNIST files not found (%w); looked in:\n  %s\ninstall them with `apt-get install dataset-fashion-mnist` (or scripts/setup-extras.sh fashion-mnist), or pass --data DIR (or set %s)",
		fs.ErrNotExist, strings.Join(s.report, "\n  "), FashionMNISTDirEnv)
}
