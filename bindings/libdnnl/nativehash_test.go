package libdnnl

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"testing"
)

// The C layer's sources match nativeSourceSHA256, so that a build of this
// package is never a cached one of older C code (see the constant).
func TestNativeSourceHash(t *testing.T) {
	h := sha256.New()
	for _, f := range []string{"../../native/descent_dnnl.c", "../../native/descent_dnnl.h"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		h.Write(b)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != nativeSourceSHA256 {
		t.Fatalf("native/descent_dnnl.{c,h} changed (SHA-256 %s) but nativeSourceSHA256 is %s: update it in bindings/libdnnl/nativehash.go (cat native/descent_dnnl.c native/descent_dnnl.h | sha256sum), or Go's build cache keeps linking the old C layer", got, nativeSourceSHA256)
	}
}
