package data

import (
	"bufio"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNPYMatrixConcurrent reads from several goroutines while another
// closes the matrix: every read succeeds or reports the close (run with
// -race).
func TestNPYMatrixConcurrent(t *testing.T) {
	const n, f = 500, 32
	path, x := writeBenchNPY(t, n, f)
	m, err := OpenNPYMatrix(path)
	require.NoError(t, err)
	m.budget.max = 1 << 12 // hand pages back often, while others read
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			idx := make([]int, 16)
			dst := make([]float32, len(idx)*f)
			for range 200 {
				for i := range idx {
					idx[i] = rng.IntN(n)
				}
				if err := m.ReadRows(context.Background(), idx, dst); err != nil {
					errs <- err
					return
				}
				for k, r := range idx {
					if !slicesEqual32(dst[k*f:(k+1)*f], x[r*f:(r+1)*f]) {
						errs <- assert.AnError
						return
					}
				}
			}
		})
	}
	wg.Go(func() { _ = m.Close() })
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.ErrorIs(t, err, os.ErrClosed)
	}
}

func slicesEqual32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestNPYMatrixResidentBounded reads random batches from a 2 GiB file and
// checks that the file pages resident in the process (RssFile) stay near
// the release budget. It writes 2 GiB, so it runs only when
// DESCENT_NPY_RSS_TEST=1 and on Linux (/proc/self/status).
func TestNPYMatrixResidentBounded(t *testing.T) {
	if os.Getenv("DESCENT_NPY_RSS_TEST") != "1" {
		t.Skip("writes a 2 GiB file: set DESCENT_NPY_RSS_TEST=1 to run")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc/self/status")
	}
	const f, batch = 784, 128
	const n = (2 << 30) / (f * 4)
	path := filepath.Join(t.TempDir(), "big.npy")
	out, err := os.Create(path)
	require.NoError(t, err)
	w, err := NewNPYWriter(out, "<f4", n, f)
	require.NoError(t, err)
	row := make([]float32, f)
	for i := range n {
		row[0] = float32(i)
		require.NoError(t, w.WriteFloat32(row))
	}
	require.NoError(t, w.Close())
	require.NoError(t, out.Close())

	// The mapping (pages handed back every 64 MiB or so) and pread (whose
	// pages never enter the resident set: what --stream trains from).
	for _, open := range []struct {
		name string
		fn   func(string) (*NPYMatrix, error)
	}{{"OpenNPYMatrix", OpenNPYMatrix}, {"OpenNPYFile", OpenNPYFile}} {
		t.Run(open.name, func(t *testing.T) {
			m, err := open.fn(path)
			require.NoError(t, err)
			defer m.Close()
			rng := rand.New(rand.NewPCG(1, 1))
			idx := make([]int, batch)
			dst := make([]float32, batch*f)
			peak := int64(0)
			for b := range n / batch {
				for i := range idx {
					idx[i] = rng.IntN(n)
				}
				require.NoError(t, m.ReadRows(context.Background(), idx, dst))
				for k, r := range idx {
					require.Equal(t, float32(r), dst[k*f])
				}
				if b%50 == 0 {
					peak = max(peak, rssFileKiB(t))
				}
			}
			t.Logf("peak RssFile %d MiB over %d batches of %d from a %d MiB file", peak>>10, n/batch, batch, (int64(n)*f*4)>>20)
			assert.Less(t, peak, int64(160<<10), "KiB of file pages resident")
		})
	}
}

// rssFileKiB reads RssFile from /proc/self/status.
func rssFileKiB(t *testing.T) int64 {
	fh, err := os.Open("/proc/self/status")
	require.NoError(t, err)
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "RssFile:"); ok {
			v, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			require.NoError(t, err)
			return v
		}
	}
	t.Fatal("no RssFile in /proc/self/status")
	return 0
}
