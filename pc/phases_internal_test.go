package pc

import (
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pcgo/pcgo/linalg"
)

// phaseTimes is where one Learn call's time went, as learnPhased measures
// it.
type phaseTimes struct {
	pack   time.Duration // packing every W_i, both forms
	start  time.Duration // clamping and the top-down start
	first  time.Duration // the first relaxation step (errors and updates)
	errs   time.Duration // the errors of the other steps, together
	relax  time.Duration // the hidden updates of the other steps, together
	update time.Duration // the last errors and the weight update
}

// learnPhased is Learn on a batch Learn would accept, with a timer around
// each phase. It calls the same steps as Learn, in the same order, for a
// workspace whose Config.Tol is negative (the default: every step runs);
// TestLearnPhasedIsLearn checks that the weights come out the same.
func (ws *Workspace) learnPhased(x, y linalg.Matrix, pt *phaseTimes) {
	t0 := time.Now()
	ws.packWeights()
	t1 := time.Now()
	r, f, e := ws.views(x.Rows)
	r[0] = x
	ws.clampTop(r, f, y, 1)
	t2 := time.Now()
	pt.pack += t1.Sub(t0)
	pt.start += t2.Sub(t1)
	for s := 0; s < ws.Config.T; s++ {
		a := time.Now()
		ws.errors(r, f, e)
		b := time.Now()
		ws.relaxStep(r, f, e, free{}, false)
		c := time.Now()
		if s == 0 {
			pt.first += c.Sub(a)
		} else {
			pt.errs += b.Sub(a)
			pt.relax += c.Sub(b)
		}
	}
	t3 := time.Now()
	ws.errors(r, f, e)
	ws.updateWeights(e, f)
	pt.update += time.Since(t3)
	ws.steps = ws.Config.T
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
// runs computes what Learn does, bit for bit, so its phases are Learn's.
func TestLearnPhasedIsLearn(t *testing.T) {
	net, x, y := phaseBatch(t)
	net2 := net.Clone()
	ws, err := NewWorkspace(net, 50, linalg.MustEngine(linalg.Options{}))
	require.NoError(t, err)
	ws2, err := NewWorkspace(net2, 50, linalg.MustEngine(linalg.Options{}))
	require.NoError(t, err)
	ws.Config.T, ws2.Config.T = 5, 5
	var pt phaseTimes
	for range 3 {
		require.NoError(t, ws.Learn(x, y))
		ws2.learnPhased(x, y, &pt)
	}
	for i := range net.W {
		require.Equal(t, net.W[i].Data, net2.W[i].Data, "W_%d", i)
		require.Equal(t, ws.Energy(i), ws2.Energy(i), "energy of layer %d", i)
	}
	require.Positive(t, pt.first)
	require.Positive(t, pt.errs)
	require.Positive(t, pt.relax)
}

// BenchmarkLearnPhases is BenchmarkLearn's call (batch 50, T = 20, default
// kernel set, threads as -cpu says) split into its phases, each reported as
// µs a call (the errors and the hidden updates as µs a step), to see which
// part a change or a slow round trip between the threads (rtt-ns) moves.
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
	}
	b.StopTimer()
	us := func(d time.Duration, per int) float64 {
		return float64(d.Nanoseconds()) / 1e3 / float64(b.N) / float64(per)
	}
	steps := ws.Config.T - 1
	b.ReportMetric(us(pt.pack, 1), "pack-µs")
	b.ReportMetric(us(pt.start, 1), "start-µs")
	b.ReportMetric(us(pt.first, 1), "step1-µs")
	b.ReportMetric(us(pt.errs, steps), "errors-µs/step")
	b.ReportMetric(us(pt.relax, steps), "relax-µs/step")
	b.ReportMetric(us(pt.update, 1), "update-µs")
	if runtime.GOMAXPROCS(0) > 1 {
		if rt, err := linalg.MeasureRoundTrip(20 * time.Millisecond); err == nil {
			b.ReportMetric(float64(rt.Nanoseconds()), "rtt-ns")
		}
	}
}
