package data

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"

	"github.com/descent-ml/descent/internal/inputfile"
)

// csvCacheVersion is the format of a CSV cache folder; a folder of another
// version is rebuilt.
const csvCacheVersion = 1

// csvCacheSuffix names the cache folder beside a CSV file.
const csvCacheSuffix = ".descent-cache"

// csvCacheCheckRows is how often, in rows, a conversion checks its context.
const csvCacheCheckRows = 4096

// The files of a cache folder.
const (
	csvCacheMeta = "meta.json"
	csvCacheX    = "x.npy"
	csvCacheY    = "y.npy"
)

// Test hooks: where the cache goes when the CSV's folder takes no new
// folders, how a temporary folder is made, and a call after each
// conversion.
var (
	csvCacheFallbackDir = func() (string, error) {
		d, err := os.UserCacheDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(d, "descent", "csv"), nil
	}
	csvCacheMkdirTemp = os.MkdirTemp
	csvCacheBuilt     = func(dir string) {}
)

// csvCacheInfo is meta.json: what the cache was converted from, and what it
// holds.
type csvCacheInfo struct {
	Version      int    `json:"version"`
	CSV          string `json:"csv"`
	Size         int64  `json:"size"`
	ModTimeNanos int64  `json:"mod_time_ns"`
	Label        string `json:"label"`
	// Options are the CSVOptions that shape the conversion (Label
	// resolved, MaxBytes cleared), so that an option added later is part
	// of the key without a change here.
	Options      json.RawMessage `json:"options"`
	Rows         int             `json:"rows"`
	TargetName   string          `json:"target_name"`
	FeatureNames []string        `json:"feature_names"`
	XBytes       int64           `json:"x_bytes"`
	YBytes       int64           `json:"y_bytes"`
}

// CSVCache returns the paths of x.npy (float32, shape (N, F)) and y.npy
// (float64, shape (N)) converted from the CSV file at path by the rules of
// DecodeCSV (same refusals, same messages), so that a CSV larger than
// memory can be streamed with OpenNPYMatrix and ReadNPYTargets.
//
// The files are built on first use in a folder beside the CSV, path +
// ".descent-cache", and reused while the CSV's size, modification time and
// the options (the label, and any other but MaxBytes) are those recorded
// in the folder's meta.json (with a format version, and the feature
// names); otherwise the folder is rebuilt. opts.MaxBytes bounds the CSV
// as for ReadCSV (its default, 1 GiB, is low for data meant to stream: set
// it), and MaxTableValues bounds N·F.
// The conversion streams, holding one record in memory; it checks ctx every
// few thousand rows. It writes into a temporary folder renamed into place
// when complete, so an interrupted, cancelled or failed conversion leaves
// nothing behind. When the CSV's folder takes no new folders, the cache
// goes to os.UserCacheDir()/descent/csv/<SHA-256 of the CSV's absolute
// path> instead.
func CSVCache(ctx context.Context, path string, opts CSVOptions) (xPath, yPath string, err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", "", fmt.Errorf("CSV file %s: %w", path, err)
	}
	f, _, err := inputfile.Open(path, opts.maxBytes())
	if err != nil {
		return "", "", fmt.Errorf("CSV file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", "", fmt.Errorf("CSV file %s: %w", path, err)
	}
	label := opts.Label
	if label == "" {
		label = DefaultCSVLabel
	}
	keyOpts := opts
	keyOpts.Label, keyOpts.MaxBytes = label, 0
	optsJSON, err := json.Marshal(keyOpts)
	if err != nil {
		return "", "", fmt.Errorf("caching %s: %w", path, err)
	}
	want := csvCacheInfo{Version: csvCacheVersion, CSV: abs, Size: st.Size(), ModTimeNanos: st.ModTime().UnixNano(), Label: label, Options: optsJSON}

	beside := abs + csvCacheSuffix
	var fallback string
	if root, err := csvCacheFallbackDir(); err == nil {
		sum := sha256.Sum256([]byte(abs))
		fallback = filepath.Join(root, hex.EncodeToString(sum[:]))
	}
	for _, dir := range []string{beside, fallback} {
		if dir != "" && validCSVCache(dir, want) {
			return filepath.Join(dir, csvCacheX), filepath.Join(dir, csvCacheY), nil
		}
	}
	dir, tmp, err := csvCacheTemp(beside, fallback)
	if err != nil {
		return "", "", err
	}
	defer func() {
		if tmp != "" {
			os.RemoveAll(tmp)
		}
	}()
	info, err := convertCSV(ctx, f, path, opts, tmp, want)
	if err != nil {
		return "", "", err
	}
	if err := replaceCSVCache(dir, tmp, info); err != nil {
		return "", "", err
	}
	tmp = ""
	csvCacheBuilt(dir)
	return filepath.Join(dir, csvCacheX), filepath.Join(dir, csvCacheY), nil
}

