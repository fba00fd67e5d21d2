package data

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"

	"github.com/descent-ml/descent/internal/atomicfile"
)

// maxDownloadBytes caps the size of one downloaded file; the largest MNIST
// file is under 10 MB.
const maxDownloadBytes = 64 << 20

// DownloadMNIST downloads the four gzip-compressed MNIST files from baseURL
// (a folder URL; each file is fetched as baseURL/NAME.gz) into dir, creating
// dir if needed. Each file is written to a temporary file in dir and renamed
// to its final name only once its SHA-256 matches, so dir never holds a
// partial or wrong file under a canonical name. Files already present with
// the right checksum are not downloaded again. MNISTCacheDir is a good dir:
// LocateMNIST looks there.
func DownloadMNIST(ctx context.Context, dir string, baseURL string) error {
	files := MNISTFiles()
	names := []string{files.TrainImages, files.TrainLabels, files.TestImages, files.TestLabels}
	for i := range names {
		names[i] += gzSuffix
	}
	return downloadFiles(ctx, http.DefaultClient, dir, baseURL, names, files.SHA256, maxDownloadBytes)
}

// downloadFiles downloads each of names from baseURL into dir, checking it
// against sums and refusing files longer than limit bytes.
func downloadFiles(ctx context.Context, client *http.Client, dir, baseURL string,
	names []string, sums map[string]string, limit int64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("download: %w", err)
	}
	for _, name := range names {
		if err := downloadFile(ctx, client, dir, baseURL, name, sums[name], limit); err != nil {
			return err
		}
	}
	return nil
}

// downloadFile downloads one file into dir via a temporary file, renaming it
// into place only when its SHA-256 is want. On error no file is left behind.
func downloadFile(ctx context.Context, client *http.Client, dir, baseURL, name, want string, limit int64) error {
	if want == "" {
		return fmt.Errorf("download %s: %w: no known checksum", name, ErrChecksum)
	}
	dst := filepath.Join(dir, name)
	if verifySHA256(dst, want) == nil {
		return nil
	}
	src, err := url.JoinPath(baseURL, name)
	if err != nil {
		return fmt.Errorf("download %s: bad base URL: %w", name, err)
	}
	// The file appears under its name only once its checksum is right.
	return atomicfile.Write(dst, func(w io.Writer) error {
		got, err := fetchSHA256(ctx, client, src, w, limit)
		if err != nil {
			return err
		}
		return compareSHA256(src, want, got)
	})
}

// fetchSHA256 GETs src into w and returns the hex SHA-256 of the body. A
// body longer than limit bytes or a status other than 200 is an error.
func fetchSHA256(ctx context.Context, client *http.Client, src string, w io.Writer, limit int64) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return "", fmt.Errorf("download %s: %w", src, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("download %s: %w", src, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("download %s: HTTP status %s", src, resp.Status)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return "", fmt.Errorf("download %s: %w", src, err)
	}
	if n > limit {
		return "", fmt.Errorf("download %s: body exceeds %d bytes", src, limit)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
