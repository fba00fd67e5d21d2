package data

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withCSVCacheHooks points the fallback cache into a fresh folder, counts
// conversions, and restores the hooks when t ends. It returns the fallback
// root and the counter.
func withCSVCacheHooks(t *testing.T) (string, *int) {
	t.Helper()
	oldFallback, oldMkdir, oldBuilt := csvCacheFallbackDir, csvCacheMkdirTemp, csvCacheBuilt
	t.Cleanup(func() { csvCacheFallbackDir, csvCacheMkdirTemp, csvCacheBuilt = oldFallback, oldMkdir, oldBuilt })
	root := filepath.Join(t.TempDir(), "user-cache")
	builds := new(int)
	csvCacheFallbackDir = func() (string, error) { return root, nil }
	csvCacheBuilt = func(string) { *builds++ }
	return root, builds
}

// readCachedTable reads the cache's files back as a Table with its names
// from meta.json, named as ReadCSV would name it.
func readCachedTable(t *testing.T, name, xPath, yPath string) *Table {
	t.Helper()
	tb, err := ReadNPY(xPath, yPath)
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(xPath), csvCacheMeta))
	require.NoError(t, err)
	var info csvCacheInfo
	require.NoError(t, json.Unmarshal(b, &info))
	assert.Equal(t, csvCacheVersion, info.Version)
	assert.Equal(t, tb.N, info.Rows)
	tb.Name, tb.FeatureNames, tb.TargetName = name, info.FeatureNames, info.TargetName
	return tb
}

// TestCSVCacheSameAsReadCSV converts every CSV of TestReadCSV and compares
// with ReadCSV, and reads the files with numpy where it is installed.
func TestCSVCacheSameAsReadCSV(t *testing.T) {
	_, _ = withCSVCacheHooks(t)
	for _, tc := range csvGoodCases() {
		t.Run(tc.name, func(t *testing.T) {
			path := writeTemp(t, "train.csv", tc.content)
			want, err := ReadCSV(path, tc.opts)
			require.NoError(t, err)
			xPath, yPath, err := CSVCache(context.Background(), path, tc.opts)
			require.NoError(t, err)
			abs, _ := filepath.Abs(path)
			assert.Equal(t, filepath.Join(abs+".descent-cache", "x.npy"), xPath)
			assert.Equal(t, filepath.Join(abs+".descent-cache", "y.npy"), yPath)
			assert.Equal(t, want, readCachedTable(t, path, xPath, yPath))
		})
	}
}

// TestCSVCacheNumpyReads checks that numpy, an independent reader, loads
// the cache's files with the shapes, dtypes and values of the CSV.
func TestCSVCacheNumpyReads(t *testing.T) {
	if _, err := exec.LookPath("/usr/bin/python3"); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	if exec.Command("/usr/bin/python3", "-c", "import numpy").Run() != nil {
		t.Skip("/usr/bin/python3 has no numpy")
	}
	_, _ = withCSVCacheHooks(t)
	path := writeTemp(t, "t.csv", "a,label,b\n1.5,0,2\n-3,1,4e-3\n5,2,6\n")
	xPath, yPath, err := CSVCache(context.Background(), path, CSVOptions{})
	require.NoError(t, err)
	out, err := exec.Command("/usr/bin/python3", "-c", `
import sys, numpy as np
x, y = np.load(sys.argv[1]), np.load(sys.argv[2])
print(x.dtype.str, x.shape, y.dtype.str, y.shape, x.ravel().tolist(), y.tolist())
`, xPath, yPath).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, "<f4 (3, 2) <f8 (3,) [1.5, 2.0, -3.0, 0.004000000189989805, 5.0, 6.0] [0.0, 1.0, 2.0]\n", string(out))
}

func TestCSVCacheRefusesAsDecodeCSV(t *testing.T) {
	_, builds := withCSVCacheHooks(t)
	for _, tc := range csvBadCases() {
		t.Run(tc.name, func(t *testing.T) {
			path := writeTemp(t, "train.csv", tc.content)
			_, want := ReadCSV(path, tc.opts)
			require.Error(t, want)
			_, _, err := CSVCache(context.Background(), path, tc.opts)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrBadTable)
			assert.Equal(t, want.Error(), err.Error())
			assertOnlyCSV(t, path)
		})
	}
	assert.Zero(t, *builds)
}

