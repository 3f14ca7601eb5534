package linalg

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/pcgo/pcgo/internal/asm"

	"github.com/stretchr/testify/require"
)

// GemmPacked must give Gemm's results bit for bit, for every kernel set,
// thread count, transposition and shape (including several kc blocks and
// partial panels), and a repacked operand must follow the new values.
func TestGemmPackedEqualsGemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	dims := []int{1, 2, 5, 10, 17, 50, 64, 97, 256, 300, 784}
	trials := 40
	if testing.Short() {
		trials = 10
	}
	for _, e := range engines(t) {
		for trial := 0; trial < trials; trial++ {
			m := dims[rng.IntN(len(dims))]
			n := dims[rng.IntN(len(dims))]
			k := dims[rng.IntN(len(dims))]
			tA, tB := Op(rng.IntN(2) == 1), Op(rng.IntN(2) == 1)
			alpha := []float32{1, -1, 0.005}[rng.IntN(3)]
			beta := []float32{0, 1, 0.5}[rng.IntN(3)]
			a, b := randOperands(rng, m, n, k, tA, tB, 2)
			c0 := randMatrix(rng, m, n, 0)
			name := fmt.Sprintf("%s/%d threads m=%d n=%d k=%d tA=%v tB=%v", e.KernelSet(), e.Threads(), m, n, k, tA, tB)

			p := NewPacked(e, tB, b.Rows, b.Cols)
			for round := 0; round < 2; round++ {
				want, got := New(m, n), New(m, n)
				Copy(want, c0)
				Copy(got, c0)
				e.Gemm(tA, tB, alpha, a, b, beta, want)
				e.Pack(p, tB, b)
				require.Equal(t, k, p.Rows(), name)
				require.Equal(t, n, p.Cols(), name)
				e.GemmPacked(tA, alpha, a, p, beta, got)
				require.Equal(t, want.Data, got.Data, "%s round %d", name, round)
				b.Data[rng.IntN(len(b.Data))] += 1 // repacking must see it
			}
		}
	}
}

// A smaller operand fits storage made for a larger one.
func TestPackSmallerOperand(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	e := MustEngine(Options{Threads: 2})
	p := NewPacked(e, Trans, 784, 256)
	a := randMatrix(rng, 50, 64, 0)
	w := randMatrix(rng, 256, 64, 0)
	want, got := New(50, 256), New(50, 256)
	e.Gemm(NoTrans, Trans, 1, a, w, 0, want)
	e.Pack(p, Trans, w)
	e.GemmPacked(NoTrans, 1, a, p, 0, got)
	require.Equal(t, want.Data, got.Data)
	require.Panics(t, func() { e.Pack(p, NoTrans, New(785, 256)) }, "too large")
}

// A Pack split across threads (by rows of op(B) for b as stored, by panels
// for b transposed, with kc blocks shared by two parts) writes exactly what
// one thread writes, padding included.
func TestSplitPackEqualsSerial(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, set := range KernelSets() {
		serial := MustEngine(Options{Kernels: set, Threads: 1})
		for _, s := range [][2]int{{784, 256}, {785, 250}, {530, 33}, {300, 61}, {2000, 40}, {64, 1000}} {
			for _, tr := range []Op{NoTrans, Trans} {
				b := randMatrix(rng, s[0], s[1], 3)
				want := NewPacked(serial, tr, b.Rows, b.Cols)
				serial.Pack(want, tr, b)
				for _, th := range []int{2, 3, 4} {
					e := MustEngine(Options{Kernels: set, Threads: th})
					got := NewPacked(e, tr, b.Rows, b.Cols)
					e.Pack(got, tr, b)
					require.Equal(t, want.data, got.data, "%s %d×%d trans=%v, %d threads", set, s[0], s[1], tr, th)
				}
			}
		}
	}
}

func TestGemmPackedDeterministicAcrossThreads(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	a := randMatrix(rng, 50, 784, 0)
	w := randMatrix(rng, 784, 256, 0)
	for _, name := range KernelSets() {
		var first []float32
		for _, th := range []int{1, 2, 3, 4} {
			e := MustEngine(Options{Kernels: name, Threads: th})
			p := NewPacked(e, NoTrans, 784, 256)
			e.Pack(p, NoTrans, w)
			c := New(50, 256)
			e.GemmPacked(NoTrans, -1, a, p, 0, c)
			if first == nil {
				first = c.Data
				continue
			}
			require.Equal(t, first, c.Data, "%s with %d threads", name, th)
		}
	}
}

