package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pcgo/pcgo/pc"
)

// The reliability tests of pcgo train: checkpoints, interrupts and resuming,
// divergence, unwritable outputs and hostile data files. Training runs use
// the first 1000 MNIST images (20 batches an epoch) to stay quick.

// trainArgs is a small training run writing its model to model and no
// picture, followed by extra flags.
func trainArgs(model string, extra ...string) []string {
	return append([]string{"train", "--limit", "1000", "--epochs", "2", "--quiet", "--png", "", "--model", model}, extra...)
}

// requireOK checks a successful command.
func requireOK(t *testing.T, status int, stderr string) {
	t.Helper()
	require.Zero(t, status, stderr)
}

// requireOneLineError checks a failed command: the status, and one line on
// standard error (after the "training …" line, if any) holding each of want.
func requireOneLineError(t *testing.T, status int, stderr string, wantStatus int, want ...string) string {
	t.Helper()
	require.Equal(t, wantStatus, status, stderr)
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	last := lines[len(lines)-1]
	require.True(t, strings.HasPrefix(last, "pcgo train: "), "%q", stderr)
	for _, w := range want {
		require.Contains(t, last, w)
	}
	require.NotContains(t, stderr, "panic")
	return last
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

func loadModel(t *testing.T, path string) *pc.Model {
	t.Helper()
	m, err := pc.LoadModel(path)
	require.NoError(t, err)
	return m
}

// dirNames lists a folder's entries, to catch temporary files left behind.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestInterruptAndResume interrupts runs in-process (the test hook sends
// the process SIGINT after a given batch, and once more while it writes the
// checkpoint), resumes them, and requires the final model file to equal an
// uninterrupted run's byte for byte: mid-epoch, at an epoch's end, with a
// different thread count, and with extra checkpoints along the way.
func TestInterruptAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST")
	}
	dir := t.TempDir()
	want := filepath.Join(dir, "want.pcgo")
	status, _, stderr := pcgo(trainArgs(want)...)
	requireOK(t, status, stderr)
	wantBytes := readFile(t, want)
	require.Nil(t, loadModel(t, want).Progress, "a finished model has no progress")

	for _, c := range []struct {
		name        string
		after       int
		extra       []string
		epoch       int // the checkpoint's position
		batch       int
		message     string
		resumeExtra []string
	}{
		{"mid-epoch", 7, nil, 0, 7, "interrupted at epoch 1, batch 7 of 20", nil},
		{"epoch end", 20, nil, 1, 0, "interrupted at epoch 1, batch 20 of 20", []string{"--threads", "1"}},
		{"second epoch", 33, []string{"--checkpoint-every", "4", "--threads", "1"}, 1, 13, "interrupted at epoch 2, batch 13 of 20", []string{"--threads", "2"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			model := filepath.Join(t.TempDir(), "run.pcgo")
			t.Setenv(interruptAfterEnv, strconv.Itoa(c.after))
			status, stdout, stderr := pcgo(trainArgs(model, c.extra...)...)
			requireOK(t, status, stderr)
			require.Empty(t, stdout, "an interrupted run reports no result")
			require.Contains(t, stderr, c.message+": checkpoint saved to "+model+"; resume with: pcgo train --resume "+model+"\n")

			ck := loadModel(t, model)
			require.NotNil(t, ck.Progress)
			require.Equal(t, c.epoch, ck.Progress.Epoch)
			require.Equal(t, c.batch, ck.Progress.Batch)
			require.Equal(t, 1000, ck.Progress.Limit)
			require.NotEmpty(t, ck.Progress.RNG)
			require.NotEmpty(t, ck.Progress.Kernels)
			require.Equal(t, 2, ck.Epochs)
			require.Equal(t, 50, ck.Batch)

			t.Setenv(interruptAfterEnv, "")
			args := append([]string{"train", "--resume", model, "--quiet", "--png", ""}, c.resumeExtra...)
			status, stdout, stderr = pcgo(args...)
			requireOK(t, status, stderr)
			require.Contains(t, stderr, "resuming "+model+" at "+strings.TrimPrefix(c.message, "interrupted at "))
			require.Contains(t, stdout, "saved the model to "+model)
			require.Equal(t, wantBytes, readFile(t, model), "resumed run differs from the uninterrupted one")
			require.Equal(t, []string{"run.pcgo"}, dirNames(t, filepath.Dir(model)))
		})
	}
}

