package pc_test

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pcgo/pcgo/linalg"
	"github.com/pcgo/pcgo/mnist"
	"github.com/pcgo/pcgo/pc"
)

// cosine returns the cosine similarity of a and b.
func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}

// recognisable counts the generated digits (row d is digit d) that are more
// similar, by cosine, to the mean training image of their own class than to
// the mean of any other class.
func recognisable(images linalg.Matrix, means [][]float32) int {
	n := 0
	for d := 0; d < images.Rows; d++ {
		best, bestSim := -1, math.Inf(-1)
		for c, m := range means {
			if s := cosine(images.Row(d), m); s > bestSim {
				best, bestSim = c, s
			}
		}
		if best == d {
			n++
		}
	}
	return n
}

// trainAndGenerate trains the seed's net (default hyper-parameters) for one
// epoch on the first n training images and generates the ten digits.
func trainAndGenerate(t *testing.T, train *mnist.Set, n int, kernels string) (linalg.Matrix, float64) {
	t.Helper()
	net, err := pc.NewNet(seedSizes, 0.001, 1)
	require.NoError(t, err)
	ws, err := pc.NewWorkspace(net, 50, linalg.MustEngine(linalg.Options{Kernels: kernels}))
	require.NoError(t, err)
	tr, err := pc.NewTrainer(ws, train.Slice(n), 1, 1)
	require.NoError(t, err)
	var last pc.Step
	require.NoError(t, tr.Run(context.Background(), func(s pc.Step) { last = s }))
	gen, err := pc.NewWorkspace(net, 10, ws.Engine())
	require.NoError(t, err)
	images, err := gen.Generate(oneHots(10))
	require.NoError(t, err)
	return images, last.Energy
}

// TestGeneratedDigitsAreRecognisable is the honest quality test: one epoch
// on the first 10 000 MNIST images, then at least 9 of the 10 generated
// digits must be nearest to their own class's mean training image.
func TestGeneratedDigitsAreRecognisable(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for one epoch on 10 000 images")
	}
	train, err := mnist.LoadSet("", "train")
	require.NoError(t, err)
	means, err := train.ClassMeans(10)
	require.NoError(t, err)
	images, _ := trainAndGenerate(t, train, 10000, "")
	got := recognisable(images, means)
	t.Logf("%d of 10 generated digits are nearest to their own class mean", got)
	require.GreaterOrEqual(t, got, 9)
}

// TestKernelSetsTrainAlike trains one epoch on the first 5 000 images with
// every kernel set: the final energies agree within 1e-3 (relative; FMA
// rounding is the only difference) and every set's digits pass the quality
// bar.
func TestKernelSetsTrainAlike(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for one epoch on 5 000 images per kernel set")
	}
	sets := linalg.KernelSets()
	if len(sets) < 2 {
		t.Skip("only one kernel set runs here")
	}
	train, err := mnist.LoadSet("", "train")
	require.NoError(t, err)
	means, err := train.ClassMeans(10)
	require.NoError(t, err)
	energies := map[string]float64{}
	for _, set := range sets {
		images, energy := trainAndGenerate(t, train, 5000, set)
		energies[set] = energy
		got := recognisable(images, means)
		t.Logf("%s: final energy %.6f, %d of 10 digits recognisable", set, energy, got)
		require.GreaterOrEqual(t, got, 9, set)
	}
	require.InEpsilon(t, energies[sets[0]], energies[sets[1]], 1e-3)
}
