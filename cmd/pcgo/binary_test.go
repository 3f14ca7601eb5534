package main

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestBinary runs the pcgo binary as a user would: real signals, a real
// process exit, a file-size limit standing in for a full disk. Each
// interrupted run is resumed and must end with the model file of an
// uninterrupted run, byte for byte.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the pcgo binary and trains on MNIST")
	}
	if runtime.GOOS == "windows" {
		t.Skip("needs POSIX signals")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build pcgo with")
	}
	bin := filepath.Join(t.TempDir(), "pcgo")
	out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	// pcgo runs the binary with extra environment variables.
	pcgo := func(t *testing.T, env []string, args ...string) (status int, stdout, stderr string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), env...)
		var o, e strings.Builder
		cmd.Stdout, cmd.Stderr = &o, &e
		return exitStatus(t, cmd.Run()), o.String(), e.String()
	}
	resume := func(t *testing.T, model string) {
		t.Helper()
		status, _, stderr := pcgo(t, nil, "train", "--resume", model, "--quiet", "--png", "")
		requireOK(t, status, stderr)
	}

	want := filepath.Join(t.TempDir(), "want.pcgo")
	status, _, stderr := pcgo(t, nil, trainArgs(want)...)
	requireOK(t, status, stderr)
	wantBytes := readFile(t, want)

	t.Run("Ctrl-C twice", func(t *testing.T) {
		// The hook sends SIGINT after batch 13 and again while the
		// checkpoint is written: the second must not kill the process.
		model := filepath.Join(t.TempDir(), "m.pcgo")
		status, _, stderr := pcgo(t, []string{interruptAfterEnv + "=13"}, trainArgs(model)...)
		requireOK(t, status, stderr)
		require.Contains(t, stderr, "interrupted at epoch 1, batch 13 of 20: checkpoint saved to "+model+"; resume with: pcgo train --resume "+model+"\n")
		resume(t, model)
		require.Equal(t, wantBytes, readFile(t, model))
		require.Equal(t, []string{"m.pcgo"}, dirNames(t, filepath.Dir(model)))
	})

	t.Run("SIGTERM", func(t *testing.T) {
		model := filepath.Join(t.TempDir(), "m.pcgo")
		cmd := exec.Command(bin, trainArgs(model)...)
		pipe, err := cmd.StderrPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		r := bufio.NewReader(pipe)
		first, err := r.ReadString('\n') // "training …": signals are caught from here on
		require.NoError(t, err)
		require.Contains(t, first, "training [784 256 64 10] on 1000 images")
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		rest, err := io.ReadAll(r)
		require.NoError(t, err)
		requireOK(t, exitStatus(t, cmd.Wait()), first+string(rest))
		if strings.Contains(string(rest), "interrupted at") {
			require.Contains(t, string(rest), "checkpoint saved to "+model)
			require.NotNil(t, loadModel(t, model).Progress)
			resume(t, model)
		} else {
			t.Log("the run ended before the signal arrived")
		}
		require.Equal(t, wantBytes, readFile(t, model))
	})

	t.Run("SIGKILL after the first checkpoint", func(t *testing.T) {
		// A hard kill at any moment leaves the last complete checkpoint:
		// here the one written at the end of the first epoch.
		model := filepath.Join(t.TempDir(), "m.pcgo")
		cmd := exec.Command(bin, trainArgs(model)...)
		require.NoError(t, cmd.Start())
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
			if _, err := os.Stat(model); err == nil {
				break
			}
			require.True(t, time.Now().Before(deadline), "no checkpoint after a minute")
		}
		require.NoError(t, cmd.Process.Kill())
		_ = cmd.Wait()
		if p := loadModel(t, model).Progress; p != nil {
			require.Equal(t, []int{1, 0}, []int{p.Epoch, p.Batch})
			resume(t, model)
		} else {
			t.Log("the run ended before the kill arrived")
		}
		require.Equal(t, wantBytes, readFile(t, model))
	})

	t.Run("full disk", func(t *testing.T) {
		// A file-size limit makes every write past 32 KiB fail as a full
		// disk would (EFBIG instead of ENOSPC): the first checkpoint fails,
		// and the model already there stays as it was.
		sh, err := exec.LookPath("sh")
		if err != nil {
			t.Skip("no sh to set a file-size limit with")
		}
		dir := t.TempDir()
		model := filepath.Join(dir, "m.pcgo")
		require.NoError(t, os.WriteFile(model, wantBytes, 0o644))
		cmd := exec.Command(sh, append([]string{"-c", `ulimit -f 64 && exec "$0" "$@"`, bin}, trainArgs(model)...)...)
		var e strings.Builder
		cmd.Stderr = &e
		requireOneLineError(t, exitStatus(t, cmd.Run()), e.String(), 1,
			"training stopped at epoch 1, batch 20 of 20: pc: model file: cannot write "+model+": file too large; "+model+" is unchanged")
		require.Equal(t, wantBytes, readFile(t, model))
		require.Equal(t, []string{"m.pcgo"}, dirNames(t, dir))
	})
}

// exitStatus returns the status of a finished command, failing the test if
// it did not run or died of a signal.
func exitStatus(t *testing.T, err error) int {
	t.Helper()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit) && exit.Exited():
		return exit.ExitCode()
	}
	t.Fatalf("pcgo did not exit normally: %v", err)
	return -1
}
