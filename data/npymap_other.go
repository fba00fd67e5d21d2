//go:build !unix

package data

import "os"

// mapFile reads the file with ReadAt: memory mapping is only used on Unix.
func mapFile(f *os.File, size int64) (npyBacking, error) { return readAtFile(f, size) }
