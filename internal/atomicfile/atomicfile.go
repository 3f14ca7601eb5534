// Package atomicfile writes files so that readers see either the old
// content or the complete new one, never a part: the data goes to a
// temporary file in the same folder, which is synced and then renamed over
// the target, and the folder is synced so the rename survives a crash.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
)

// Write creates or replaces the file at path with what fill writes. A new
// file gets the permissions os.Create would give it (0666 less the umask);
// a replaced file keeps its own. On any error before the rename, the file at
// path is left as it was and no temporary file remains. Errors name the path.
func Write(path string, fill func(io.Writer) error) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	fail := func(err error) error { return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err)) }
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fail(errors.New("it is a folder"))
	}
	f, err := createTemp(dir, "."+base+".tmp")
	if err != nil {
		return fail(err)
	}
	tmp := f.Name()
	err = func() error {
		if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
			if err := f.Chmod(fi.Mode().Perm()); err != nil {
				return err
			}
		}
		if err := fill(f); err != nil {
			return err
		}
		return f.Sync()
	}()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fail(err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("wrote %s, but syncing its folder failed: %w", path, unwrapPath(err))
	}
	return nil
}

// createTemp creates a new file dir/prefix-<random> with mode 0666 before
// the umask, as os.Create does (os.CreateTemp would give 0600).
func createTemp(dir, prefix string) (*os.File, error) {
	for range 100 {
		name := filepath.Join(dir, fmt.Sprintf("%s-%08x", prefix, rand.Uint32()))
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if !errors.Is(err, os.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("cannot create a temporary file in %s", dir)
}

// syncDir flushes a folder's entries to disk where the system supports it.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// unwrapPath drops the *PathError wrapper (whose path is the temporary
// file's) and keeps its cause, since the message names the target already.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
