package libdnnl

// nativeSourceSHA256 is the SHA-256 of native/descent_dnnl.c followed by
// native/descent_dnnl.h, the C layer this package's cgo build compiles
// (native.c includes it). Go's build cache keys a package by the files in
// its own directory, so an edit to those two files alone leaves go build
// and go test linking the old C code, silently (seen 2026-12-01: a changed
// impl label did not show up). TestNativeSourceHash fails until this
// constant matches, and updating it changes a file of this package, which
// makes Go compile the C layer again. Update with
//
//	cat native/descent_dnnl.c native/descent_dnnl.h | sha256sum
const nativeSourceSHA256 = "a6cf0d9352e8522adfddf1f0eec36164ecd1b237becaea16e66b7b5be1b91b1c"