// TestTrainFinishedModelFurther extends a finished 2-epoch model to 3 epochs
// and requires the result of an uninterrupted 3-epoch run; a finished model
// without more epochs is a usage error.
func TestTrainFinishedModelFurther(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST")
	}
	dir := t.TempDir()
	two, three := filepath.Join(dir, "two.pcgo"), filepath.Join(dir, "three.pcgo")
	status, _, stderr := pcgo(trainArgs(two)...)
	requireOK(t, status, stderr)
	status, _, stderr = pcgo(trainArgs(three, "--epochs", "3")...)
	requireOK(t, status, stderr)

	for _, args := range [][]string{{}, {"--epochs", "2"}, {"--epochs", "1"}} {
		status, _, stderr = pcgo(append([]string{"train", "--resume", two, "--limit", "1000"}, args...)...)
		requireOneLineError(t, status, stderr, 2, two+" is a finished model of 2 epochs, not a checkpoint: to train it further, give --epochs above 2")
	}
	status, _, stderr = pcgo("train", "--resume", two, "--limit", "1000", "--epochs", "3", "--quiet", "--png", "")
	requireOK(t, status, stderr)
	require.Equal(t, readFile(t, three), readFile(t, two))
}

// checkpointFile writes a checkpoint of the default architecture (no
// training needed) and returns its path.
func checkpointFile(t *testing.T) string {
	t.Helper()
	net, err := pc.NewNet([]int{784, 256, 64, 10}, 0.001, 1)
	require.NoError(t, err)
	rng, err := rand.NewPCG(1, 1).MarshalBinary()
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "ck.pcgo")
	require.NoError(t, pc.SaveModel(path, &pc.Model{Net: net, Config: pc.DefaultConfig(), Activation: "relu",
		Mode: "generative", Std: 0.001, Seed: 1, Batch: 50, Epochs: 5,
		Progress: &pc.Progress{Epoch: 2, Batch: 7, Limit: 1000, RNG: rng, Threads: 2, Kernels: "generic"}}))
	return path
}

// TestResumeFlagConflicts checks that a flag contradicting the checkpoint is
// a one-line usage error, and that flags agreeing with it are accepted.
func TestResumeFlagConflicts(t *testing.T) {
	ck := checkpointFile(t)
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--lr", "0.01"}, "--lr 0.01 conflicts with " + ck + ", which was trained with --lr 0.005; a resumed run keeps its settings (leave --lr out)"},
		{[]string{"--ir", "0.1"}, "--ir 0.1 conflicts with " + ck + ", which was trained with --ir 0.05"},
		{[]string{"--arch", "784,100,10"}, "--arch 784,100,10 conflicts with " + ck + ", which was trained with --arch 784,256,64,10"},
		{[]string{"--batch", "10"}, "--batch 10 conflicts"},
		{[]string{"--T", "5"}, "--T 5 conflicts"},
		{[]string{"--std", "0.1"}, "--std 0.1 conflicts"},
		{[]string{"--seed", "2"}, "--seed 2 conflicts"},
		{[]string{"--limit", "0"}, "--limit 0 conflicts with " + ck + ", which was trained with --limit 1000"},
		{[]string{"--epochs", "2"}, "--epochs 2 is fewer than " + ck + " has done (epoch 3, batch 7)"},
		{[]string{"--lr", "0.005", "--epochs", "1"}, "--epochs 1 is fewer than"},
		{[]string{"--checkpoint-every", "-1"}, "--checkpoint-every must be ≥ 0"},
	} {
		status, _, stderr := pcgo(append([]string{"train", "--resume", ck}, c.args...)...)
		requireOneLineError(t, status, stderr, 2, c.msg)
	}
	status, _, stderr := pcgo("train", "--resume", filepath.Join(t.TempDir(), "none.pcgo"))
	requireOneLineError(t, status, stderr, 1, "none.pcgo", "no such file")
	junk := filepath.Join(t.TempDir(), "junk.pcgo")
	require.NoError(t, os.WriteFile(junk, []byte("PCGOMODL\x01\x00\x00\x00ARCH"), 0o644))
	status, _, stderr = pcgo("train", "--resume", junk)
	requireOneLineError(t, status, stderr, 1, "junk.pcgo", "truncated")

	// Agreeing flags pass the checks and reach the data: an empty --data
	// folder is the next error.
	status, _, stderr = pcgo("train", "--resume", ck, "--lr", "0.005", "--ir", "0.05", "--arch", "784,256,64,10",
		"--batch", "50", "--T", "20", "--std", "0.001", "--seed", "1", "--limit", "1000", "--epochs", "9",
		"--data", t.TempDir(), "--png", "", "--model", filepath.Join(t.TempDir(), "m.pcgo"))
	requireOneLineError(t, status, stderr, 1, "MNIST files not found")
}

