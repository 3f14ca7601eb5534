package pc_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pcgo/pcgo/linalg"
	"github.com/pcgo/pcgo/pc"
)

// TestTolZeroStopsAtTheFixedPoint: Generate starts at its fixed point, so
// with Tol = 0 it stops after one step, with exactly the bytes of the full
// loop, with every kernel set.
func TestTolZeroStopsAtTheFixedPoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	for _, set := range linalg.KernelSets() {
		net, err := pc.NewNet(seedSizes, 0.05, 3)
		require.NoError(t, err)
		ws, err := pc.NewWorkspace(net, 20, linalg.MustEngine(linalg.Options{Kernels: set}))
		require.NoError(t, err)
		x, y := randomBatch(rng, 20, 784, 10)
		require.NoError(t, ws.Learn(x, y))
		require.Equal(t, 20, ws.Steps(), "Learn runs T steps without Tol")

		ws.Config.TGen, ws.Config.Tol = 40, -1
		full, err := ws.Generate(oneHots(10))
		require.NoError(t, err)
		require.Equal(t, 40, ws.Steps())
		want := append([]float32(nil), full.Data[:10*784]...)

		ws.Config.Tol = 0
		got, err := ws.Generate(oneHots(10))
		require.NoError(t, err)
		require.Equal(t, 1, ws.Steps(), set)
		require.Equal(t, want, got.Data[:10*784], set)
		for i := range net.Layers() {
			require.Zero(t, ws.Energy(i))
		}
	}
}

// TestTolZeroChangesNoResult: Learn with Tol = 0 gives the weights of the
// full loop bit for bit (it stops only where nothing moves any more).
func TestTolZeroChangesNoResult(t *testing.T) {
	data := newToyData(64, 20, 4, 3)
	var nets []*pc.Net
	for _, tol := range []float32{-1, 0} {
		tr, ws := newToyTrainerWS(t, data, 2)
		ws.Config.Tol = tol
		require.NoError(t, tr.Run(context.Background(), nil))
		nets = append(nets, ws.Net())
	}
	require.Equal(t, nets[0].W, nets[1].W)
}

// TestTolStopsEarly: on a trained toy net, Learn's relaxation converges,
// and a larger tolerance stops it sooner.
func TestTolStopsEarly(t *testing.T) {
	data := newToyData(64, 20, 4, 4)
	tr, ws := newToyTrainerWS(t, data, 5)
	require.NoError(t, tr.Run(context.Background(), nil))
	x, y := linalg.New(8, 20), linalg.New(8, 4)
	idx := []int{0, 1, 2, 3, 4, 5, 6, 7}
	data.Batch(x.Data, idx)
	require.NoError(t, data.OneHot(y.Data, idx, 4))

	ws.Config.T, ws.Config.LR = 500, 0 // LR 0: every call relaxes the same net
	last := math.MaxInt
	// ReLU units that sit at 0 flip their derivative from step to step, so
	// the largest change levels off near 1e-3 here: smaller tolerances
	// never stop this relaxation.
	for _, tol := range []float32{3e-3, 1e-2, 3e-2, 1e-1} {
		ws.Config.Tol = tol
		require.NoError(t, ws.Learn(x, y))
		steps := ws.Steps()
		t.Logf("tol %g: %d steps", tol, steps)
		require.Less(t, steps, 500, "tol %g", tol)
		require.GreaterOrEqual(t, steps, 1)
		require.LessOrEqual(t, steps, last, "tol %g", tol)
		last = steps
	}
	ws.Config.Tol = -1
	require.NoError(t, ws.Learn(x, y))
	require.Equal(t, 500, ws.Steps())
}

// trainToy trains a toy net of the given mode and activation on data, with
// learning rate lr (0: 0.005 for a generative net, 0.02 for a
// discriminative one).
func trainToy(t *testing.T, data *toyData, mode pc.Mode, act pc.Activation, epochs int, lr float32) *pc.Workspace {
	t.Helper()
	sizes := []int{20, 12, 8, 4}
	std, ir, defLR := 0.1, float32(0.05), float32(0.005)
	if mode == pc.Discriminative {
		sizes = []int{4, 8, 12, 20}
		ir, defLR = 0.1, 0.02
	}
	if lr == 0 {
		lr = defLR
	}
	net, err := pc.NewNet(sizes, std, 9)
	require.NoError(t, err)
	net.Act, net.Mode = act, mode
	ws, err := pc.NewWorkspace(net, 8, linalg.MustEngine(linalg.Options{Threads: 1}))
	require.NoError(t, err)
	ws.Config.IR, ws.Config.LR = ir, lr
	tr, err := pc.NewTrainer(ws, data, epochs, 42)
	require.NoError(t, err)
	require.NoError(t, tr.Run(context.Background(), nil))
	return ws
}

