package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"

	"github.com/descent-ml/descent/internal/inputfile"
)

// maxIDXValuesFileSize is the largest IDX file ReadIDXValuesFile opens:
// MaxIDXElements elements of 8 bytes, with the same room as maxIDXFileSize.
const maxIDXValuesFileSize = 8*MaxIDXElements + 8*MaxIDXElements/64 + 4 + 4*255

// maxIDXFileSize is the largest IDX file ReadIDXFile opens: MaxIDXElements
// data bytes, the largest header (4 bytes of magic, 255 dims of 4 bytes),
// and room for a gzip stream of incompressible data to be a little larger
// than its content.
const maxIDXFileSize = MaxIDXElements + MaxIDXElements/64 + 4 + 4*255

// gzipMagic is the first two bytes of every gzip stream.
const gzipMagic = "\x1f\x8b"

// ReadIDXFile reads an IDX file from disk. A gzip-compressed file is
// decompressed transparently; compression is detected from the content (the
// gzip magic bytes 1f 8b), not from the file name. A truncated or corrupt
// gzip stream is an error, as is any data after the end of the stream.
//
// Only a regular file is read (a FIFO or device is refused without
// blocking), of at most maxIDXFileSize bytes.
func ReadIDXFile(path string) (*IDX, error) {
	var idx *IDX
	err := withIDXFile(path, maxIDXFileSize, func(r io.Reader, size int64) error {
		_, dims, body, err := readIDXArray(r, path, size, acceptUint8)
		if err == nil {
			idx = &IDX{Name: path, Dims: dims, Data: body}
		}
		return err
	})
	return idx, err
}

// withIDXFile opens the regular file at path, of at most limit bytes, and
// calls read with its content, decompressed if it is gzip, and the
// content's size: the file's for a raw file, -1 (unknown) for gzip.
func withIDXFile(path string, limit int64, read func(r io.Reader, size int64) error) error {
	f, size, err := inputfile.Open(path, limit)
	if err != nil {
		return fmt.Errorf("IDX file: %w", err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	r, err := maybeGunzip(br, path)
	if err != nil {
		return err
	}
	if r != io.Reader(br) {
		r = &gzipContent{Reader: r, isize: gzipISize(f, size), compressed: size}
		size = -1
	}
	return read(r, size)
}

// gzipContent is a gzip file's decompressed stream with what its trailer
// says of the content's size, so the IDX reader can allocate its data once
// instead of growing a buffer through ever larger copies (io.ReadAll's
// growth made some five times the data in garbage, and the peak of a run
// that loads MNIST). The trailer is not trusted: it only sizes the buffer
// when it agrees with the header's claim and DEFLATE could expand the file
// that far, so a lying file costs at most maxDeflateRatio times its size.
type gzipContent struct {
	io.Reader
	// isize is the trailer's ISIZE (the last member's content size mod
	// 2^32), or -1 if it could not be read.
	isize int64
	// compressed is the file's size.
	compressed int64
}

// agrees reports whether the content is, by the trailer and within what
// DEFLATE can expand the file to, n bytes long.
func (g *gzipContent) agrees(n int64) bool {
	return g.isize >= 0 && n%(1<<32) == g.isize && n/maxDeflateRatio <= g.compressed
}

// gzipISize reads the ISIZE field of the gzip file f of size bytes: its last
// four bytes, little-endian; -1 if they cannot be read.
func gzipISize(f *os.File, size int64) int64 {
	var b [4]byte
	if size < 20 { // the smallest gzip file: 10 header, 2 deflate and 8 trailer bytes
		return -1
	}
	if _, err := f.ReadAt(b[:], size-4); err != nil {
		return -1
	}
	return int64(binary.LittleEndian.Uint32(b[:]))
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
