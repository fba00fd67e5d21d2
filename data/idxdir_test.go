package data

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fashionFiles is a FileSet like Fashion-MNIST's: the MNIST file names with
// other contents.
func fashionFiles() FileSet {
	f := MNISTFiles()
	f.Name = "fashion"
	f.SHA256 = nil
	return f
}

// sumsOf returns the hex SHA-256 of each file.
func sumsOf(files map[string][]byte) map[string]string {
	sums := map[string]string{}
	for name, b := range files {
		h := sha256.Sum256(b)
		sums[name] = hex.EncodeToString(h[:])
	}
	return sums
}

func TestLoadIDXDir(t *testing.T) {
	for _, gz := range []bool{false, true} {
		for _, verify := range []bool{false, true} {
			t.Run(map[bool]string{false: "raw", true: "gzip"}[gz]+map[bool]string{false: "", true: " verified"}[verify], func(t *testing.T) {
				dir := t.TempDir()
				files := fashionFiles()
				written := writeIDXSet(t, dir, files, 5, 3, 2, 4, gz)
				if verify {
					files.SHA256 = sumsOf(written)
				}
				train, test, err := LoadIDXDir(dir, files, verify)
				require.NoError(t, err)
				assert.Equal(t, "fashion/train", train.Name)
				assert.Equal(t, "fashion/test", test.Name)
				assert.Equal(t, []int{5, 8, 10}, []int{train.Len(), train.Features(), train.Classes()})
				assert.Equal(t, []int{3, 8, 10}, []int{test.Len(), test.Features(), test.Classes()})
				assert.Equal(t, seqBytes(40, 0), train.Images)
				assert.Equal(t, []byte{0, 1, 2, 3, 4}, train.Labels)
				assert.Equal(t, seqBytes(24, 7), test.Images)
			})
		}
	}
}

func TestLoadIDXDirPrefersRaw(t *testing.T) {
	dir := t.TempDir()
	files := fashionFiles()
	writeIDXSet(t, dir, files, 2, 2, 1, 1, true)
	// A raw train labels file beside the .gz one, with other labels.
	writeTestFile(t, dir, files.TrainLabels, idxBytes([]uint32{2}, []byte{7, 7}))
	train, _, err := LoadIDXDir(dir, files, false)
	require.NoError(t, err)
	assert.Equal(t, []byte{7, 7}, train.Labels)
}

func TestLoadIDXDirErrors(t *testing.T) {
	files := fashionFiles()
	tests := []struct {
		name    string
		gz      bool
		setup   func(t *testing.T, dir string) // breaks a valid set
		verify  bool
		sums    map[string]string
		wantErr error
		wantMsg []string
	}{
		{
			name:    "missing file",
			setup:   func(t *testing.T, dir string) { require.NoError(t, os.Remove(filepath.Join(dir, files.TestLabels))) },
			wantErr: fs.ErrNotExist,
			wantMsg: []string{files.TestLabels, files.TestLabels + ".gz"},
		},
		{
			name: "wrong magic",
			setup: func(t *testing.T, dir string) {
				writeTestFile(t, dir, files.TrainImages, []byte{8, 0, 8, 1, 0, 0, 0, 0})
			},
			wantErr: ErrBadMagic,
			wantMsg: []string{files.TrainImages},
		},
		{
			name: "wrong dtype",
			setup: func(t *testing.T, dir string) {
				writeTestFile(t, dir, files.TestImages, []byte{0, 0, 0x0d, 1, 0, 0, 0, 0})
			},
			wantErr: ErrUnsupportedType,
			wantMsg: []string{files.TestImages},
		},
		{
			name: "dims disagree with length",
			setup: func(t *testing.T, dir string) {
				writeTestFile(t, dir, files.TrainLabels, idxBytes([]uint32{4}, []byte{1, 2, 3}))
			},
			wantErr: ErrTruncated,
			wantMsg: []string{files.TrainLabels},
		},
		{
			name: "image and label counts differ",
			setup: func(t *testing.T, dir string) {
				writeTestFile(t, dir, files.TestLabels, idxBytes([]uint32{4}, []byte{1, 2, 3, 4}))
			},
			wantErr: ErrCountMismatch,
			wantMsg: []string{"3 images in", files.TestImages, "4 labels in", files.TestLabels},
		},
		{
			name: "label out of range",
			setup: func(t *testing.T, dir string) {
				writeTestFile(t, dir, files.TrainLabels, idxBytes([]uint32{5}, []byte{1, 2, 3, 10, 11}))
			},
			wantErr: ErrLabelRange,
			wantMsg: []string{"index 3", "label 10"},
		},
		{
			name: "truncated gzip",
			gz:   true,
			setup: func(t *testing.T, dir string) {
				p := filepath.Join(dir, files.TrainImages+".gz")
				b, err := os.ReadFile(p)
				require.NoError(t, err)
				writeTestFile(t, dir, files.TrainImages+".gz", b[:len(b)-3])
			},
			wantMsg: []string{files.TrainImages + ".gz"},
		},
		{
			name: "corrupt gzip",
			gz:   true,
			setup: func(t *testing.T, dir string) {
				p := filepath.Join(dir, files.TestLabels+".gz")
				b, err := os.ReadFile(p)
				require.NoError(t, err)
				b[len(b)-5] ^= 0x40
				writeTestFile(t, dir, files.TestLabels+".gz", b)
			},
			wantMsg: []string{files.TestLabels + ".gz"},
		},
		{
			name:    "no checksum known",
			setup:   func(*testing.T, string) {},
			verify:  true,
			sums:    map[string]string{},
			wantErr: ErrChecksum,
			wantMsg: []string{files.TrainImages, "no known checksum"},
		},
		{
			name:    "checksum mismatch",
			setup:   func(*testing.T, string) {},
			verify:  true,
			sums:    map[string]string{files.TrainImages: "00ff"},
			wantErr: ErrChecksum,
			wantMsg: []string{files.TrainImages, "expected SHA-256 00ff, got "},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeIDXSet(t, dir, files, 5, 3, 2, 2, tt.gz)
			tt.setup(t, dir)
			fs := files
			fs.SHA256 = tt.sums
			train, test, err := LoadIDXDir(dir, fs, tt.verify)
			require.Error(t, err)
			assert.Nil(t, train)
			assert.Nil(t, test)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
			}
			for _, m := range tt.wantMsg {
				assert.Contains(t, err.Error(), m)
			}
		})
	}
}
