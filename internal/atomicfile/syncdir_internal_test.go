package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The folder is synced after the rename, and a failed folder sync is
// reported (the file is in place nonetheless).
func TestSyncsFolderAfterRename(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	var synced []string
	err := writeWith(path, func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err },
		func(d string) error {
			_, err := os.Stat(path) // already renamed into place
			require.NoError(t, err)
			synced = append(synced, d)
			return nil
		})
	require.NoError(t, err)
	assert.Equal(t, []string{dir}, synced)

	boom := errors.New("EIO")
	err = writeWith(path, func(w io.Writer) error { return nil }, func(string) error { return boom })
	require.ErrorIs(t, err, boom)
	assert.Contains(t, err.Error(), "syncing the folder")
	require.NoError(t, syncDir(dir), "the real sync works on a folder")
}
