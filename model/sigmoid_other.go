//go:build !amd64

package model

// sigmoidKernel applies sigmoid32 to every element of z in place.
func sigmoidKernel(z []float32) { sigmoidSlice32(z) }