func TestPackedKernelSetMismatchPanics(t *testing.T) {
	sets := KernelSets()
	if len(sets) < 2 {
		t.Skip("one kernel set on this machine")
	}
	e0 := MustEngine(Options{Kernels: sets[0], Threads: 1})
	e1 := MustEngine(Options{Kernels: sets[1], Threads: 1})
	p := NewPacked(e0, NoTrans, 8, 8)
	require.Equal(t, sets[0], p.KernelSet())
	require.PanicsWithValue(t, fmt.Sprintf("linalg: Pack: operand packed for the %s kernel set, engine runs %s", sets[0], sets[1]),
		func() { e1.Pack(p, NoTrans, New(8, 8)) })
	e0.Pack(p, NoTrans, New(8, 8))
	require.Panics(t, func() { e1.GemmPacked(NoTrans, 1, New(2, 8), p, 0, New(2, 8)) })
	require.PanicsWithValue(t, "linalg: GemmPacked: op(A) is 2×7, op(B) 8×8, C 2×8", func() {
		e0.GemmPacked(NoTrans, 1, New(2, 7), p, 0, New(2, 8))
	})
}

func TestPackAndGemmPackedAllocateNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	a := randMatrix(rng, 50, 256, 0)
	w := randMatrix(rng, 784, 256, 0)
	c := New(50, 784)
	for _, e := range engines(t) {
		p := NewPacked(e, Trans, 784, 256)
		allocs := testing.AllocsPerRun(20, func() {
			e.Pack(p, Trans, w)
			e.GemmPacked(NoTrans, 1, a, p, 0, c)
		})
		require.Zero(t, allocs, "%s/%d threads", e.KernelSet(), e.Threads())
	}
}

// Engines on several goroutines share the pool: when they want more
// workers than there are, parts run on the callers, with the same results.
func TestEnginesShareThePool(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	a := randMatrix(rng, 50, 256, 0)
	w := randMatrix(rng, 784, 256, 0)
	want := New(50, 784)
	MustEngine(Options{Threads: 1}).Gemm(NoTrans, Trans, 1, a, w, 0, want)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			e := MustEngine(Options{Threads: 2 + g%2})
			p := NewPacked(e, Trans, 784, 256)
			c := New(50, 784)
			for range 50 {
				e.Pack(p, Trans, w)
				e.GemmPacked(NoTrans, 1, a, p, 0, c)
				require.Equal(t, want.Data, c.Data)
				e.Gemm(NoTrans, Trans, 1, a, w, 0, c)
				require.Equal(t, want.Data, c.Data)
			}
		})
	}
	wg.Wait()
}

// Residual and ReluStep equal their unfused sequences bit for bit, for any
// thread count; Residual's sum equals SubSq's with one thread and is close
// with more.
func TestFusedEpiloguesEqualUnfused(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	shapes := []struct{ m, n, k int }{{50, 784, 256}, {50, 256, 784}, {7, 10, 64}, {13, 300, 17}, {50, 64, 1000}, {1, 1, 1}}
	for _, e := range append(engines(t), MustEngine(Options{Threads: 2})) {
		for _, s := range shapes {
			for _, tA := range []Op{NoTrans, Trans} {
				name := fmt.Sprintf("%s/%d threads %dx%dx%d tA=%v", e.KernelSet(), e.Threads(), s.m, s.n, s.k, tA)
				a := randMatrix(rng, s.m, s.k, 1)
				if tA {
					a = randMatrix(rng, s.k, s.m, 1)
				}
				w := randMatrix(rng, s.n, s.k, 0)
				p := NewPacked(e, Trans, s.n, s.k)
				e.Pack(p, Trans, w)
				r := randMatrix(rng, s.m, s.n, 2)

				// Residual.
				pred, want, got := New(s.m, s.n), New(s.m, s.n), New(s.m, s.n)
				e.GemmPacked(tA, 1, a, p, 0, pred)
				wantSum := e.SubSq(want, r, pred)
				gotSum := e.Residual(got, r, tA, a, p)
				require.Equal(t, want.Data, got.Data, "Residual %s", name)
				if e.Threads() == 1 {
					require.Equal(t, wantSum, gotSum, "Residual sum %s", name)
				} else {
					require.InEpsilon(t, wantSum, gotSum, 1e-5, "Residual sum %s", name)
				}

				// ReluStep.
				errs := randMatrix(rng, s.m, s.n, 0)
				rWant, rGot := New(s.m, s.n), New(s.m, s.n)
				Copy(rWant, r)
				Copy(rGot, r)
				fWant, fGot, g := New(s.m, s.n), New(s.m, s.n), New(s.m, s.n)
				e.ReluDerivUpdate(rWant, errs, pred, fWant, 0.05)
				e.ReluStep(rGot, errs, fGot, 0.05, tA, a, p, g)
				require.Equal(t, pred.Data, g.Data, "ReluStep G %s", name)
				require.Equal(t, rWant.Data, rGot.Data, "ReluStep R %s", name)
				require.Equal(t, fWant.Data, fGot.Data, "ReluStep F %s", name)
			}
		}
	}
}

