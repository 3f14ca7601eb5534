package benchmarks

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/pcgo/pcgo/linalg"
)

// gemmShape is one GEMM the predictive-coding loop runs, C = op(A)·op(B) + beta·C.
type gemmShape struct {
	name    string
	m, n, k int
	tA, tB  linalg.Op
	beta    float32
	packed  bool // Learn runs it with op(B) packed once per call: benchmark that too
}

// The shapes of the seed's net [784, 256, 64, 10] at batch 50 that carry
// almost all of its work, plus a square reference.
var gemmShapes = []gemmShape{
	// prediction of layer 0: P0 = F1·W0ᵀ, [50×256]·[784×256]ᵀ
	{name: "pred0", m: 50, n: 784, k: 256, tA: linalg.NoTrans, tB: linalg.Trans, packed: true},
	// error fed back to layer 1: G = E0·W0, [50×784]·[784×256]
	{name: "bp0", m: 50, n: 256, k: 784, tA: linalg.NoTrans, tB: linalg.NoTrans, packed: true},
	// weight update: W0 += lr·E0ᵀ·F1, [50×784]ᵀ·[50×256]
	{name: "wupd0", m: 784, n: 256, k: 50, tA: linalg.Trans, tB: linalg.NoTrans, beta: 1},
	{name: "sq1024", m: 1024, n: 1024, k: 1024, tA: linalg.NoTrans, tB: linalg.NoTrans},
}

// operands returns A, B and C stored as the shape's ops expect.
func (s gemmShape) operands() (a, b, c linalg.Matrix) {
	rng := rand.New(rand.NewPCG(1, 1))
	fill := func(m linalg.Matrix) linalg.Matrix {
		for i := range m.Data {
			m.Data[i] = rng.Float32()*2 - 1
		}
		return m
	}
	if s.tA {
		a = fill(linalg.New(s.k, s.m))
	} else {
		a = fill(linalg.New(s.m, s.k))
	}
	if s.tB {
		b = fill(linalg.New(s.n, s.k))
	} else {
		b = fill(linalg.New(s.k, s.n))
	}
	return a, b, fill(linalg.New(s.m, s.n))
}

func (s gemmShape) flops() float64 { return 2 * float64(s.m) * float64(s.n) * float64(s.k) }

// reportGFLOPS reports the rate of b as GFLOP/s and as %peak: a
// percentage of the peak of the instructions that set runs, on GOMAXPROCS
// threads at once (measured once per set and thread count, with the
// benchmark's timer stopped). For "avx2" and for gonum's SSE code that is
// the FMA peak of linalg.MeasurePeak, when this build and CPU have its
// assembly loop; for "generic", the pure-Go fallback, the scalar Go peak of
// linalg.MeasureScalarPeak, which no Go kernel can pass. On more than one
// thread it also reports rtt-ns, the round trip of a cache line between two
// threads (linalg.MeasureRoundTrip), measured right after the run.
//
// The benchmarks loop over b.N rather than b.Loop: with b.Loop the first
// result of each benchmark comes from the run that the testing package
// makes before it sets GOMAXPROCS from -cpu, so "-cpu 1,2" would time the
// first of -count runs on two threads and label it one.
func reportGFLOPS(b *testing.B, set string, flopsPerOp float64) {
	gf := flopsPerOp * float64(b.N) / b.Elapsed().Seconds() / 1e9
	b.StopTimer()
	b.ReportMetric(gf, "GFLOP/s")
	if p := peak(set == "generic", runtime.GOMAXPROCS(0)); p > 0 {
		b.ReportMetric(100*gf/p, "%peak")
	}
	reportRoundTrip(b)
}

// reportRoundTrip reports, on more than one thread, how far apart the CPUs
// were just now: a virtual machine's host may move them about, and a round
// trip of 400 ns instead of 100 slows the calls whose threads hand over
// often or share data, such as Learn's (see README.md).
func reportRoundTrip(b *testing.B) {
	if runtime.GOMAXPROCS(0) > 1 {
		if rt, err := linalg.MeasureRoundTrip(20 * time.Millisecond); err == nil {
			b.ReportMetric(float64(rt.Nanoseconds()), "rtt-ns")
		}
	}
}

// peakKey is one measured peak: scalar Go or FMA, on threads threads.
type peakKey struct {
	scalar  bool
	threads int
}

var peaks sync.Map // peakKey → GFLOP/s

// peak returns the scalar Go peak or the FMA peak of threads threads; the
// FMA peak is 0 without its assembly loop.
func peak(scalar bool, threads int) float64 {
	key := peakKey{scalar, threads}
	if v, ok := peaks.Load(key); ok {
		return v.(float64)
	}
	var gf float64
	if scalar {
		gf = linalg.MeasureScalarPeak(threads, 200*time.Millisecond).GFLOPS
	} else if p, err := linalg.MeasurePeak(threads, 200*time.Millisecond); err == nil {
		gf = p.GFLOPS
	}
	peaks.Store(key, gf)
	return gf
}

// BenchmarkGemm runs every shape with every kernel set this machine has
// (and, for the shapes Learn runs with packed weights, with op(B) packed
// beforehand: <set>-packed) and with gonum's Sgemm. Threads follow -cpu
// (GOMAXPROCS).
func BenchmarkGemm(b *testing.B) {
	for _, s := range gemmShapes {
		b.Run(s.name, func(b *testing.B) {
			for _, set := range linalg.KernelSets() {
				b.Run(set, func(b *testing.B) {
					e, err := linalg.NewEngine(linalg.Options{Kernels: set})
					if err != nil {
						b.Fatal(err)
					}
					a, bm, c := s.operands()
					b.ReportAllocs()
					b.ResetTimer()
					for range b.N {
						e.Gemm(s.tA, s.tB, 1, a, bm, s.beta, c)
					}
					reportGFLOPS(b, set, s.flops())
				})
				if !s.packed {
					continue
				}
				// As Learn runs it: op(B), the weights, packed beforehand.
				b.Run(set+"-packed", func(b *testing.B) {
					e, err := linalg.NewEngine(linalg.Options{Kernels: set})
					if err != nil {
						b.Fatal(err)
					}
					a, bm, c := s.operands()
					p := linalg.NewPacked(e, s.tB, bm.Rows, bm.Cols)
					e.Pack(p, s.tB, bm)
					b.ReportAllocs()
					b.ResetTimer()
					for range b.N {
						e.GemmPacked(s.tA, 1, a, p, s.beta, c)
					}
					reportGFLOPS(b, set, s.flops())
				})
			}
			b.Run("gonum", func(b *testing.B) {
				a, bm, c := s.operands()
				tr := func(t linalg.Op) blas.Transpose {
					if t {
						return blas.Trans
					}
					return blas.NoTrans
				}
				impl := gonum.Implementation{}
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					impl.Sgemm(tr(s.tA), tr(s.tB), s.m, s.n, s.k, 1, a.Data, a.Stride, bm.Data, bm.Stride, s.beta, c.Data, c.Stride)
				}
				reportGFLOPS(b, "gonum", s.flops())
			})
		})
	}
}