// csvCacheTemp makes the temporary folder to convert into, beside the
// folder dir it will become: beside the CSV, or under fallback when the
// CSV's folder takes no new folders.
func csvCacheTemp(beside, fallback string) (dir, tmp string, err error) {
	tmp, err = csvCacheMkdirTemp(filepath.Dir(beside), filepath.Base(beside)+".tmp-*")
	if err == nil {
		return beside, tmp, nil
	}
	if fallback == "" {
		return "", "", fmt.Errorf("caching the CSV: %w (and there is no user cache folder)", err)
	}
	if err2 := os.MkdirAll(filepath.Dir(fallback), 0o755); err2 != nil {
		return "", "", fmt.Errorf("caching the CSV: %w; nor in the user cache: %w", err, err2)
	}
	tmp, err2 := csvCacheMkdirTemp(filepath.Dir(fallback), filepath.Base(fallback)+".tmp-*")
	if err2 != nil {
		return "", "", fmt.Errorf("caching the CSV: %w; nor in the user cache: %w", err, err2)
	}
	return fallback, tmp, nil
}

// validCSVCache reports whether dir holds a complete cache for want.
func validCSVCache(dir string, want csvCacheInfo) bool {
	b, err := inputfile.ReadFile(filepath.Join(dir, csvCacheMeta), 1<<30)
	if err != nil {
		return false
	}
	var got csvCacheInfo
	if json.Unmarshal(b, &got) != nil {
		return false
	}
	if got.Version != want.Version || got.CSV != want.CSV || got.Size != want.Size ||
		got.ModTimeNanos != want.ModTimeNanos || got.Label != want.Label || !jsonEqual(got.Options, want.Options) {
		return false
	}
	for name, size := range map[string]int64{csvCacheX: got.XBytes, csvCacheY: got.YBytes} {
		st, err := os.Lstat(filepath.Join(dir, name))
		if err != nil || !st.Mode().IsRegular() || st.Size() != size {
			return false
		}
	}
	return true
}

// jsonEqual reports whether two JSON texts hold the same value.
func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// replaceCSVCache renames the complete folder tmp to dir, removing a stale
// cache there first. Something at dir that is not a cache folder (a file,
// or a folder holding other files) is left alone and refused. If another
// process renamed a valid cache into place meanwhile, that one is kept.
func replaceCSVCache(dir, tmp string, info csvCacheInfo) error {
	st, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("caching the CSV: %w", err)
	case !st.IsDir():
		return fmt.Errorf("caching the CSV: %s exists (%s), so the cache folder cannot be made there; remove it", dir, inputfile.Describe(st.Mode()))
	default:
		entries, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("caching the CSV: %w", err)
		}
		for _, e := range entries {
			if !slices.Contains([]string{csvCacheMeta, csvCacheX, csvCacheY}, e.Name()) {
				return fmt.Errorf("caching the CSV: the folder %s holds %s, so it is not only a cache; remove it or move that file", dir, e.Name())
			}
		}
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("caching the CSV: removing the stale cache: %w", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if validCSVCache(dir, info) {
			os.RemoveAll(tmp) // another process built it meanwhile
			return nil
		}
		return fmt.Errorf("caching the CSV: %w", err)
	}
	return syncDir(filepath.Dir(dir))
}

// syncDir fsyncs the folder dir, so that a rename in it is durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}
