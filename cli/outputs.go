package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
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
// --history, --save-best, --csv-log, --out).
func checkOutputs(c *ucli.Context) error {
	seen := map[string]string{}
	for _, name := range []string{"save", "history", "save-best", "csv-log"} {
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

// writeTrainOutputs writes every output descent train was asked for
// (--history, --out, --save), each even when another failed, and returns an
// error naming each one that was not written. A diverged model (non-finite
// weights) is not saved, as Load would refuse it; its history and run
// folder are written all the same.
func writeTrainOutputs(c *ucli.Context, env Env, cfg NetConfig, f *fitted, sets dataSets, res runResult) error {
	var errs []error
	attempted := 0
	if path := c.String("history"); path != "" {
		attempted++
		b, err := json.MarshalIndent(res, "", "  ")
		if err == nil {
			err = writeFileAtomic(path, append(b, '\n'))
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("--history %s: %w", path, err))
		}
	}
	if c.String("out") != "" {
		attempted++
		if err := writeTrainFolder(c, env, cfg, f, sets); err != nil {
			errs = append(errs, fmt.Errorf("--out %s: %w", c.String("out"), err))
		}
	}
	if path := c.String("save"); path != "" {
		attempted++
		if i, v, ok := firstNonFinite(f.model.Params); ok {
			errs = append(errs, fmt.Errorf("--save %s: nothing written: the training diverged (parameter %d is %v), and a model file holds only finite weights", path, i, v))
		} else if err := f.model.Save(path); err != nil {
			errs = append(errs, fmt.Errorf("--save %s: %w", path, err))
		}
	}
	return outputErrors("outputs", attempted, errs)
}

// firstNonFinite returns the first NaN or infinite value of xs.
func firstNonFinite(xs []float32) (int, float32, bool) {
	for i, v := range xs {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return i, v, true
		}
	}
	return 0, 0, false
}
