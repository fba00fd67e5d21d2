package data

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
)

// gzipMagic is the first two bytes of every gzip stream.
const gzipMagic = "\x1f\x8b"

// ReadIDXFile reads an IDX file from disk. A gzip-compressed file is
// decompressed transparently; compression is detected from the content (the
// gzip magic bytes 1f 8b), not from the file name. A truncated or corrupt
// gzip stream is an error, as is any data after the end of the stream.
func ReadIDXFile(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening IDX file: %w", err)
	}
	defer f.Close()
	r, err := maybeGunzip(bufio.NewReader(f), path)
	if err != nil {
		return nil, err
	}
	return ReadIDX(r, path)
}

// maybeGunzip returns a reader of the decompressed stream when br starts
// with the gzip magic, and br itself otherwise.
func maybeGunzip(br *bufio.Reader, name string) (io.Reader, error) {
	head, _ := br.Peek(len(gzipMagic)) // a short file is left to ReadIDX to report
	if string(head) != gzipMagic {
		return br, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("%s: reading gzip header: %w", name, err)
	}
	return zr, nil
}
