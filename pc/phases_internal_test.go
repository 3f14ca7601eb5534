package pc

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pcgo/pcgo/linalg"
)

// phaseTimes is where Learn calls' time went, as learnPhased measures it.
type phaseTimes struct {
	pack   time.Duration // packing every W_i, both forms
	relax  time.Duration // clamping, the top-down start, T steps, the last errors
	update time.Duration // the weight update
	// With the relaxation split by rows: the slowest and the fastest part's
	// own time, each call's, added up, and the task that times them.
	slowest, fastest time.Duration
	parts            timedParts
	hands            int // hand-overs of rows between the threads (share.go)
}

// timedParts runs a relaxation split by rows (rowParts) and times each
// part on its own thread.
type timedParts struct {
	ws      *Workspace
	pack, d []time.Duration // each part's packing, and the rest of its part
}

func (tp *timedParts) RunPart(p int, sub *linalg.Engine) {
	t0 := time.Now()
	tp.ws.packPart(p, sub)
	t1 := time.Now()
	tp.ws.relaxPart(p)
	tp.pack[p], tp.d[p] = t1.Sub(t0), time.Since(t1)
}

// learnPhased is Learn on a batch Learn would accept, with a timer around
// each phase: it calls the same steps as Learn, in the same order, for a
// workspace whose Config.Tol is negative (the default: every step runs);
// TestLearnPhasedIsLearn checks that the weights and energies come out the
// same.
func (ws *Workspace) learnPhased(x, y linalg.Matrix, pt *phaseTimes) {
	t0 := time.Now()
	r, f, e := ws.views(x.Rows)
	var pack time.Duration
	if parts := ws.splitRows(x.Rows); parts > 1 {
		r[0] = x
		tp := &pt.parts
		tp.ws = ws
		if len(tp.d) < parts { // the first call: one time a part
			tp.pack, tp.d = make([]time.Duration, parts), make([]time.Duration, parts)
		}
		ws.relaxRowsWith(tp, r, y, parts, ws.learnJob())
		// Each part packs its own copy of the weights first: the slowest
		// packing is the phase's time.
		pack = slices.Max(tp.pack[:parts])
		pt.slowest += slices.Max(tp.d[:parts])
		pt.fastest += slices.Min(tp.d[:parts])
	} else {
		ws.packWeights()
		pack = time.Since(t0)
		ws.settle(r, f, e, x, y)
		ws.errors(r, f, e)
	}
	t2 := time.Now()
	ws.updateWeights(e, f)
	pt.pack += pack
	pt.relax += t2.Sub(t0) - pack
	pt.update += time.Since(t2)
}

// phaseBatch returns the seed's network and a batch of 50 random images
// with one-hot labels.
func phaseBatch(t testing.TB) (*Net, linalg.Matrix, linalg.Matrix) {
	net, err := NewNet([]int{784, 256, 64, 10}, 0.001, 1)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	x, y := linalg.New(50, 784), linalg.New(50, 10)
	for i := range x.Data {
		x.Data[i] = rng.Float32()
	}
	for i := 0; i < 50; i++ {
		y.Set(i, rng.IntN(10), 1)
	}
	return net, x, y
}

// TestLearnPhasedIsLearn: the timed copy of Learn that BenchmarkLearnPhases
// runs computes what Learn does, bit for bit, on one thread and on two, so
// its phases are Learn's.
func TestLearnPhasedIsLearn(t *testing.T) {
	for _, threads := range []int{1, 2} {
		net, x, y := phaseBatch(t)
		net2 := net.Clone()
		ws, err := NewWorkspace(net, 50, linalg.MustEngine(linalg.Options{Threads: threads}))
		require.NoError(t, err)
		ws2, err := NewWorkspace(net2, 50, linalg.MustEngine(linalg.Options{Threads: threads}))
		require.NoError(t, err)
		ws.Config.T, ws2.Config.T = 5, 5
		var pt phaseTimes
		for range 3 {
			require.NoError(t, ws.Learn(x, y))
			ws2.learnPhased(x, y, &pt)
		}
		for i := range net.W {
			require.Equal(t, net.W[i].Data, net2.W[i].Data, "W_%d, %d threads", i, threads)
			require.Equal(t, ws.Energy(i), ws2.Energy(i), "energy of layer %d, %d threads", i, threads)
		}
		require.Equal(t, ws.Steps(), ws2.Steps())
		require.Positive(t, pt.relax)
		require.Positive(t, pt.update)
		require.Equal(t, threads > 1, pt.slowest > 0, "%d threads", threads)
	}
}

// BenchmarkLearnPhases is BenchmarkLearn's call (batch 50, T = 20, default
// kernel set, threads as -cpu says) with its phases timed, each reported as
// µs a call: pack-µs, relax-µs (everything between the packing and the
// weight update) and update-µs; on more threads, where every thread relaxes
// its own rows, also the slowest and the fastest thread's own part
// (slowest-µs, fastest-µs, each counting the rows it was handed: relax-µs
// less slowest-µs is what handing the parts over and back costs), how often
// a thread handed rows to another (hands/op) and the round trip of a cache
// line between two threads (rtt-ns).
func BenchmarkLearnPhases(b *testing.B) {
	net, x, y := phaseBatch(b)
	ws, err := NewWorkspace(net, 50, linalg.MustEngine(linalg.Options{}))
	require.NoError(b, err)
	require.NoError(b, ws.Learn(x, y)) // first use: workers, buffers
	var pt phaseTimes
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		ws.learnPhased(x, y, &pt)
		pt.hands += int(ws.handOvers.Load())
	}
	b.StopTimer()
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 / float64(b.N) }
	b.ReportMetric(us(pt.pack), "pack-µs")
	b.ReportMetric(us(pt.relax), "relax-µs")
	b.ReportMetric(us(pt.update), "update-µs")
	if pt.slowest > 0 {
		b.ReportMetric(us(pt.slowest), "slowest-µs")
		b.ReportMetric(us(pt.fastest), "fastest-µs")
		b.ReportMetric(float64(pt.hands)/float64(b.N), "hands/op")
	}
	if runtime.GOMAXPROCS(0) > 1 {
		if rt, err := linalg.MeasureRoundTrip(20 * time.Millisecond); err == nil {
			b.ReportMetric(float64(rt.Nanoseconds()), "rtt-ns")
		}
	}
}