// With one kc block, a residual of a matrix against the product it was set
// from is exactly zero: the fixed point Generate starts at.
func TestResidualOfItsOwnPredictionIsZero(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	for _, e := range engines(t) {
		f := randMatrix(rng, 10, 64, 0)
		w := randMatrix(rng, 256, 64, 0)
		p := NewPacked(e, Trans, 256, 64)
		e.Pack(p, Trans, w)
		r, errs := New(10, 256), New(10, 256)
		e.Gemm(NoTrans, Trans, 1, f, w, 0, r)
		require.Zero(t, e.Residual(errs, r, NoTrans, f, p))
		for _, v := range errs.Data {
			require.Zero(t, v)
		}
	}
}

func TestFusedEpiloguesAllocateNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	a := randMatrix(rng, 50, 256, 0)
	w := randMatrix(rng, 784, 256, 0)
	r, errs, f, g := New(50, 784), New(50, 784), New(50, 784), New(50, 784)
	for _, e := range engines(t) {
		p := NewPacked(e, Trans, 784, 256)
		e.Pack(p, Trans, w)
		allocs := testing.AllocsPerRun(20, func() {
			e.Residual(errs, r, NoTrans, a, p)
			e.ReluStep(r, errs, f, 0.05, NoTrans, a, p, g)
		})
		require.Zero(t, allocs, "%s/%d threads", e.KernelSet(), e.Threads())
	}
}

func TestMeasurePeak(t *testing.T) {
	p, err := MeasurePeak(1, 20*time.Millisecond)
	if asm.Peak() == nil {
		require.ErrorIs(t, err, ErrNoPeak)
		return
	}
	require.NoError(t, err)
	require.Equal(t, 1, p.Threads)
	require.Greater(t, p.GFLOPS, 1.0)
	require.NotEmpty(t, p.Loop)
}

// The scalar peak runs on every build, with the threads asked for.
func TestMeasureScalarPeak(t *testing.T) {
	p := MeasureScalarPeak(2, 10*time.Millisecond)
	require.Equal(t, 2, p.Threads)
	require.Equal(t, asm.ScalarPeak.Name, p.Loop)
	require.Greater(t, p.GFLOPS, 0.0)
	require.Equal(t, 1, MeasureScalarPeak(0, time.Millisecond).Threads)
}

// A round trip needs two processors; it returns, whatever the machine.
func TestMeasureRoundTrip(t *testing.T) {
	prev := runtime.GOMAXPROCS(1)
	_, err := MeasureRoundTrip(time.Millisecond)
	runtime.GOMAXPROCS(max(prev, 2))
	defer runtime.GOMAXPROCS(prev)
	require.ErrorContains(t, err, "GOMAXPROCS ≥ 2")
	start := time.Now()
	d, err := MeasureRoundTrip(5 * time.Millisecond)
	took := time.Since(start)
	require.NoError(t, err)
	require.Greater(t, d, time.Duration(0))
	// One round trip, not a round's total: at most the whole call's time.
	// (Not a fixed bound: on a busy machine the two goroutines may take
	// turns on one CPU, and a round trip then lasts a time slice.)
	require.Less(t, d, took/256)
}

func TestTimeCall(t *testing.T) {
	calls := 0
	d := TimeCall(10*time.Millisecond, func() { calls++; time.Sleep(100 * time.Microsecond) })
	require.GreaterOrEqual(t, d, 100*time.Microsecond)
	require.Less(t, d, 50*time.Millisecond)
	require.Greater(t, calls, 5)
}

