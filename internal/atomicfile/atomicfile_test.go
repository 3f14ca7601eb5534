package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWriteCreatesAndReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	require.NoError(t, Write(path, func(w io.Writer) error { _, err := io.WriteString(w, "one"); return err }))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	plain := filepath.Join(dir, "plain")
	f, err := os.Create(plain)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	pfi, err := os.Stat(plain)
	require.NoError(t, err)
	require.NoError(t, os.Remove(plain))
	require.Equal(t, pfi.Mode().Perm(), fi.Mode().Perm(), "a new file gets os.Create's mode")

	require.NoError(t, os.Chmod(path, 0o600))
	require.NoError(t, Write(path, func(w io.Writer) error { _, err := io.WriteString(w, "two"); return err }))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "two", string(got))
	fi, err = os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "a replaced file keeps its mode")
	requireOnly(t, dir, "out.txt")
}

func TestFailedWriteKeepsTheOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
	boom := errors.New("boom")
	err := Write(path, func(w io.Writer) error {
		_, _ = io.WriteString(w, "partial")
		return boom
	})
	require.ErrorIs(t, err, boom)
	require.ErrorContains(t, err, "cannot write "+path)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "old", string(got))
	requireOnly(t, dir, "out.txt")
}

func TestMissingFolderIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "out.txt")
	err := Write(path, func(io.Writer) error { return nil })
	require.ErrorContains(t, err, "cannot write "+path)
	require.ErrorIs(t, err, os.ErrNotExist)
}

// requireOnly checks that dir holds exactly the named files: no temporary
// file is left behind.
func requireOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	require.ElementsMatch(t, names, got)
}

func TestFolderInTheWay(t *testing.T) {
	dir := t.TempDir()
	err := Write(dir, func(io.Writer) error { return nil })
	require.ErrorContains(t, err, "cannot write "+dir+": it is a folder")
}