// TestDivergenceKeepsTheLastCheckpoint trains with an absurd learning rate
// and a checkpoint after every batch: the run stops with status 1 and one
// line naming the epoch, the batch, --lr and --ir, and the file keeps the
// checkpoint of the batch before, which resumes into the same divergence
// without being touched.
func TestDivergenceKeepsTheLastCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST")
	}
	model := filepath.Join(t.TempDir(), "m.pcgo")
	status, stdout, stderr := pcgo(trainArgs(model, "--lr", "1000", "--checkpoint-every", "1")...)
	line := requireOneLineError(t, status, stderr, 1, "training diverged at epoch 1, batch ", "lower --lr (now 1000) or --ir (now 0.05)")
	require.Empty(t, stdout)
	m := regexp.MustCompile(`diverged at epoch 1, batch (\d+):`).FindStringSubmatch(line)
	require.NotNil(t, m, line)
	bad, _ := strconv.Atoi(m[1])
	require.Greater(t, bad, 1, "the test needs a divergence after the first batch")
	require.Contains(t, line, model+" keeps the last checkpoint (epoch 1, batch "+strconv.Itoa(bad-1)+")")

	ck := loadModel(t, model)
	require.Equal(t, []int{0, bad - 1}, []int{ck.Progress.Epoch, ck.Progress.Batch})
	for _, w := range ck.Net.W {
		for _, x := range w.Data {
			require.False(t, math.IsNaN(float64(x)) || math.IsInf(float64(x), 0))
		}
	}
	before := readFile(t, model)
	status, _, stderr = pcgo("train", "--resume", model, "--quiet", "--png", "", "--checkpoint-every", "0")
	requireOneLineError(t, status, stderr, 1, "diverged at epoch 1, batch "+m[1]+":", model+" is unchanged")
	require.Equal(t, before, readFile(t, model))
	require.Equal(t, []string{"m.pcgo"}, dirNames(t, filepath.Dir(model)))

	// Without any checkpoint, nothing is written at all.
	fresh := filepath.Join(t.TempDir(), "fresh.pcgo")
	status, _, stderr = pcgo(trainArgs(fresh, "--lr", "1000")...)
	requireOneLineError(t, status, stderr, 1, "diverged", "nothing was saved")
	require.NoFileExists(t, fresh)
}

// TestUnwritableOutputs checks that outputs that cannot be written are one
// clear error before any training, and that a previous checkpoint stays.
func TestUnwritableOutputs(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--model", filepath.Join(file, "m.pcgo")}, "cannot write --model " + filepath.Join(file, "m.pcgo") + ": not a directory"},
		{[]string{"--model", filepath.Join(dir, "no", "m.pcgo")}, "no such file or directory"},
		{[]string{"--model", dir}, "cannot write --model " + dir + ": it is a folder"},
		{[]string{"--model", filepath.Join(t.TempDir(), "m.pcgo"), "--png", filepath.Join(dir, "no", "d.png")}, "cannot write --png"},
	} {
		status, _, stderr := pcgo(append([]string{"train", "--data", t.TempDir()}, c.args...)...)
		requireOneLineError(t, status, stderr, 1, c.msg)
	}
	require.Equal(t, []string{"file"}, dirNames(t, dir))
}

