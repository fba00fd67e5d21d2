package data

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// convertCSV converts the CSV data set in r (named name in messages) into
// x.npy, y.npy and meta.json in the folder tmp, a row at a time, and
// returns the meta.json written: want completed with what was found.
func convertCSV(ctx context.Context, r io.Reader, name string, opts CSVOptions, tmp string, want csvCacheInfo) (csvCacheInfo, error) {
	rows, err := newCSVRows(r, name, opts)
	if err != nil {
		return want, err
	}
	x, err := createNPYRows(filepath.Join(tmp, csvCacheX), "<f4", len(rows.features))
	if err != nil {
		return want, err
	}
	defer x.f.Close()
	y, err := createNPYRows(filepath.Join(tmp, csvCacheY), "<f8")
	if err != nil {
		return want, err
	}
	defer y.f.Close()
	var target [1]float64
	for {
		if rows.n%csvCacheCheckRows == 0 {
			if err := ctx.Err(); err != nil {
				return want, fmt.Errorf("caching %s: %w", name, err)
			}
		}
		ok, err := rows.next()
		if err != nil {
			return want, err
		}
		if !ok {
			break
		}
		if err := x.w.WriteFloat32(rows.x); err != nil {
			return want, fmt.Errorf("caching %s: %s: %w", name, x.f.Name(), err)
		}
		target[0] = rows.y
		if err := y.w.WriteFloat64(target[:]); err != nil {
			return want, fmt.Errorf("caching %s: %s: %w", name, y.f.Name(), err)
		}
	}
	if rows.n == 0 {
		return want, rows.d.errorf("the header has no rows below it")
	}
	info := want
	info.Rows, info.TargetName, info.FeatureNames = rows.n, rows.label, rows.features
	if info.XBytes, err = x.finish(rows.n, len(rows.features)); err != nil {
		return want, fmt.Errorf("caching %s: %w", name, err)
	}
	if info.YBytes, err = y.finish(rows.n); err != nil {
		return want, fmt.Errorf("caching %s: %w", name, err)
	}
	b, err := json.MarshalIndent(info, "", "\t")
	if err != nil {
		return want, fmt.Errorf("caching %s: %w", name, err)
	}
	if err := writeSynced(filepath.Join(tmp, csvCacheMeta), append(b, '\n')); err != nil {
		return want, fmt.Errorf("caching %s: %w", name, err)
	}
	return info, nil
}

// npyRows is a .npy file being written whose number of rows is known only
// at the end.
type npyRows struct {
	f     *os.File
	w     *NPYWriter
	dtype string
}

// createNPYRows creates the file path for rows of rowShape.
func createNPYRows(path, dtype string, rowShape ...int) (*npyRows, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("caching the CSV: %w", err)
	}
	w, err := newNPYRowWriter(f, dtype, rowShape...)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("caching the CSV: %s: %w", path, err)
	}
	return &npyRows{f: f, w: w, dtype: dtype}, nil
}

// finish writes the header for shape over the placeholder, syncs and
// closes the file, and returns its size.
func (n *npyRows) finish(shape ...int) (int64, error) {
	if err := n.w.Close(); err != nil {
		return 0, fmt.Errorf("%s: %w", n.f.Name(), err)
	}
	hdr, err := npyHeader(n.dtype, shape)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", n.f.Name(), err)
	}
	if len(hdr) != n.w.hdrBytes {
		return 0, fmt.Errorf("%s: the header for shape %v is %d bytes, the placeholder %d", n.f.Name(), shape, len(hdr), n.w.hdrBytes)
	}
	if _, err := n.f.WriteAt(hdr, 0); err != nil {
		return 0, err
	}
	if err := n.f.Sync(); err != nil {
		return 0, err
	}
	st, err := n.f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), n.f.Close()
}

// writeSynced writes b to the new file path and syncs it.
func writeSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