// assertOnlyCSV checks that the CSV's folder holds nothing but the CSV: no
// cache, no temporary folder.
func assertOnlyCSV(t *testing.T, path string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{filepath.Base(path)}, names)
}

func TestCSVCacheReuseAndRebuild(t *testing.T) {
	_, builds := withCSVCacheHooks(t)
	path := writeTemp(t, "t.csv", "a,label\n1,0\n2,1\n")
	ctx := context.Background()
	xPath, _, err := CSVCache(ctx, path, CSVOptions{})
	require.NoError(t, err)
	require.Equal(t, 1, *builds)

	for _, step := range []struct {
		name   string
		change func()
		opts   CSVOptions
		builds int
		n      int
	}{
		{"unchanged", func() {}, CSVOptions{}, 1, 2},
		{"default label spelled out", func() {}, CSVOptions{Label: "label"}, 1, 2},
		{"other label", func() {}, CSVOptions{Label: "a"}, 2, 2},
		{"back to label", func() {}, CSVOptions{}, 3, 2},
		{"CSV grew", func() { require.NoError(t, os.WriteFile(path, []byte("a,label\n1,0\n2,1\n3,1\n"), 0o644)) }, CSVOptions{}, 4, 3},
		{"same size, new time", func() {
			require.NoError(t, os.WriteFile(path, []byte("a,label\n7,0\n8,1\n9,1\n"), 0o644))
			require.NoError(t, os.Chtimes(path, time.Now(), time.Now().Add(time.Hour)))
		}, CSVOptions{}, 5, 3},
		{"meta.json damaged", func() {
			require.NoError(t, os.WriteFile(filepath.Join(filepath.Dir(xPath), csvCacheMeta), []byte("{"), 0o644))
		}, CSVOptions{}, 6, 3},
		{"x.npy removed", func() { require.NoError(t, os.Remove(xPath)) }, CSVOptions{}, 7, 3},
		{"reused again", func() {}, CSVOptions{}, 7, 3},
	} {
		step.change()
		x, y, err := CSVCache(ctx, path, step.opts)
		require.NoError(t, err, step.name)
		assert.Equal(t, step.builds, *builds, step.name)
		tb, err := ReadNPY(x, y)
		require.NoError(t, err, step.name)
		assert.Equal(t, step.n, tb.N, step.name)
		want, err := ReadCSV(path, step.opts)
		require.NoError(t, err)
		assert.Equal(t, want.X, tb.X, step.name)
		assert.Equal(t, want.Y, tb.Y, step.name)
	}
}

func TestCSVCacheUnchangedFileNotRewritten(t *testing.T) {
	_, _ = withCSVCacheHooks(t)
	path := writeTemp(t, "t.csv", "a,label\n1,0\n")
	x1, _, err := CSVCache(context.Background(), path, CSVOptions{})
	require.NoError(t, err)
	st1, err := os.Stat(x1)
	require.NoError(t, err)
	x2, _, err := CSVCache(context.Background(), path, CSVOptions{})
	require.NoError(t, err)
	st2, err := os.Stat(x2)
	require.NoError(t, err)
	assert.True(t, os.SameFile(st1, st2))
	assert.Equal(t, st1.ModTime(), st2.ModTime())
}

func TestCSVCacheCancelLeavesNothing(t *testing.T) {
	root, builds := withCSVCacheHooks(t)
	var b strings.Builder
	b.WriteString("a,b,label\n")
	for i := range 3 * csvCacheCheckRows {
		b.WriteString("1,2,")
		b.WriteString(string(rune('0' + i%10)))
		b.WriteString("\n")
	}
	path := writeTemp(t, "big.csv", b.String())

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := CSVCache(ctx, path, CSVOptions{})
	assert.ErrorIs(t, err, context.Canceled)
	assertOnlyCSV(t, path)

	// Cancelled during the conversion, at its third check, after 8192 rows
	// were written.
	ctx2 := &countdownCtx{Context: context.Background(), left: 2}
	_, _, err = CSVCache(ctx2, path, CSVOptions{})
	assert.Equal(t, 3, ctx2.calls)
	assert.ErrorIs(t, err, context.Canceled)
	assertOnlyCSV(t, path)
	_, err = os.Stat(root)
	assert.ErrorIs(t, err, os.ErrNotExist, "nothing in the fallback either")
	assert.Zero(t, *builds)
}