// TestReadOnlyFolder resumes a checkpoint in a folder that refuses new
// files: a clear error before training, and the checkpoint intact. Root
// ignores permissions, so the test skips itself there.
func TestReadOnlyFolder(t *testing.T) {
	ck := checkpointFile(t)
	dir := filepath.Dir(ck)
	before := readFile(t, ck)
	require.NoError(t, os.Chmod(dir, 0o555))
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	if probe, err := os.CreateTemp(dir, "probe"); err == nil {
		probe.Close()
		os.Remove(probe.Name())
		t.Skip("this user can write to a read-only folder (root?): permissions cannot be tested")
	}
	status, _, stderr := pcgo("train", "--resume", ck, "--png", "")
	requireOneLineError(t, status, stderr, 1, "cannot write --model "+ck+": permission denied")
	status, _, stderr = pcgo("train", "--limit", "10", "--png", "", "--model", filepath.Join(dir, "new.pcgo"))
	requireOneLineError(t, status, stderr, 1, "permission denied")
	require.Equal(t, before, readFile(t, ck))
	require.Equal(t, []string{"ck.pcgo"}, dirNames(t, dir))
}

// idx returns an IDX file with the given magic, dimensions and payload.
func idx(magic uint32, dims []uint32, payload []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, payload...)
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	z := gzip.NewWriter(&buf)
	_, err := z.Write(b)
	require.NoError(t, err)
	require.NoError(t, z.Close())
	return buf.Bytes()
}

// TestHostileDataFiles gives pcgo train data folders with broken IDX files:
// each is one line naming the file and the fault, status 1, never a panic.
func TestHostileDataFiles(t *testing.T) {
	images := idx(0x803, []uint32{3, 28, 28}, make([]byte, 3*784))
	labels := idx(0x801, []uint32{3}, []byte{1, 2, 3})
	for _, c := range []struct {
		name        string
		img, labels []byte
		msg         string
	}{
		{"bad magic", labels, labels, "train-images-idx3-ubyte: bad magic 0x00000801, want 0x00000803"},
		{"dims and length disagree", idx(0x803, []uint32{4, 28, 28}, make([]byte, 3*784)), labels,
			"train-images-idx3-ubyte: short payload: 2352 of 3136 bytes"},
		{"trailing data", append(images[:len(images):len(images)], 0), labels, "trailing data after the 2352-byte payload"},
		{"count mismatch", images, idx(0x801, []uint32{2}, []byte{1, 2}),
			"train-images-idx3-ubyte has 3 images but train-labels-idx1-ubyte has 2 labels"},
		{"label above 9", images, idx(0x801, []uint32{3}, []byte{1, 12, 3}),
			"mnist: sample 1 has label 12, want < 10 classes: the label layer (the last of --arch) has 10 units"},
		{"truncated gzip", gz(t, images)[:40], labels, "train-images-idx3-ubyte: truncated gzip stream"},
		{"huge header", idx(0x803, []uint32{60000, 60000, 60000}, nil), labels, "make more than 2147483647 bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, "train-images-idx3-ubyte"), c.img, 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "train-labels-idx1-ubyte"), c.labels, 0o644))
			model := filepath.Join(t.TempDir(), "m.pcgo")
			status, _, stderr := pcgo("train", "--data", dir, "--model", model, "--png", "")
			requireOneLineError(t, status, stderr, 1, c.msg)
			require.Equal(t, 1, strings.Count(stderr, "\n"), stderr)
			require.NoFileExists(t, model)
		})
	}
}

// TestInterruptsCatchSignals checks the signal handling on its own, quickly
// enough for the race detector in .ci/run: the first SIGINT cancels the
// context with the signal as its cause, a second one is only counted, and
// the process survives both.
func TestInterruptsCatchSignals(t *testing.T) {
	in := notifyInterrupts()
	defer in.stop()
	require.NoError(t, in.ctx.Err())
	in.raise()
	require.ErrorIs(t, in.ctx.Err(), context.Canceled)
	require.Equal(t, interrupted{os.Interrupt}, context.Cause(in.ctx))
	require.EqualError(t, context.Cause(in.ctx), "interrupted by interrupt")
	in.raise()
	require.Equal(t, int32(2), in.count.Load())
}
