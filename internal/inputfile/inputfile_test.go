package inputfile_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/internal/inputfile"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	require.NoError(t, os.WriteFile(path, []byte("hello"), 0o644))
	b, err := inputfile.ReadFile(path, 5)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(b))
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Symlink(path, link))
	b, err = inputfile.ReadFile(link, 5)
	require.NoError(t, err, "links to regular files are followed")
	assert.Equal(t, "hello", string(b))

	_, err = inputfile.ReadFile(path, 4)
	require.ErrorIs(t, err, inputfile.ErrTooLarge)
	assert.Contains(t, err.Error(), path)
	assert.Contains(t, err.Error(), "5 bytes, the limit is 4")

	_, err = inputfile.ReadFile(filepath.Join(dir, "missing"), 10)
	require.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), filepath.Join(dir, "missing"))
}

// A FIFO (no writer: a plain open would block forever), /dev/zero (endless)
// and a folder are refused at once, each saying what it is.
func TestRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	for _, tc := range []struct{ path, want string }{
		{fifo, "it is a FIFO"},
		{"/dev/zero", "it is a character device"},
		{dir, "it is a folder"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { _, err := inputfile.ReadFile(tc.path, 1<<30); done <- err }()
			select {
			case err := <-done:
				require.ErrorIs(t, err, inputfile.ErrNotRegular)
				assert.Contains(t, err.Error(), tc.path)
				assert.Contains(t, err.Error(), tc.want)
			case <-time.After(10 * time.Second):
				t.Fatal("ReadFile blocked")
			}
		})
	}
}
