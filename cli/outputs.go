package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	ucli "github.com/urfave/cli/v2"

	"github.com/descent-ml/descent/internal/atomicfile"
)

// Output paths are checked before any data is loaded or any training
// starts, so that a run is never lost to a typo in --save at its end: each
// of --save and --history must name a regular file or nothing, in a folder
// that exists and takes new files; --out must be a folder that takes new
// files, or not exist under one that does (it is created). A failed check is
// a usage error.

// checkOutputs checks every output flag the command has (--save,
// --history, --out).
func checkOutputs(c *ucli.Context) error {
	seen := map[string]string{}
	for _, name := range []string{"save", "history"} {
		path := c.String(name)
		if path == "" {
			continue
		}
		if err := atomicfile.Check(path); err != nil {
			return usagef("--%s: %v", name, err)
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return usagef("--%s: %v", name, err)
		}
		if other, ok := seen[abs]; ok {
			return usagef("--%s and --%s name the same file %s: the second would replace the first", other, name, path)
		}
		seen[abs] = name
	}
	return checkOut(c)
}

// checkOutDir checks that dir is a folder that takes new files, or that it
// does not exist and its nearest existing parent is one.
func checkOutDir(dir string) error {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if (errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)) && filepath.Dir(d) != d {
			continue
		}
		if err != nil {
			return err
		}
		if !st.IsDir() {
			if d == filepath.Clean(dir) {
				return fmt.Errorf("%s exists and is not a folder", dir)
			}
			return fmt.Errorf("%s cannot be created: %s is not a folder", dir, d)
		}
		return atomicfile.CheckDir(d)
	}
}

// outputErrors combines the failures of several outputs, each of which was
// attempted, into one error naming every failure on its own line; nil when
// there were none.
func outputErrors(noun string, attempted int, errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	lines := make([]string, len(errs))
	for i, err := range errs {
		lines[i] = "  " + err.Error()
	}
	return fmt.Errorf("%d of %d %s not written:\n%s%w", len(errs), attempted, noun, strings.Join(lines, "\n"), joinQuiet(errs))
}

// joinQuiet wraps errs for errors.Is and errors.As without adding text.
func joinQuiet(errs []error) error { return quietErrors(errs) }

type quietErrors []error

func (quietErrors) Error() string     { return "" }
func (q quietErrors) Unwrap() []error { return q }
