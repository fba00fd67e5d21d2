package cli

import "github.com/descent-ml/descent/internal/atomicfile"

// writeFileAtomic writes b to path so that path never holds a half-written
// file, even if the process dies mid-write (see internal/atomicfile).
func writeFileAtomic(path string, b []byte) error { return atomicfile.WriteBytes(path, b) }
