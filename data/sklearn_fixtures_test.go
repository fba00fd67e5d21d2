package data

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sklearnReference is the part of data/testdata/sklearn/reference.json
// (written by scripts/golden/sklearn_reference.py) that package data checks:
// what scikit-learn read from each fixture and which rows it split off.
type sklearnReference struct {
	Datasets map[string]struct {
		File        string `json:"file"`
		Task        string `json:"task"`
		LabelColumn string `json:"label_column"`
		Rows        int    `json:"rows"`
		Features    int    `json:"features"`
		XSHA256     string `json:"x_float32_le_sha256"`
		YSHA256     string `json:"y_float64_le_sha256"`
		Split       struct {
			NTrain int   `json:"n_train"`
			NTest  int   `json:"n_test"`
			Train  []int `json:"train"`
			Test   []int `json:"test"`
		} `json:"split"`
	} `json:"datasets"`
}

// TestSklearnFixtures checks that descent and scikit-learn see the same
// data: ReadCSV reads each fixture of scripts/golden/sklearn_datasets.py
// into the very values scikit-learn scored (features as float32, targets as
// float64, compared by SHA-256 of their little-endian bytes), and
// TrainTestSplit(n, 0.2, 42) picks the same training and test rows in the
// same order as train_test_split(test_size=0.2, random_state=42). The
// accuracy floors in reference.json are only meaningful if both hold.
func TestSklearnFixtures(t *testing.T) {
	dir := filepath.Join("testdata", "sklearn")
	b, err := os.ReadFile(filepath.Join(dir, "reference.json"))
	require.NoError(t, err)
	var ref sklearnReference
	require.NoError(t, json.Unmarshal(b, &ref))
	require.Len(t, ref.Datasets, 6, "iris, wine, breast_cancer, diabetes, regression, binary")

	for name, want := range ref.Datasets {
		t.Run(name, func(t *testing.T) {
			label := map[string]string{"classification": "label", "binary": "label", "regression": "target"}[want.Task]
			require.NotEmpty(t, label, "task %q", want.Task)
			require.Equal(t, label, want.LabelColumn)

			tab, err := ReadCSV(filepath.Join(dir, want.File), CSVOptions{Label: label})
			require.NoError(t, err)
			require.NoError(t, tab.Validate())
			assert.Equal(t, want.Rows, tab.N, "rows")
			assert.Equal(t, want.Features, tab.F, "features")
			assert.Equal(t, label, tab.TargetName)
			assert.Equal(t, want.XSHA256, float32SHA256(tab.X), "features as read differ from scikit-learn's")
			assert.Equal(t, want.YSHA256, float64SHA256(tab.Y), "targets as read differ from scikit-learn's")
			if want.Task != "regression" {
				for i, y := range tab.Y {
					require.Equal(t, math.Trunc(y), y, "row %d: class label %v", i, y)
				}
			}

			train, test, err := TrainTestSplit(tab.N, 0.2, 42)
			require.NoError(t, err)
			assert.Len(t, train, want.Split.NTrain)
			assert.Len(t, test, want.Split.NTest)
			assert.Equal(t, want.Split.Test, test, "test rows")
			assert.Equal(t, want.Split.Train, train, "training rows")
		})
	}
}

func float32SHA256(xs []float32) string {
	h := sha256.New()
	var buf [4]byte
	for _, x := range xs {
		binary.LittleEndian.PutUint32(buf[:], math.Float32bits(x))
		h.Write(buf[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

func float64SHA256(xs []float64) string {
	h := sha256.New()
	var buf [8]byte
	for _, x := range xs {
		binary.LittleEndian.PutUint64(buf[:], math.Float64bits(x))
		h.Write(buf[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}
