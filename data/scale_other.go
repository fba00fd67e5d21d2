//go:build !amd64

package data

// prefetchRow does nothing here (a hint on amd64).
func prefetchRow([]uint8) {}

// scaleRow writes pixels scaled to [0, 1], float32(p)/255, into dst.
func scaleRow(dst []float32, pixels []uint8) { scaleRowGeneric(dst, pixels) }