// TestClassifyToyData trains both modes on a small synthetic data set and
// classifies it by every method.
func TestClassifyToyData(t *testing.T) {
	train := newToyData(200, 20, 4, 5)
	test := newToyData(100, 20, 4, 6)
	for _, c := range []struct {
		mode   pc.Mode
		act    pc.Activation
		method pc.Method
		lr     float32
		t      int
		ir     float32
		bar    float64
	}{
		{pc.Generative, pc.ReLU, pc.Energy, 0, 20, 0.05, 0.9},
		{pc.Generative, pc.ReLU, pc.Free, 0, 200, 0, 0.9},
		{pc.Generative, pc.Tanh, pc.Energy, 0, 20, 0.05, 0.9},
		{pc.Generative, pc.Sigmoid, pc.Energy, 0.05, 20, 0.05, 0.9}, // sigmoid learns slowly at 0.005
		{pc.Generative, pc.Linear, pc.Energy, 0, 20, 0.05, 0.9},
		{pc.Generative, pc.Linear, pc.Free, 0, 200, 0, 0.9},
		{pc.Discriminative, pc.ReLU, pc.Free, 0, 20, 0.1, 0.9},
		{pc.Discriminative, pc.Tanh, pc.Free, 0, 20, 0.1, 0.9},
		{pc.Discriminative, pc.Linear, pc.Free, 0, 20, 0.1, 0.9},
		{pc.Discriminative, pc.ReLU, pc.Energy, 0, 20, 0.1, 0.9},
	} {
		ws := trainToy(t, train, c.mode, c.act, 20, c.lr)
		ws.Config.T, ws.Config.IR = c.t, c.ir
		if c.ir == 0 {
			ws.Config.IR = ws.Net().StableIR()
		}
		ev, err := pc.Evaluate(context.Background(), ws, test, c.method, nil)
		require.NoError(t, err)
		t.Logf("%v %v %v: %.1f%%", c.mode, c.act, c.method, 100*ev.Accuracy())
		require.Equal(t, 100, ev.Total)
		sum := 0
		for _, row := range ev.Confusion {
			for _, n := range row {
				sum += n
			}
		}
		require.Equal(t, 100, sum)
		require.GreaterOrEqual(t, ev.Accuracy(), c.bar, "%v %v %v", c.mode, c.act, c.method)
	}
}

// TestDiscriminativeClassifyIsTopDown: a discriminative net's labels are
// the top-down prediction of the image; the relaxation starts at its fixed
// point and changes nothing.
func TestDiscriminativeClassifyIsTopDown(t *testing.T) {
	ws := trainToy(t, newToyData(64, 20, 4, 7), pc.Discriminative, pc.ReLU, 3, 0)
	x, _ := randomBatch(rand.New(rand.NewPCG(7, 7)), 8, 20, 4)
	ws.Config.T = 0
	top, err := ws.Classify(x)
	require.NoError(t, err)
	want := append([]float32(nil), top.Data[:8*4]...)
	ws.Config.T = 20
	got, err := ws.Classify(x)
	require.NoError(t, err)
	require.Equal(t, want, got.Data[:8*4])
	ws.Config.Tol = 0
	_, err = ws.Classify(x)
	require.NoError(t, err)
	require.Equal(t, 1, ws.Steps())
}

func TestComplete(t *testing.T) {
	data := newToyData(200, 20, 4, 8)
	ws := trainToy(t, data, pc.Generative, pc.ReLU, 20, 0)
	x, y := linalg.New(8, 20), linalg.New(8, 4)
	idx := []int{0, 1, 2, 3, 4, 5, 6, 7}
	data.Batch(x.Data, idx)
	require.NoError(t, data.OneHot(y.Data, idx, 4))

	// Nothing known: Generate, bit for bit.
	gen, err := ws.Generate(y)
	require.NoError(t, err)
	want := append([]float32(nil), gen.Data[:8*20]...)
	got, err := ws.Complete(x, linalg.New(1, 20), y)
	require.NoError(t, err)
	require.Equal(t, want, got.Data[:8*20])

	// Everything known: the images themselves.
	all := linalg.New(1, 20)
	for j := range 20 {
		all.Set(0, j, 1)
	}
	got, err = ws.Complete(x, all, y)
	require.NoError(t, err)
	require.Equal(t, x.Data, got.Data[:8*20])
	e, err := pc.CompletionError(got, x, all)
	require.NoError(t, err)
	require.Zero(t, e)

	// The first half known (per sample): kept as given; the relaxation
	// completes the rest better than the top-down start.
	half := linalg.New(8, 20)
	for i := range 8 {
		for j := range 10 {
			half.Set(i, j, 1)
		}
	}
	ws.Config.TGen = 0
	start, err := ws.Complete(x, half, y)
	require.NoError(t, err)
	startErr, err := pc.CompletionError(start, x, half)
	require.NoError(t, err)
	ws.Config.TGen = 100
	got, err = ws.Complete(x, half, y)
	require.NoError(t, err)
	for i := range 8 {
		require.Equal(t, x.Row(i)[:10], got.Row(i)[:10])
	}
	doneErr, err := pc.CompletionError(got, x, half)
	require.NoError(t, err)
	t.Logf("completion error %.5f, top-down start %.5f", doneErr, startErr)
	require.Less(t, doneErr, startErr)
}

func TestInferenceAllocatesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for _, mode := range []pc.Mode{pc.Generative, pc.Discriminative} {
		for _, act := range []pc.Activation{pc.ReLU, pc.Tanh} {
			sizes := []int{64, 32, 16, 10}
			if mode == pc.Discriminative {
				sizes = []int{10, 16, 32, 64}
			}
			net, err := pc.NewNet(sizes, 0.05, 1)
			require.NoError(t, err)
			net.Act, net.Mode = act, mode
			ws, err := pc.NewWorkspace(net, 16, linalg.MustEngine(linalg.Options{Threads: 2}))
			require.NoError(t, err)
			ws.Config.T, ws.Config.TGen, ws.Config.Tol = 5, 5, 1e-6
			x, y := randomBatch(rng, 16, 64, 10)
			mask := linalg.New(1, 64)
			pred := make([]int, 16)
			calls := map[string]func(){
				"LearnLabelled":  func() { require.NoError(t, ws.LearnLabelled(x, y)) },
				"Classify":       func() { _, _ = ws.Classify(x) },
				"ClassifyEnergy": func() { _, _ = ws.ClassifyEnergy(x) },
				"Predict":        func() { _ = ws.Predict(x, pc.Energy, pred) },
			}
			if mode == pc.Generative {
				calls["Complete"] = func() { _, _ = ws.Complete(x, mask, y) }
			}
			for name, call := range calls {
				require.Zero(t, testing.AllocsPerRun(3, call), "%s, %v, %v", name, mode, act)
			}
		}
	}
}

func TestInferenceErrors(t *testing.T) {
	net, err := pc.NewNet([]int{20, 12, 4}, 0.1, 1)
	require.NoError(t, err)
	ws, err := pc.NewWorkspace(net, 8, nil)
	require.NoError(t, err)
	_, err = ws.Classify(linalg.New(9, 20))
	require.ErrorContains(t, err, "batch of 9 samples")
	_, err = ws.ClassifyEnergy(linalg.New(8, 19))
	require.ErrorContains(t, err, "images have 19 columns, the network's image layer 20")
	_, err = ws.Complete(linalg.New(8, 20), linalg.New(2, 20), linalg.New(8, 4))
	require.ErrorContains(t, err, "the mask is 2×20")
	_, err = ws.Complete(linalg.New(8, 20), linalg.New(1, 20), linalg.New(7, 4))
	require.ErrorContains(t, err, "8 images but 7 labels")
	require.ErrorContains(t, ws.Predict(linalg.New(8, 20), pc.Free, make([]int, 7)), "room for 7")
	require.ErrorContains(t, ws.Predict(linalg.New(8, 20), pc.Method(7), make([]int, 8)), "unknown method")
	ws.Config.Tol = float32(math.NaN())
	_, err = ws.Classify(linalg.New(8, 20))
	require.ErrorContains(t, err, "Tol must be finite")

	net.Mode = pc.Discriminative
	ws, err = pc.NewWorkspace(net, 8, nil)
	require.NoError(t, err)
	_, err = ws.Complete(linalg.New(8, 4), linalg.New(1, 4), linalg.New(8, 20))
	require.ErrorContains(t, err, "needs a generative network")
	_, err = pc.Evaluate(context.Background(), ws, newToyData(0, 4, 2, 1), pc.Free, nil)
	require.Error(t, err)
	net.Act = pc.Activation(9)
	_, err = pc.NewWorkspace(net, 8, nil)
	require.Error(t, err)
}

