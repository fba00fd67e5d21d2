package data

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadNPYFeatures(t *testing.T) {
	tb, err := ReadNPYFeatures(npyPath("x_f4_le.npy"))
	require.NoError(t, err)
	assert.Equal(t, &Table{Name: npyPath("x_f4_le.npy"), N: 3, F: 4, X: fixtureX}, tb)

	for name, msg := range map[string]string{
		"x_1d.npy":  "expected (N, F)",
		"x_nan.npy": "not a finite float32",
		"x_str.npy": "not supported",
	} {
		_, err := ReadNPYFeatures(npyPath(name))
		require.ErrorIs(t, err, ErrBadTable, name)
		assert.Contains(t, err.Error(), msg, name)
	}
}

func TestReadNPZFeatures(t *testing.T) {
	dir := t.TempDir()
	x := npyBytes("<f4", false, "(3, 4)", f32Bytes(fixtureX...))
	other := npyBytes("<f4", false, "(1, 1)", f32Bytes(9))
	for _, tc := range []struct {
		name    string
		entries map[string][]byte
		key     string
	}{
		{"test_set", map[string][]byte{"x_train.npy": other, "y_train.npy": other, "x_test.npy": x, "y_test.npy": other}, "x_test"},
		{"x_test_only", map[string][]byte{"x_test.npy": x}, "x_test"},
		{"x", map[string][]byte{"x.npy": x, "y.npy": other}, "x"},
		{"x_test_over_x", map[string][]byte{"x.npy": other, "x_test.npy": x}, "x_test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, dir, tc.name+".npz", zipBytes(t, tc.entries))
			tb, key, err := ReadNPZFeatures(p)
			require.NoError(t, err)
			assert.Equal(t, tc.key, key)
			assert.Equal(t, &Table{Name: p + ":" + tc.key, N: 3, F: 4, X: fixtureX}, tb)
		})
	}
	t.Run("train_only", func(t *testing.T) {
		_, _, err := ReadNPZFeatures(npyPath("train_only.npz"))
		require.ErrorIs(t, err, ErrBadTable)
		assert.Contains(t, err.Error(), `"x_train", "y_train"; expected x_test or x`)
	})
	t.Run("not_zip", func(t *testing.T) {
		_, _, err := ReadNPZFeatures(npyPath("x_f4_le.npy"))
		require.ErrorIs(t, err, ErrBadTable)
	})
}