func TestCSVCacheFallsBackWhenFolderUnwritable(t *testing.T) {
	root, builds := withCSVCacheHooks(t)
	path := writeTemp(t, "t.csv", "a,label\n1,0\n2,1\n")
	// chmod does not stop root, so the folder's refusal is simulated; a
	// non-root run also gets the real one.
	require.NoError(t, os.Chmod(filepath.Dir(path), 0o555))
	t.Cleanup(func() { os.Chmod(filepath.Dir(path), 0o755) })
	oldMkdir := csvCacheMkdirTemp
	csvCacheMkdirTemp = func(dir, pattern string) (string, error) {
		if dir == filepath.Dir(path) {
			return "", &os.PathError{Op: "mkdirtemp", Path: dir, Err: os.ErrPermission}
		}
		return oldMkdir(dir, pattern)
	}
	abs, _ := filepath.Abs(path)
	sum := sha256.Sum256([]byte(abs))
	want := filepath.Join(root, hex.EncodeToString(sum[:]))
	for i := range 2 {
		x, y, err := CSVCache(context.Background(), path, CSVOptions{})
		require.NoError(t, err)
		assert.Equal(t, filepath.Join(want, "x.npy"), x)
		assert.Equal(t, filepath.Join(want, "y.npy"), y)
		assert.Equal(t, 1, *builds, "call %d", i+1)
		tb, err := ReadNPY(x, y)
		require.NoError(t, err)
		assert.Equal(t, []float64{0, 1}, tb.Y)
	}
	assertOnlyCSV(t, path)

	csvCacheFallbackDir = func() (string, error) { return "", errors.New("no home") }
	os.RemoveAll(want)
	_, _, err := CSVCache(context.Background(), path, CSVOptions{})
	assert.ErrorContains(t, err, "permission denied")
	assert.ErrorContains(t, err, "no user cache folder")
}

func TestCSVCacheLeavesForeignFolderAlone(t *testing.T) {
	_, _ = withCSVCacheHooks(t)
	path := writeTemp(t, "t.csv", "a,label\n1,0\n")
	mine := filepath.Join(path+".descent-cache", "notes.txt")
	require.NoError(t, os.MkdirAll(filepath.Dir(mine), 0o755))
	require.NoError(t, os.WriteFile(mine, []byte("keep"), 0o644))
	_, _, err := CSVCache(context.Background(), path, CSVOptions{})
	assert.ErrorContains(t, err, "holds notes.txt, so it is not only a cache")
	b, err := os.ReadFile(mine)
	require.NoError(t, err)
	assert.Equal(t, "keep", string(b))
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, entries, 2, "no temporary folder left")
}

func TestCSVCacheMaxValues(t *testing.T) {
	_, _ = withCSVCacheHooks(t)
	defer func(old int) { csvMaxValues = old }(csvMaxValues)
	csvMaxValues = 6
	path := writeTemp(t, "t.csv", "a,b,label\n1,2,0\n\n3,4,0\n5,6,0\n7,8,0\n")
	_, _, err := CSVCache(context.Background(), path, CSVOptions{})
	require.ErrorIs(t, err, ErrBadTable)
	assert.ErrorContains(t, err, "line 6: more than 3 rows of 2 features, over the limit of 6 values (MaxTableValues)")
	assertOnlyCSV(t, path)
}

func TestCSVCacheNotRegular(t *testing.T) {
	_, _ = withCSVCacheHooks(t)
	_, _, err := CSVCache(context.Background(), "/dev/zero", CSVOptions{})
	assert.ErrorContains(t, err, "it is a character device")
	_, _, err = CSVCache(context.Background(), filepath.Join(t.TempDir(), "absent.csv"), CSVOptions{})
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// countdownCtx is a context that is done from its left+1-th Err on, so a
// test can cancel at a chosen check.
type countdownCtx struct {
	context.Context
	left, calls int
}

func (c *countdownCtx) Err() error {
	c.calls++
	if c.left == 0 {
		return context.Canceled
	}
	c.left--
	return nil
}
