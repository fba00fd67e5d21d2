package registry_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend/registry"
)

func TestOpen(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"gonum", "gonum"},
		{"openblas", "openblas"},
		{"auto", "openblas"}, // this test binary is built with cgo and OpenBLAS
	} {
		e, notice, err := registry.Open(tc.name)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, e.Name())
		assert.Empty(t, notice)
	}
	_, _, err := registry.Open("cuda")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown backend "cuda"`)
	assert.Contains(t, err.Error(), "openblas")
}
