package atomicfile_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/internal/atomicfile"
)

func TestWriteReplacesWholeFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.json")
	require.NoError(t, atomicfile.WriteBytes(path, []byte("first")))
	require.NoError(t, atomicfile.WriteBytes(path, []byte("second")))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "second", string(b))
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), st.Mode().Perm())
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 1, "no temporary file left")
}

func TestFailedWriteLeavesTargetAlone(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model")
	require.NoError(t, atomicfile.WriteBytes(path, []byte("good")))
	boom := errors.New("disk on fire")
	err := atomicfile.Write(path, func(w io.Writer) error {
		io.WriteString(w, "half of a new")
		return boom
	})
	require.ErrorIs(t, err, boom)
	assert.Contains(t, err.Error(), path)
	b, _ := os.ReadFile(path)
	assert.Equal(t, "good", string(b))
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 1, "the temporary file was removed")

	err = atomicfile.WriteBytes(filepath.Join(dir, "no-such-dir", "x"), nil)
	assert.Error(t, err)
}
