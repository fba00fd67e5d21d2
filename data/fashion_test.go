package data

import (
	"errors"
	"io/fs"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The real Fashion-MNIST as Debian installs it: checksums, sizes, the
// balanced classes (6000 per class in train, 1000 in test).
func TestLoadFashionMNISTDebian(t *testing.T) {
	if _, err := os.Stat(DebianFashionMNISTDir); err != nil {
		t.Skipf("Debian's dataset-fashion-mnist is not installed (%v): scripts/setup-extras.sh fashion-mnist installs it", err)
	}
	train, test, err := LoadFashionMNIST(DebianFashionMNISTDir)
	require.NoError(t, err)
	assert.Equal(t, "fashion-mnist/train", train.Name)
	assert.Equal(t, 60000, train.Len())
	assert.Equal(t, 10000, test.Len())
	assert.Equal(t, 784, train.Features())
	assert.Equal(t, 10, train.Classes())
	count := func(d *Dataset) []int {
		c := make([]int, 10)
		for _, l := range d.Labels {
			c[l]++
		}
		return c
	}
	assert.Equal(t, []int{6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000}, count(train))
	assert.Equal(t, []int{1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000}, count(test))
	// Fashion-MNIST's first training label is 9 (ankle boot), MNIST's 5.
	assert.Equal(t, uint8(9), train.Labels[0])
	assert.Equal(t, "Ankle boot", FashionMNISTClasses[train.Labels[0]])
}

func TestFashionMNISTFiles(t *testing.T) {
	f := FashionMNISTFiles()
	assert.Len(t, f.SHA256, 8, "a .gz and a raw sum for each of the four files")
	for name, sum := range f.SHA256 {
		assert.Len(t, sum, 64, name)
	}
	for name, sum := range MNISTFiles().SHA256 {
		assert.NotEqual(t, sum, f.SHA256[name], "Fashion-MNIST's %s must not have MNIST's sum", name)
	}
	f.SHA256["x"] = "y"
	assert.NotContains(t, FashionMNISTFiles().SHA256, "x", "each call returns a fresh map")
	assert.Len(t, FashionMNISTClasses, f.NumClasses)
}

// Files with Fashion-MNIST's names but other contents fail verification,
// and load with SkipChecksums.
func TestLoadFashionMNISTChecksums(t *testing.T) {
	dir := t.TempDir()
	writeIDXSet(t, dir, FashionMNISTFiles(), 5, 3, 28, 28, true)
	_, _, err := LoadFashionMNIST(dir)
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrChecksum), "%v", err)

	train, test, err := LoadFashionMNIST(dir, SkipChecksums())
	require.NoError(t, err)
	assert.Equal(t, 5, train.Len())
	assert.Equal(t, 3, test.Len())
}

func TestLocateFashionMNIST(t *testing.T) {
	dir := t.TempDir()
	writeIDXSet(t, dir, FashionMNISTFiles(), 2, 2, 2, 2, false)
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == FashionMNISTDirEnv {
				return v
			}
			return ""
		}
	}
	got, err := locateFashion(env(dir), "/nonexistent/debian")
	require.NoError(t, err)
	assert.Equal(t, dir, got, "$%s first", FashionMNISTDirEnv)

	empty := t.TempDir()
	got, err = locateFashion(env(empty), dir)
	require.NoError(t, err)
	assert.Equal(t, dir, got, "then Debian's folder")

	_, err = locateFashion(env(""), empty)
	require.Error(t, err)
	assert.True(t, errors.Is(err, fs.ErrNotExist))
	for _, want := range []string{"$" + FashionMNISTDirEnv + ": not set", empty, "train-images-idx3-ubyte", "apt-get install dataset-fashion-mnist"} {
		assert.Contains(t, err.Error(), want)
	}
}
