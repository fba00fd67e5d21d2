// Package atomicfile writes files so that nobody ever sees half of one: the
// content goes to a temporary file in the target's folder, is synced, and
// only then renamed over the target (a rename within a folder is atomic on
// POSIX file systems), and the folder is synced after the rename so that the
// new name survives a crash. When anything fails the temporary file is
// removed and the target is left as it was.
//
// What it replaces. Only a regular file, or nothing: a directory, FIFO,
// socket, device (/dev/null) or symbolic link at the target is refused
// before anything is written, so running as root with "--history /dev/null"
// can never turn /dev/null into a regular file. Symbolic links are refused
// rather than followed: a link is usually not what the user meant to
// replace, and following one that someone else planted in a shared folder
// would let them redirect the write; the error says to give the link's
// target instead.
//
// Permissions. A new file gets 0666 less the process's umask, as a file
// created by the shell would; a replaced file keeps its permission bits.
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/descent-ml/descent/internal/inputfile"
)

// ErrNotRegular is wrapped by the errors about a target that exists but is
// not a regular file.
var ErrNotRegular = errors.New("not a regular file")

// Write creates or replaces path with what write writes. If write returns
// an error, Write returns it (wrapped with the path) and path is untouched.
func Write(path string, write func(w io.Writer) error) error {
	return writeWith(path, write, syncDir)
}

// WriteBytes is Write for content already in memory.
func WriteBytes(path string, b []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// Check reports whether Write could create or replace path, without
// writing it: the folder exists and takes new files (checked by creating
// and removing an empty temporary file in it), and path is absent or a
// regular file. Commands call it on every output path before long work.
func Check(path string) error {
	if err := CheckDir(filepath.Dir(path)); err != nil {
		return err
	}
	_, _, err := target(path)
	return err
}

// CheckDir reports whether new files can be created in the folder dir, by
// creating and removing an empty temporary file there.
func CheckDir(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("folder %s: %w", dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a folder", dir)
	}
	f, err := createTemp(dir, ".descent-check", 0o600)
	if err != nil {
		return fmt.Errorf("folder %s does not take new files: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// target inspects path without following a final symbolic link. It returns
// the permission bits to give the new file: those of the regular file there
// (exists), or 0666 (less the umask, which the kernel applies) when there is
// none.
func target(path string) (perm fs.FileMode, exists bool, err error) {
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0o666, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("%s: %w", path, err)
	}
	if st.Mode().IsRegular() {
		return st.Mode().Perm(), true, nil
	}
	return 0, false, fmt.Errorf("%s: %w (%s): descent only creates or replaces regular files", path, ErrNotRegular, describe(path, st.Mode()))
}

// describe names the kind of file a mode is; for a symbolic link, also
// where it points, since the fix is to give that path.
func describe(path string, m fs.FileMode) string {
	if m&fs.ModeSymlink != 0 {
		if to, err := os.Readlink(path); err == nil {
			return fmt.Sprintf("it is a symbolic link to %s; give that path instead", to)
		}
	}
	return inputfile.Describe(m)
}

// writeWith is Write with the folder sync as a parameter, for tests.
func writeWith(path string, write func(w io.Writer) error, syncDir func(dir string) error) (err error) {
	perm, exists, err := target(path)
	if err != nil {
		return fmt.Errorf("writing %w", err)
	}
	dir := filepath.Dir(path)
	f, err := createTemp(dir, "."+filepath.Base(path)+".tmp", perm)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			err = fmt.Errorf("writing %s: %w", path, err)
		}
	}()
	if exists {
		// Replacing a file: keep its bits exactly (the umask trimmed them
		// at creation).
		if err = f.Chmod(perm); err != nil {
			return err
		}
	}
	if err = write(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	// The target may have changed while we wrote: look again just before
	// the rename.
	if _, _, err = target(path); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	if err := syncDir(dir); err != nil {
		// The file is complete and in place; only its durability across a
		// crash is in doubt. Say so without claiming the write failed.
		return fmt.Errorf("writing %s: written, but syncing the folder failed: %w", path, err)
	}
	return nil
}

// createTemp creates a new file in dir named prefix-<random> with the given
// permission bits (the kernel applies the umask), exclusively.
func createTemp(dir, prefix string, perm fs.FileMode) (*os.File, error) {
	for range 100 {
		var b [8]byte
		rand.Read(b[:])
		name := filepath.Join(dir, prefix+"-"+hex.EncodeToString(b[:]))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("creating a temporary file in %s: too many collisions", dir)
}

// syncDir fsyncs the folder dir, so that a rename in it is durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
