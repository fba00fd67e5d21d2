package atomicfile_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
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

// Anything but a regular file at the target is refused before a byte is
// written, and is left as it was: a FIFO, a folder, a symbolic link, and a
// character device (/dev/null: only the refusal is checked; as root the old
// writer replaced it).
func TestRefusesNonRegularTargets(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	sub := filepath.Join(dir, "sub")
	require.NoError(t, os.Mkdir(sub, 0o755))
	real := filepath.Join(dir, "real")
	require.NoError(t, os.WriteFile(real, []byte("keep"), 0o644))
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Symlink(real, link))
	for _, tc := range []struct{ path, want string }{
		{fifo, "it is a FIFO"},
		{sub, "it is a folder"},
		{link, "it is a symbolic link to " + real},
		{"/dev/null", "it is a character device"},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			require.ErrorIs(t, atomicfile.Check(tc.path), atomicfile.ErrNotRegular)
			called := false
			err := atomicfile.Write(tc.path, func(w io.Writer) error { called = true; return nil })
			require.ErrorIs(t, err, atomicfile.ErrNotRegular)
			assert.Contains(t, err.Error(), tc.path)
			assert.Contains(t, err.Error(), tc.want)
			assert.False(t, called, "nothing was written")
		})
	}
	st, err := os.Lstat(fifo)
	require.NoError(t, err)
	assert.NotZero(t, st.Mode()&os.ModeNamedPipe, "the FIFO is still a FIFO")
	st, err = os.Lstat(link)
	require.NoError(t, err)
	assert.NotZero(t, st.Mode()&os.ModeSymlink, "the link is still a link")
	b, _ := os.ReadFile(real)
	assert.Equal(t, "keep", string(b))
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 4, "no temporary file left")
}

// A replaced file keeps its permission bits; a new one gets 0666 less the
// umask.
func TestModes(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	require.NoError(t, os.WriteFile(secret, []byte("old"), 0o600))
	require.NoError(t, os.Chmod(secret, 0o640))
	require.NoError(t, atomicfile.WriteBytes(secret, []byte("new")))
	st, err := os.Stat(secret)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), st.Mode().Perm())

	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	fresh := filepath.Join(dir, "fresh")
	require.NoError(t, atomicfile.WriteBytes(fresh, []byte("x")))
	st, err = os.Stat(fresh)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), st.Mode().Perm(), "0666 &^ 027")

	// Replacing keeps the bits even where the umask would trim them.
	wide := filepath.Join(dir, "wide")
	require.NoError(t, os.WriteFile(wide, nil, 0o600))
	require.NoError(t, os.Chmod(wide, 0o666))
	require.NoError(t, atomicfile.WriteBytes(wide, []byte("x")))
	st, err = os.Stat(wide)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o666), st.Mode().Perm())
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, atomicfile.Check(filepath.Join(dir, "new.json")))
	err := atomicfile.Check(filepath.Join(dir, "missing", "new.json"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), filepath.Join(dir, "missing"))
	entries, _ := os.ReadDir(dir)
	assert.Empty(t, entries, "Check leaves nothing behind")
	if os.Geteuid() != 0 { // root writes into read-only folders
		ro := filepath.Join(dir, "ro")
		require.NoError(t, os.Mkdir(ro, 0o555))
		err = atomicfile.Check(filepath.Join(ro, "x"))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "does not take new files")
	}
}
