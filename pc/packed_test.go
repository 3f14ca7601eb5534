package pc_test

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pcgo/pcgo/linalg"
	"github.com/pcgo/pcgo/pc"
)

// Every call packs the weights as they are when it starts: a workspace that
// has run before, and whose net's weights then changed (by its own Learn or
// by the caller), computes what a fresh workspace computes. On two threads
// the batch of 12 splits by rows, each thread packing its own copy.
func TestCallsSeeChangedWeights(t *testing.T) {
	sizes := []int{20, 12, 8, 4}
	rng := rand.New(rand.NewPCG(5, 6))
	const batch = 12
	x, y := randomBatch(rng, batch, 20, 4)
	known := linalg.New(1, 20)
	for j := 0; j < 10; j++ {
		known.Set(0, j, 1)
	}
	type call func(ws *pc.Workspace) []float32
	copyOut := func(m linalg.Matrix, err error) []float32 {
		require.NoError(t, err)
		var out []float32
		for i := 0; i < m.Rows; i++ {
			out = append(out, m.Row(i)...)
		}
		return out
	}
	calls := map[string]call{
		"Learn": func(ws *pc.Workspace) []float32 {
			require.NoError(t, ws.Learn(x, y))
			return append([]float32(nil), ws.Net().W[0].Data...)
		},
		"Generate":       func(ws *pc.Workspace) []float32 { return copyOut(ws.Generate(y)) },
		"Classify":       func(ws *pc.Workspace) []float32 { return copyOut(ws.Classify(x)) },
		"ClassifyEnergy": func(ws *pc.Workspace) []float32 { return copyOut(ws.ClassifyEnergy(x)) },
		"Complete":       func(ws *pc.Workspace) []float32 { return copyOut(ws.Complete(x, known, y)) },
	}
	for name, c := range calls {
		for _, threads := range []int{1, 2} {
			eng := linalg.MustEngine(linalg.Options{Threads: threads})
			used, err := pc.NewNet(sizes, 0.3, 7)
			require.NoError(t, err)
			ws, err := pc.NewWorkspace(used, batch, eng)
			require.NoError(t, err)
			ws.Config.T, ws.Config.TGen = 5, 5
			c(ws)
			require.NoError(t, ws.Learn(x, y)) // changes the weights
			_, err = ws.Generate(y)            // packs the new ones
			require.NoError(t, err)
			for _, w := range used.W { // then the caller changes them
				w.Data[0] += 0.25
			}

			fresh, err := pc.NewNet(sizes, 0.3, 7)
			require.NoError(t, err)
			for i, w := range used.W {
				copy(fresh.W[i].Data, w.Data)
			}
			ws2, err := pc.NewWorkspace(fresh, batch, eng)
			require.NoError(t, err)
			ws2.Config = ws.Config
			require.Equal(t, c(ws2), c(ws), "%s, %d threads", name, threads)
		}
	}
}

// Learn and Generate give the same weights and pictures, bit for bit, on
// any number of threads (the whole batch's GEMMs split by whole micro-tiles,
// a relaxation split by rows computing each row in a tile of its kind),
// for batches of every kind of last tile; only the energies' last bits may
// differ, summed on one thread in the GEMMs' epilogues and on more row by
// row (TestHandOversKeepTheBits holds them fixed for a thread count).
func TestResultsDoNotDependOnThreads(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var batches [][2]linalg.Matrix
	for _, b := range []int{50, 13, 25, 49, 50, 10} {
		x, y := randomBatch(rng, b, 784, 10)
		batches = append(batches, [2]linalg.Matrix{x, y})
	}
	for _, set := range linalg.KernelSets() {
		var firstW []linalg.Matrix
		var firstImg []float32
		var firstEnergy float64
		for _, threads := range []int{1, 2, 3} {
			net, err := pc.NewNet(seedSizes, 0.01, 3)
			require.NoError(t, err)
			ws, err := pc.NewWorkspace(net, 50, linalg.MustEngine(linalg.Options{Kernels: set, Threads: threads}))
			require.NoError(t, err)
			ws.Config.T = 5
			for _, b := range batches {
				require.NoError(t, ws.Learn(b[0], b[1]))
			}
			energy := ws.TotalEnergy()
			img, err := ws.Generate(oneHots(10))
			require.NoError(t, err)
			if firstW == nil {
				firstW, firstImg, firstEnergy = net.W, append([]float32(nil), img.Data[:10*784]...), energy
				continue
			}
			for i := range net.W {
				require.Equal(t, firstW[i].Data, net.W[i].Data, "%s, %d threads, W%d", set, threads, i)
			}
			require.Equal(t, firstImg, img.Data[:10*784], "%s, %d threads", set, threads)
			require.InEpsilon(t, firstEnergy, energy, 1e-5)
		}
	}
}
