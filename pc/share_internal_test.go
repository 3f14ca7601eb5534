package pc

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pcgo/pcgo/linalg"
)

// TestHandOversKeepTheBits: when one thread of a relaxation split by rows
// is slow (a test hook sleeps after each of its steps), the other hands
// itself half of its rows, and Learn and Generate still give, bit for bit,
// the weights, images and energies of the same calls without hand-overs,
// and the weights and images of one thread. Either thread may be the slow
// one: the caller's part 0 or a worker's part 1.
func TestHandOversKeepTheBits(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("needs two processors for the threads to run at once")
	}
	type result struct {
		w      []linalg.Matrix
		img    []float32
		energy []float64
		hands  int
	}
	run := func(threads, slow int) result {
		net, x, y := phaseBatch(t)
		ws, err := NewWorkspace(net, 50, linalg.MustEngine(linalg.Options{Threads: threads}))
		require.NoError(t, err)
		ws.Config.T = 8
		if slow >= 0 {
			ws.stepHook = func(p int) {
				if p == slow {
					time.Sleep(500 * time.Microsecond)
				}
			}
		}
		var res result
		for range 3 {
			require.NoError(t, ws.Learn(x, y))
			res.hands += int(ws.handOvers.Load())
		}
		for i := range net.W {
			res.energy = append(res.energy, ws.Energy(i))
		}
		img, err := ws.Generate(y.View(0, 0, 10, 10))
		require.NoError(t, err)
		res.hands += int(ws.handOvers.Load())
		res.w, res.img = net.W, append([]float32(nil), img.Data...)
		return res
	}
	one := run(1, -1)
	two := run(2, -1)
	for _, slow := range []int{0, 1} {
		// On a busy machine the two threads may not run at once (the caller
		// runs a part whose worker has not started): try again until rows
		// were handed over.
		hands := 0
		for try := 0; try < 20 && hands == 0; try++ {
			got := run(2, slow)
			hands = got.hands
			for i := range got.w {
				require.Equal(t, one.w[i].Data, got.w[i].Data, "part %d slow: W%d", slow, i)
			}
			require.Equal(t, one.img, got.img, "part %d slow", slow)
			require.Equal(t, two.energy, got.energy, "part %d slow", slow)
			for i := range got.energy {
				require.InEpsilon(t, one.energy[i], got.energy[i], 1e-5)
			}
		}
		require.Positive(t, hands, "part %d slow: no rows were handed over in 20 tries", slow)
	}
}

// TestHandOversOnOneProcessor: with GOMAXPROCS 1 a thread that runs out of
// rows does not wait for another (which could not run meanwhile), and the
// results are those of two processors.
func TestHandOversOnOneProcessor(t *testing.T) {
	net, x, y := phaseBatch(t)
	net2 := net.Clone()
	ws, err := NewWorkspace(net, 50, linalg.MustEngine(linalg.Options{Threads: 2}))
	require.NoError(t, err)
	ws2, err := NewWorkspace(net2, 50, linalg.MustEngine(linalg.Options{Threads: 2}))
	require.NoError(t, err)
	ws.Config.T, ws2.Config.T = 4, 4
	require.NoError(t, ws.Learn(x, y))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	require.NoError(t, ws2.Learn(x, y))
	require.Zero(t, ws2.handOvers.Load())
	for i := range net.W {
		require.Equal(t, net.W[i].Data, net2.W[i].Data, "W%d", i)
		require.Equal(t, ws.Energy(i), ws2.Energy(i))
	}
}
