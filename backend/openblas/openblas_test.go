package openblas_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend/backendtest"
	"github.com/descent-ml/descent/backend/openblas"
)

func TestConformance(t *testing.T) {
	e, err := openblas.New()
	require.NoError(t, err, "the test command installs libopenblas-dev; build with cgo")
	t.Log(e.Config())
	for _, threads := range []int{1, 2} {
		require.NoError(t, e.SetThreads(threads))
		backendtest.Run(t, e)
	}
	require.Error(t, e.SetThreads(0))
}