func TestStableIR(t *testing.T) {
	net, err := pc.NewNet([]int{2, 2, 3}, 0, 1)
	require.NoError(t, err)
	net.W[0].Set(0, 0, 3) // σ = 3
	net.W[0].Set(1, 1, 1)
	net.W[1].Set(0, 0, 2) // σ = 2
	require.InDelta(t, 2.0/16, net.StableIR(), 1e-6)
}

func TestCompletionError(t *testing.T) {
	a := linalg.FromSlice(2, 2, []float32{1, 2, 3, 4})
	b := linalg.FromSlice(2, 2, []float32{1, 0, 3, 1})
	known := linalg.FromSlice(1, 2, []float32{1, 0})
	e, err := pc.CompletionError(a, b, known)
	require.NoError(t, err)
	require.InDelta(t, (4.0+9.0)/2, e, 1e-12)
	_, err = pc.CompletionError(a, b, linalg.New(3, 2))
	require.Error(t, err)
}

// TestDiscriminativeTrainerSwapsTheEnds: the Trainer gives a discriminative
// net the labels at layer 0 and the images on top, so training works.
func TestDiscriminativeTrainerSwapsTheEnds(t *testing.T) {
	data := newToyData(40, 20, 4, 9)
	ws := trainToy(t, data, pc.Discriminative, pc.ReLU, 1, 0)
	require.Equal(t, 4, ws.Net().LabelSize())
	require.Equal(t, 20, ws.Net().ImageSize())
	require.Equal(t, 0, ws.Net().LabelLayer())
	require.Equal(t, 3, ws.Net().ImageLayer())
}

// TestAnyDepth: nets of two layers (no hidden one) and of six train,
// classify and generate.
func TestAnyDepth(t *testing.T) {
	train := newToyData(200, 20, 4, 10)
	for _, sizes := range [][]int{{20, 4}, {20, 16, 12, 10, 8, 4}} {
		net, err := pc.NewNet(sizes, 0.1, 9)
		require.NoError(t, err)
		ws, err := pc.NewWorkspace(net, 8, linalg.MustEngine(linalg.Options{Threads: 1}))
		require.NoError(t, err)
		ws.Config.LR = 0.02
		tr, err := pc.NewTrainer(ws, train, 40, 42)
		require.NoError(t, err)
		require.NoError(t, tr.Run(context.Background(), nil))
		ev, err := pc.Evaluate(context.Background(), ws, train, pc.Energy, nil)
		require.NoError(t, err)
		t.Logf("%v: %.1f%%", sizes, 100*ev.Accuracy())
		require.GreaterOrEqual(t, ev.Accuracy(), 0.9, "%v", sizes)
		images, err := ws.Generate(oneHots(4))
		require.NoError(t, err)
		require.Equal(t, 20, images.Cols)
	}
}

// TestPrecision0: π₀ = 1 is the zero value's behaviour, bit for bit; a small
// π₀ with the learning rate scaled up by 1/π₀ still trains a discriminative
// net.
func TestPrecision0(t *testing.T) {
	data := newToyData(64, 20, 4, 11)
	var nets []*pc.Net
	for _, p := range []float32{0, 1} {
		tr, ws := newToyTrainerWS(t, data, 2)
		ws.Config.Precision0 = p
		require.NoError(t, tr.Run(context.Background(), nil))
		nets = append(nets, ws.Net())
	}
	require.Equal(t, nets[0].W, nets[1].W)

	train, test := newToyData(200, 20, 4, 12), newToyData(100, 20, 4, 13)
	net, err := pc.NewNet([]int{4, 8, 12, 20}, 0.1, 9)
	require.NoError(t, err)
	net.Mode = pc.Discriminative
	ws, err := pc.NewWorkspace(net, 8, linalg.MustEngine(linalg.Options{Threads: 1}))
	require.NoError(t, err)
	ws.Config.IR, ws.Config.LR, ws.Config.Precision0 = 0.1, 0.2, 0.1
	tr, err := pc.NewTrainer(ws, train, 20, 42)
	require.NoError(t, err)
	require.NoError(t, tr.Run(context.Background(), nil))
	for _, m := range []pc.Method{pc.Free, pc.Energy} {
		ev, err := pc.Evaluate(context.Background(), ws, test, m, nil)
		require.NoError(t, err)
		require.GreaterOrEqual(t, ev.Accuracy(), 0.9, "%v", m)
	}
	ws.Config.Precision0 = -1
	require.ErrorContains(t, ws.LearnLabelled(linalg.New(8, 20), linalg.New(8, 4)), "Precision0 must be ≥ 0")
}
