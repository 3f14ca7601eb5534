package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pcgo/pcgo/pc"
)

// TestResumePrecision0 interrupts a discriminative run trained with a
// --precision0 other than the mode's default (0.1), resumes it without the
// flag, and requires the final model file to equal an uninterrupted run's
// byte for byte: the checkpoint carries π₀ (model file version 2).
func TestResumePrecision0(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST")
	}
	args := func(model string) []string {
		return trainArgs(model, "--mode", "discriminative", "--precision0", "0.2")
	}
	want := filepath.Join(t.TempDir(), "want.pcgo")
	status, _, stderr := pcgo(args(want)...)
	requireOK(t, status, stderr)
	require.Equal(t, float32(0.2), loadModel(t, want).Config.Precision0)

	model := filepath.Join(t.TempDir(), "run.pcgo")
	t.Setenv(interruptAfterEnv, "13")
	status, _, stderr = pcgo(args(model)...)
	requireOK(t, status, stderr)
	require.Contains(t, stderr, "interrupted at epoch 1, batch 13 of 20: checkpoint saved to "+model)
	ck := loadModel(t, model)
	require.NotNil(t, ck.Progress)
	require.Equal(t, float32(0.2), ck.Config.Precision0)
	require.Equal(t, pc.Discriminative, ck.Net.Mode)

	t.Setenv(interruptAfterEnv, "")
	status, _, stderr = pcgo("train", "--resume", model, "--quiet")
	requireOK(t, status, stderr)
	require.Equal(t, readFile(t, want), readFile(t, model), "resumed run differs from the uninterrupted one")
}

// TestResumePrecision0Conflicts: a --precision0 that contradicts the file
// resumed is a one-line usage error, even the mode's default; the file's own
// value is accepted. A file with π₀ 0 (a version-1 file, which did not store
// it) was trained with π₀ = 1.
func TestResumePrecision0Conflicts(t *testing.T) {
	dir := t.TempDir()
	save := func(name string, mode pc.Mode, pi0 float32) string {
		net, err := pc.NewNet([]int{10, 64, 256, 784}, 0.01, 1)
		require.NoError(t, err)
		net.Mode = mode
		cfg := pc.DefaultConfig()
		cfg.Precision0 = pi0
		path := filepath.Join(dir, name)
		require.NoError(t, pc.SaveModel(path, &pc.Model{Net: net, Config: cfg, Activation: "relu", Mode: mode.String(),
			Std: 0.01, Seed: 1, Batch: 50, Epochs: 5,
			Progress: &pc.Progress{Epoch: 2, Batch: 7, Limit: 1000, Threads: 2, Kernels: "generic"}}))
		return path
	}
	disc := save("disc.pcgo", pc.Discriminative, 0.2)
	zero := save("zero.pcgo", pc.Discriminative, 0)
	for _, c := range []struct {
		file, value, msg string
	}{
		{disc, "0.1", "--precision0 0.1 conflicts with " + disc + ", which was trained with --precision0 0.2; a resumed run keeps its settings (leave --precision0 out)"},
		{disc, "1", "--precision0 1 conflicts with " + disc + ", which was trained with --precision0 0.2"},
		{zero, "0.1", "--precision0 0.1 conflicts with " + zero + ", which was trained with --precision0 1"},
	} {
		status, _, stderr := pcgo("train", "--resume", c.file, "--precision0", c.value)
		requireOneLineError(t, status, stderr, 2, c.msg)
	}
	// Agreeing values pass the checks and reach the data: an empty --data
	// folder is the next error.
	for _, c := range []struct{ file, value string }{{disc, "0.2"}, {zero, "1"}} {
		status, _, stderr := pcgo("train", "--resume", c.file, "--precision0", c.value, "--mode", "discriminative",
			"--data", t.TempDir(), "--model", filepath.Join(t.TempDir(), "m.pcgo"))
		requireOneLineError(t, status, stderr, 1, "MNIST files not found")
	}
}
