package main

import (
	"bytes"
	"encoding/csv"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// pcgo runs one command line in-process and returns its exit status and
// what it printed.
func pcgo(args ...string) (status int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	status = run(args, &out, &errOut)
	return status, out.String(), errOut.String()
}

func TestTrainThenGenerate(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on 500 MNIST images")
	}
	dir := t.TempDir()
	model := filepath.Join(dir, "m.pcgo")
	digits := filepath.Join(dir, "d.png")
	status, out, errOut := pcgo("train", "--limit", "500", "--epochs", "1", "--quiet",
		"--model", model, "--png", digits)
	require.Zero(t, status, errOut)
	require.Contains(t, out, "trained 1 epochs × 500 images")
	require.Contains(t, out, "GFLOP/s")

	img := decodePNG(t, digits)
	require.Equal(t, 5*28*4, img.Bounds().Dx())
	require.Equal(t, 2*28*4, img.Bounds().Dy())

	csvPath := filepath.Join(dir, "d.csv")
	png2 := filepath.Join(dir, "d2.png")
	status, _, errOut = pcgo("generate", "--model", model, "--csv", csvPath, "--png", png2)
	require.Zero(t, status, errOut)
	f, err := os.Open(csvPath)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 10)
	for _, r := range rows {
		require.Len(t, r, 784)
	}
	// Generating from the saved model reproduces train's picture exactly.
	a, err := os.ReadFile(digits)
	require.NoError(t, err)
	b, err := os.ReadFile(png2)
	require.NoError(t, err)
	require.Equal(t, a, b)
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	return img
}

// TestBadCommandLines checks that every bad flag, value or file is one line
// on standard error and a non-zero status, never a panic.
func TestBadCommandLines(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.pcgo")
	require.NoError(t, os.WriteFile(junk, []byte("not a model"), 0o644))
	for _, c := range []struct {
		args   []string
		status int
		msg    string
	}{
		{nil, 2, ""},
		{[]string{"fly"}, 2, `unknown command "fly"`},
		{[]string{"train", "--bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"train", "--epochs", "x"}, 2, `invalid value "x" for flag -epochs`},
		{[]string{"train", "--batch", "0"}, 2, "--batch must be 1 to 65536"},
		{[]string{"train", "--arch", "784,abc,10"}, 2, "is not a list of layer sizes"},
		{[]string{"train", "--arch", "784"}, 2, "2 to 64 layer sizes"},
		{[]string{"train", "--arch", "700,10"}, 2, "--arch starts with 700 but the images have 784 pixels"},
		{[]string{"train", "--lr", "NaN"}, 2, "--lr must be"},
		{[]string{"train", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"train", "--data", dir, "--model", filepath.Join(dir, "m.pcgo"), "--png", filepath.Join(dir, "d.png")}, 1, "MNIST files not found"},
		{[]string{"generate", "--model", junk, "--png", filepath.Join(dir, "x.png")}, 1, "not a pcgo model file"},
		{[]string{"generate", "--model", filepath.Join(dir, "none.pcgo"), "--png", "x.png"}, 1, "none.pcgo"},
		{[]string{"generate", "--model", junk}, 2, "nothing to write"},
		{[]string{"train", "--mode", "adversarial"}, 2, `unknown mode "adversarial" (known: generative, discriminative)`},
		{[]string{"train", "--act", "swish"}, 2, `unknown activation "swish" (known: relu, tanh, sigmoid, linear)`},
		{[]string{"train", "--tol", "NaN"}, 2, "--tol must be a number"},
		{[]string{"train", "--mode", "discriminative", "--png", "d.png"}, 2, "--png draws generated digits: it needs --mode generative"},
		{[]string{"train", "--mode", "discriminative", "--png-every-epoch", "d.png"}, 2, "--png-every-epoch draws generated digits"},
		{[]string{"train", "--plot", dir}, 1, "cannot write --plot"},
		{[]string{"eval", "--method", "vote"}, 2, `--method must be energy or free, not "vote"`},
		{[]string{"eval", "--T", "-2"}, 2, "--T must be 0 to 1048576"},
		{[]string{"eval", "--batch", "0"}, 2, "--batch must be 1 to 65536"},
		{[]string{"eval", "--model", junk}, 1, "not a pcgo model file"},
		{[]string{"eval", "--model", junk, "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"complete", "--known", "middle"}, 2, `--known must be top, bottom, left or right, not "middle"`},
		{[]string{"complete", "--n", "0"}, 2, "--n must be 1 to 10000"},
		{[]string{"complete", "--model", junk}, 1, "not a pcgo model file"},
	} {
		status, _, errOut := pcgo(c.args...)
		require.Equal(t, c.status, status, "%v: %s", c.args, errOut)
		if c.msg != "" {
			require.Contains(t, errOut, c.msg, "%v", c.args)
			require.Equal(t, 1, strings.Count(errOut, "\n"), "%v: one line, got %q", c.args, errOut)
		}
	}
}

func TestHelp(t *testing.T) {
	status, out, _ := pcgo("train", "-h")
	require.Zero(t, status)
	require.Contains(t, out, "-epochs")
	status, out, _ = pcgo("help")
	require.Zero(t, status)
	require.Contains(t, out, "generate")
}

func TestInfo(t *testing.T) {
	status, out, errOut := pcgo("info")
	require.Zero(t, status, errOut)
	require.Contains(t, out, "kernels:")
	require.Contains(t, out, "GOMAXPROCS")
}
