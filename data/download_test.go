package data

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fileServer serves files by name from a map on loopback and counts requests.
func fileServer(t *testing.T, files map[string][]byte) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		b, ok := files[filepath.Base(r.URL.Path)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// dirNames lists the names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	names := []string{}
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestDownloadFiles(t *testing.T) {
	good := map[string][]byte{"a.gz": []byte("alpha"), "b.gz": []byte("bravo")}
	sums := sumsOf(good)
	tests := []struct {
		name      string
		serve     map[string][]byte
		limit     int64
		wantErr   error
		wantMsg   string
		wantFiles []string
	}{
		{name: "good bytes", serve: good, limit: 100, wantFiles: []string{"a.gz", "b.gz"}},
		{name: "wrong bytes", serve: map[string][]byte{"a.gz": []byte("alpha"), "b.gz": []byte("bravO")},
			limit: 100, wantErr: ErrChecksum, wantMsg: "b.gz: checksum mismatch: expected SHA-256 " + sums["b.gz"],
			wantFiles: []string{"a.gz"}},
		{name: "not found", serve: map[string][]byte{}, limit: 100, wantMsg: "404", wantFiles: []string{}},
		{name: "too large", serve: good, limit: 4, wantMsg: "exceeds 4 bytes", wantFiles: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := fileServer(t, tt.serve)
			dir := filepath.Join(t.TempDir(), "new")
			err := downloadFiles(context.Background(), srv.Client(), dir, srv.URL+"/mnist/",
				[]string{"a.gz", "b.gz"}, sums, tt.limit)
			if tt.wantMsg == "" {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantMsg)
			}
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
			}
			assert.Equal(t, tt.wantFiles, dirNames(t, dir), "only verified files may be left")
			for _, name := range tt.wantFiles {
				b, err := os.ReadFile(filepath.Join(dir, name))
				require.NoError(t, err)
				assert.Equal(t, good[name], b)
			}
		})
	}
}

func TestDownloadFilesSkipsGoodFiles(t *testing.T) {
	good := map[string][]byte{"a.gz": []byte("alpha"), "b.gz": []byte("bravo")}
	dir := t.TempDir()
	writeTestFile(t, dir, "a.gz", good["a.gz"])
	writeTestFile(t, dir, "b.gz", []byte("stale")) // wrong: must be replaced
	srv, hits := fileServer(t, good)
	err := downloadFiles(context.Background(), srv.Client(), dir, srv.URL, []string{"a.gz", "b.gz"}, sumsOf(good), 100)
	require.NoError(t, err)
	assert.Equal(t, int64(1), hits.Load(), "only the bad file is fetched")
	b, err := os.ReadFile(filepath.Join(dir, "b.gz"))
	require.NoError(t, err)
	assert.Equal(t, good["b.gz"], b)
}

func TestDownloadFilesNeedsChecksum(t *testing.T) {
	srv, hits := fileServer(t, map[string][]byte{"a.gz": []byte("alpha")})
	dir := t.TempDir()
	err := downloadFiles(context.Background(), srv.Client(), dir, srv.URL, []string{"a.gz"}, nil, 100)
	require.ErrorIs(t, err, ErrChecksum)
	assert.Zero(t, hits.Load())
	assert.Empty(t, dirNames(t, dir))
}

func TestDownloadFilesCancelled(t *testing.T) {
	srv, _ := fileServer(t, map[string][]byte{"a.gz": []byte("alpha")})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	err := downloadFiles(ctx, srv.Client(), dir, srv.URL, []string{"a.gz"}, sumsOf(map[string][]byte{"a.gz": []byte("alpha")}), 100)
	require.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, dirNames(t, dir))
}

func TestDownloadMNISTWrongBytes(t *testing.T) {
	files := MNISTFiles()
	serve := map[string][]byte{}
	for _, base := range []string{files.TrainImages, files.TrainLabels, files.TestImages, files.TestLabels} {
		serve[base+gzSuffix] = []byte("not mnist")
	}
	srv, _ := fileServer(t, serve)
	dir := t.TempDir()
	err := DownloadMNIST(context.Background(), dir, srv.URL)
	require.ErrorIs(t, err, ErrChecksum)
	assert.Contains(t, err.Error(), files.TrainImages+gzSuffix)
	assert.Empty(t, dirNames(t, dir), "no file may be left behind")
}

func TestDownloadMNISTReal(t *testing.T) {
	if testing.Short() {
		t.Skip("copies 11 MB in -short mode")
	}
	src := realMNISTDir(t)
	files := MNISTFiles()
	serve := map[string][]byte{}
	for _, base := range []string{files.TrainImages, files.TrainLabels, files.TestImages, files.TestLabels} {
		b, err := os.ReadFile(filepath.Join(src, base+gzSuffix))
		if err != nil {
			t.Skipf("real MNIST .gz files not in %s: %v", src, err)
		}
		serve[base+gzSuffix] = b
	}
	srv, _ := fileServer(t, serve)
	dir := t.TempDir()
	require.NoError(t, DownloadMNIST(context.Background(), dir, srv.URL+"/mnist"))
	assert.ElementsMatch(t, []string{
		files.TrainImages + gzSuffix, files.TrainLabels + gzSuffix, files.TestImages + gzSuffix, files.TestLabels + gzSuffix,
	}, dirNames(t, dir))
	train, test, err := LoadMNIST(dir)
	require.NoError(t, err)
	assert.Equal(t, 60000, train.Len())
	assert.Equal(t, 10000, test.Len())
}