// Calls far apart find the workers (and the caller) parked, not spinning:
// they must wake and give the same results.
func TestPoolWakesFromParking(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	a := randMatrix(rng, 50, 256, 0)
	w := randMatrix(rng, 784, 256, 0)
	want := New(50, 784)
	MustEngine(Options{Threads: 1}).Gemm(NoTrans, Trans, 1, a, w, 0, want)
	e := MustEngine(Options{Threads: 2})
	c := New(50, 784)
	for range 5 {
		time.Sleep(3 * spinWait)
		clear(c.Data)
		e.Gemm(NoTrans, Trans, 1, a, w, 0, c)
		require.Equal(t, want.Data, c.Data)
	}
}

// Every thread count computes every element the same way: row splits with a
// shared partial row tile, column splits, packed or not, with or without a
// fused pass.
func TestSplitsAreBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for _, set := range KernelSets() {
		shapes := [][3]int{{50, 784, 256}, {50, 256, 784}, {13, 300, 40}, {97, 64, 100}, {7, 33, 9}, {784, 256, 50}}
		if testing.Short() {
			shapes = shapes[1:5]
		}
		for _, s := range shapes {
			m, n, k := s[0], s[1], s[2]
			a := randMatrix(rng, m, k, 0)
			at := randMatrix(rng, k, m, 0)
			w := randMatrix(rng, n, k, 0)
			r, errs := randMatrix(rng, m, n, 0), randMatrix(rng, m, n, 0)
			type out struct{ gemm, gemmT, packed, res, r2, f2 []float32 }
			var first *out
			for _, th := range []int{1, 2, 3, 4} {
				e := MustEngine(Options{Kernels: set, Threads: th})
				var o out
				c := New(m, n)
				e.Gemm(NoTrans, Trans, 1, a, w, 0, c)
				o.gemm = c.Data
				c = New(m, n)
				e.Gemm(Trans, Trans, 0.5, at, w, 0, c)
				o.gemmT = c.Data
				p := NewPacked(e, Trans, n, k)
				e.Pack(p, Trans, w)
				c = New(m, n)
				e.GemmPacked(NoTrans, 1, a, p, 0, c)
				o.packed = c.Data
				c = New(m, n)
				e.Residual(c, r, NoTrans, a, p)
				o.res = c.Data
				r2, f2, g := New(m, n), New(m, n), New(m, n)
				Copy(r2, r)
				e.ReluStep(r2, errs, f2, 0.05, NoTrans, a, p, g)
				o.r2, o.f2 = r2.Data, f2.Data
				if first == nil {
					first = &o
					continue
				}
				name := fmt.Sprintf("%s %d×%d×%d, %d threads", set, m, n, k, th)
				require.Equal(t, first.gemm, o.gemm, name)
				require.Equal(t, first.gemmT, o.gemmT, name)
				require.Equal(t, first.packed, o.packed, name)
				require.Equal(t, first.res, o.res, name)
				require.Equal(t, first.r2, o.r2, name)
				require.Equal(t, first.f2, o.f2, name)
			}
		}
	}
}

// An engine of more threads than processors still works, and with one
// processor nothing spins: the goroutine a spin waits for could not run
// meanwhile. (Checked by counting the spin's polls, not by timing: a timed
// bound fails on a slow or emulated machine.)
func TestMoreThreadsThanProcessors(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	polls := 0
	require.False(t, spinUntil(func() bool { polls++; return false }, time.Hour))
	require.Equal(t, 1, polls, "spinUntil polled more than once with GOMAXPROCS 1")

	rng := rand.New(rand.NewPCG(43, 44))
	a := randMatrix(rng, 50, 256, 0)
	w := randMatrix(rng, 784, 256, 0)
	want, got := New(50, 784), New(50, 784)
	MustEngine(Options{Threads: 1}).Gemm(NoTrans, Trans, 1, a, w, 0, want)
	e := MustEngine(Options{Threads: 3})
	for range 20 {
		e.Gemm(NoTrans, Trans, 1, a, w, 0, got)
		require.Equal(t, want.Data, got.Data)
	}
}

// With two processors or more, spinUntil returns as soon as its condition
// holds and gives up after about d when it never does.
func TestSpinUntil(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	}
	polls := 0
	require.True(t, spinUntil(func() bool { polls++; return polls == 200 }, time.Hour))
	require.Equal(t, 200, polls)
	polls = 0
	require.False(t, spinUntil(func() bool { polls++; return false }, time.Millisecond))
	require.Greater(t, polls, 64, "gave up before its first clock check")
}
