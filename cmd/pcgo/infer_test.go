package main

import (
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// writeIDX writes an IDX file of unsigned bytes with the given dimensions.
func writeIDX(t *testing.T, path string, dims []int, payload []byte) {
	t.Helper()
	b := binary.BigEndian.AppendUint32(nil, uint32(0x0800|len(dims)))
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	require.NoError(t, os.WriteFile(path, append(b, payload...), 0o644))
}

// toyIDX writes a small data set in the files Fashion-MNIST and MNIST use
// (train- and t10k-, images and labels, raw IDX), of side×side images in
// classes classes: class c lights the pixels p with p % classes == c, plus
// noise. It returns the folder.
func toyIDX(t *testing.T, side, classes, nTrain, nTest int) string {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, set := range []struct {
		prefix string
		n      int
	}{{"train", nTrain}, {"t10k", nTest}} {
		pix := make([]byte, set.n*side*side)
		labels := make([]byte, set.n)
		for i := range labels {
			c := rng.IntN(classes)
			labels[i] = byte(c)
			for p := range side * side {
				v := rng.IntN(40)
				if p%classes == c {
					v += 180
				}
				pix[i*side*side+p] = byte(v)
			}
		}
		writeIDX(t, filepath.Join(dir, set.prefix+"-images-idx3-ubyte"), []int{set.n, side, side}, pix)
		writeIDX(t, filepath.Join(dir, set.prefix+"-labels-idx1-ubyte"), []int{set.n}, labels)
	}
	return dir
}

var accuracyLine = regexp.MustCompile(`accuracy: ([0-9.]+)%`)

// accuracy returns the percentage pcgo eval printed.
func accuracy(t *testing.T, out string) float64 {
	t.Helper()
	m := accuracyLine.FindStringSubmatch(out)
	require.NotNil(t, m, out)
	v, err := strconv.ParseFloat(m[1], 64)
	require.NoError(t, err)
	return v
}

// TestInferenceCommands runs train, eval, complete and generate on a small
// IDX data set written here, as --data DIR takes Fashion-MNIST's files: a
// generative and a discriminative model, every picture.
func TestInferenceCommands(t *testing.T) {
	data := toyIDX(t, 4, 4, 400, 100)
	dir := t.TempDir()
	gen := filepath.Join(dir, "gen.pcgo")
	plot := filepath.Join(dir, "energy.png")
	epochs := filepath.Join(dir, "epochs.png")
	status, out, errOut := pcgo("train", "--data", data, "--arch", "16,12,4", "--std", "0.1", "--epochs", "10", "--batch", "10", "--quiet",
		"--model", gen, "--png", "", "--plot", plot, "--png-every-epoch", epochs, "--tol", "0.001")
	require.Zero(t, status, errOut)
	require.Contains(t, out, "relaxation steps per batch:")
	require.Contains(t, out, "wrote the energy plot to "+plot)
	require.Greater(t, decodePNG(t, plot).Bounds().Dx(), 100)
	img := decodePNG(t, epochs)
	require.Equal(t, 4*4*upscale, img.Bounds().Dx(), "a column per class")
	require.Equal(t, 10*4*upscale, img.Bounds().Dy(), "a row per epoch")

	conf := filepath.Join(dir, "confusion.png")
	status, out, errOut = pcgo("eval", "--data", data, "--model", gen, "--png", conf)
	require.Zero(t, status, errOut)
	require.Contains(t, errOut, "method energy, T=20")
	require.GreaterOrEqual(t, accuracy(t, out), 90.0, out)
	require.Contains(t, out, "confusion matrix (rows: true label, columns: predicted label):")
	require.Greater(t, decodePNG(t, conf).Bounds().Dx(), 100)

	status, out, errOut = pcgo("eval", "--data", data, "--model", gen, "--method", "free", "--T", "300", "--tol", "0")
	require.Zero(t, status, errOut)
	require.Contains(t, errOut, "method free, T=300")
	require.Contains(t, out, "relaxation steps per batch:")
	require.GreaterOrEqual(t, accuracy(t, out), 90.0, out)

	comp := filepath.Join(dir, "complete.png")
	status, out, errOut = pcgo("complete", "--data", data, "--model", gen, "--png", comp, "--known", "left", "--n", "8")
	require.Zero(t, status, errOut)
	require.Regexp(t, `completed the right halves of 8 test images .*: mean squared error [0-9.]+ after 40 steps \([0-9.]+ at the top-down start\)`, out)
	img = decodePNG(t, comp)
	require.Equal(t, 3*5*4*upscale+2*panelGap, img.Bounds().Dx(), "three panels of 5 digits")
	require.Equal(t, 2*4*upscale, img.Bounds().Dy())

	disc := filepath.Join(dir, "disc.pcgo")
	status, out, errOut = pcgo("train", "--data", data, "--mode", "discriminative", "--arch", "4,12,16", "--act", "tanh",
		"--epochs", "4", "--batch", "10", "--quiet", "--model", disc)
	require.Zero(t, status, errOut)
	require.NotContains(t, out, "digits")
	status, out, errOut = pcgo("eval", "--data", data, "--model", disc)
	require.Zero(t, status, errOut)
	require.Contains(t, errOut, "(discriminative, tanh, [4 12 16])")
	require.GreaterOrEqual(t, accuracy(t, out), 90.0, out)

	// Resuming a discriminative model takes its mode, activation and
	// --precision0 from the file: the weights of an uninterrupted run.
	short := filepath.Join(dir, "short.pcgo")
	status, _, errOut = pcgo("train", "--data", data, "--mode", "discriminative", "--arch", "4,12,16", "--act", "tanh",
		"--epochs", "3", "--batch", "10", "--quiet", "--model", short)
	require.Zero(t, status, errOut)
	status, _, errOut = pcgo("train", "--data", data, "--resume", short, "--epochs", "4", "--quiet")
	require.Zero(t, status, errOut)
	a, err := os.ReadFile(short)
	require.NoError(t, err)
	b, err := os.ReadFile(disc)
	require.NoError(t, err)
	require.Equal(t, b, a, "resumed and uninterrupted runs")

	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"generate", "--model", disc, "--png", filepath.Join(dir, "x.png")}, "is a discriminative model; generating images needs a generative one"},
		{[]string{"complete", "--data", data, "--model", disc}, "completion needs a generative one"},
		{[]string{"eval", "--data", data, "--model", disc, "--method", "free"}, "--method is for generative models"},
		{[]string{"eval", "--model", gen}, "the model's image layer has 16 units but the images have 784 pixels"},
		{[]string{"train", "--data", data, "--mode", "discriminative", "--quiet"}, "--arch ends with 784 but the images have 16 pixels"},
		{[]string{"train", "--data", data, "--mode", "discriminative", "--arch", "3,12,16", "--quiet"}, "the label layer (the first of --arch) has 3 units"},
		{[]string{"train", "--resume", gen, "--mode", "discriminative", "--epochs", "5"}, "--mode discriminative conflicts with"},
	} {
		status, _, errOut := pcgo(c.args...)
		require.NotZero(t, status, "%v", c.args)
		require.Contains(t, errOut, c.msg, "%v", c.args)
		require.Equal(t, 1, countLines(errOut), "%v: %q", c.args, errOut)
	}
}

func countLines(s string) int {
	n := 0
	for _, c := range s {
		if c == '\n' {
			n++
		}
	}
	return n
}
