package pc_test

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pcgo/pcgo/linalg"
	"github.com/pcgo/pcgo/pc"
)

var seedSizes = []int{784, 256, 64, 10}

// randomBatch returns b samples of uniform [0,1) data and one-hot targets.
func randomBatch(rng *rand.Rand, b, in, out int) (x, y linalg.Matrix) {
	x, y = linalg.New(b, in), linalg.New(b, out)
	for i := range x.Data {
		x.Data[i] = rng.Float32()
	}
	for i := 0; i < b; i++ {
		y.Set(i, rng.IntN(out), 1)
	}
	return x, y
}

func oneHots(n int) linalg.Matrix {
	y := linalg.New(n, n)
	for i := 0; i < n; i++ {
		y.Set(i, i, 1)
	}
	return y
}

func TestNewNetDeterministic(t *testing.T) {
	a, err := pc.NewNet(seedSizes, 0.001, 7)
	require.NoError(t, err)
	b, err := pc.NewNet(seedSizes, 0.001, 7)
	require.NoError(t, err)
	c, err := pc.NewNet(seedSizes, 0.001, 8)
	require.NoError(t, err)
	require.Equal(t, a.W, b.W)
	require.NotEqual(t, a.W[0].Data, c.W[0].Data)
	require.Equal(t, 784*256+256*64+64*10, a.Params())
	for i, w := range a.W {
		require.Equal(t, seedSizes[i], w.Rows)
		require.Equal(t, seedSizes[i+1], w.Cols)
	}
	// The sample standard deviation of 200 704 draws is within 1% of std.
	var ss float64
	for _, v := range a.W[0].Data {
		ss += float64(v) * float64(v)
	}
	std := ss / float64(len(a.W[0].Data))
	require.InEpsilon(t, 1e-6, std, 0.02)
}

func TestNewNetRejectsBadSizes(t *testing.T) {
	for _, sizes := range [][]int{nil, {784}, {784, 0, 10}, {784, -1, 10}, {pc.MaxLayerSize + 1, 10}} {
		_, err := pc.NewNet(sizes, 0.001, 1)
		require.Error(t, err, "%v", sizes)
	}
	_, err := pc.NewNet(seedSizes, -1, 1)
	require.Error(t, err)
}

func TestLearnFlopsOfTheSeedNet(t *testing.T) {
	net, err := pc.NewNet(seedSizes, 0.001, 1)
	require.NoError(t, err)
	require.Equal(t, 914.88e6, net.LearnFlops(50, 20))
}

// TestGenerateStartsAtItsFixedPoint checks the seed's property that
// Generate's relaxation changes nothing: its result is bit for bit the
// top-down pass (TGen = 0), every error is exactly zero, with every kernel
// set and on a trained network.
func TestGenerateStartsAtItsFixedPoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, set := range linalg.KernelSets() {
		net, err := pc.NewNet(seedSizes, 0.05, 3)
		require.NoError(t, err)
		ws, err := pc.NewWorkspace(net, 20, linalg.MustEngine(linalg.Options{Kernels: set}))
		require.NoError(t, err)
		x, y := randomBatch(rng, 20, 784, 10)
		require.NoError(t, ws.Learn(x, y))

		ws.Config.TGen = 0
		top, err := ws.Generate(oneHots(10))
		require.NoError(t, err)
		topDown := append([]float32(nil), top.Data[:10*784]...)

		ws.Config.TGen = 40
		r0, err := ws.Generate(oneHots(10))
		require.NoError(t, err)
		require.Equal(t, topDown, r0.Data[:10*784], set)
		for i := 0; i < net.Layers(); i++ {
			require.Zero(t, ws.Energy(i), "%s: layer %d error", set, i)
		}
		require.NotZero(t, topDown[100], "a trained net generates something")
	}
}

// TestLearnLowersTheEnergy trains on one fixed batch: the error of the data
// layer after relaxation must fall.
func TestLearnLowersTheEnergy(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	net, err := pc.NewNet([]int{64, 32, 16, 4}, 0.05, 1)
	require.NoError(t, err)
	ws, err := pc.NewWorkspace(net, 16, nil)
	require.NoError(t, err)
	x, y := randomBatch(rng, 16, 64, 4)
	require.NoError(t, ws.Learn(x, y))
	first := ws.Energy(0)
	for range 50 {
		require.NoError(t, ws.Learn(x, y))
	}
	require.Less(t, ws.Energy(0), first/2)
}

func TestPartialBatchesMatchFullOnes(t *testing.T) {
	// A batch of 7 in a workspace for 50 gives the same result as in a
	// workspace for exactly 7.
	rng := rand.New(rand.NewPCG(3, 3))
	x, y := randomBatch(rng, 7, 784, 10)
	nets := make([]*pc.Net, 2)
	for i, maxBatch := range []int{50, 7} {
		net, err := pc.NewNet(seedSizes, 0.01, 5)
		require.NoError(t, err)
		ws, err := pc.NewWorkspace(net, maxBatch, linalg.MustEngine(linalg.Options{Threads: 1}))
		require.NoError(t, err)
		require.NoError(t, ws.Learn(x, y))
		nets[i] = net
	}
	require.Equal(t, nets[0].W, nets[1].W)
}

func TestLearnAndGenerateAllocateNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, threads := range []int{1, 2} {
		for _, set := range linalg.KernelSets() {
			net, err := pc.NewNet(seedSizes, 0.001, 1)
			require.NoError(t, err)
			ws, err := pc.NewWorkspace(net, 50, linalg.MustEngine(linalg.Options{Kernels: set, Threads: threads}))
			require.NoError(t, err)
			ws.Config.T, ws.Config.TGen = 3, 3
			x, y := randomBatch(rng, 50, 784, 10)
			labels := oneHots(10)
			learn := testing.AllocsPerRun(5, func() { _ = ws.Learn(x, y) })
			gen := testing.AllocsPerRun(5, func() { _, _ = ws.Generate(labels) })
			require.Zero(t, learn, "Learn, %s, %d threads", set, threads)
			require.Zero(t, gen, "Generate, %s, %d threads", set, threads)
		}
	}
}

func TestShapeErrors(t *testing.T) {
	net, err := pc.NewNet(seedSizes, 0.001, 1)
	require.NoError(t, err)
	ws, err := pc.NewWorkspace(net, 10, nil)
	require.NoError(t, err)
	ok, okY := linalg.New(10, 784), linalg.New(10, 10)
	require.ErrorContains(t, ws.Learn(linalg.New(11, 784), linalg.New(11, 10)), "batch of 11 samples")
	require.ErrorContains(t, ws.Learn(linalg.New(10, 783), okY), "data has 783 columns")
	require.ErrorContains(t, ws.Learn(ok, linalg.New(10, 9)), "target has 9 columns")
	require.ErrorContains(t, ws.Learn(ok, linalg.New(9, 10)), "10 data rows but 9 target rows")
	_, err = ws.Generate(linalg.New(0, 10))
	require.ErrorContains(t, err, "batch of 0 samples")
	ws.Config.T = -1
	require.ErrorContains(t, ws.Learn(ok, okY), "step counts")
	_, err = pc.NewWorkspace(net, 0, nil)
	require.Error(t, err)
	_, err = pc.NewWorkspace(nil, 10, nil)
	require.Error(t, err)
}
