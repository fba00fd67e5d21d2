package data

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
)

// verifySHA256 checks that the file at path has the hex SHA-256 want. An
// empty want means no checksum is known, which is an error too: a caller
// that asked for verification must not silently get none.
func verifySHA256(path, want string) error {
	if want == "" {
		return fmt.Errorf("%s: %w: no known checksum for this file", path, ErrChecksum)
	}
	got, err := fileSHA256(path)
	if err != nil {
		return err
	}
	return compareSHA256(path, want, got)
}

// fileSHA256 returns the lower-case hex SHA-256 of the file at path.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("checksumming: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: checksumming: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// compareSHA256 returns an ErrChecksum error naming the file, the expected
// and the actual sum when they differ.
func compareSHA256(name, want, got string) error {
	if !strings.EqualFold(got, want) {
		return fmt.Errorf("%s: %w: expected SHA-256 %s, got %s", name, ErrChecksum, want, got)
	}
	return nil
}
