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

// reportGFLOPS reports the rate of b as GFLOP/s and, where this build has
// an assembly peak loop, as a percentage of the FMA peak of GOMAXPROCS
// threads (measured once per thread count, see linalg.MeasurePeak, with the
// benchmark's timer stopped).
//
// The benchmarks loop over b.N rather than b.Loop: with b.Loop the first
// result of each benchmark comes from the run that the testing package
// makes before it sets GOMAXPROCS from -cpu, so "-cpu 1,2" would time the
// first of -count runs on two threads and label it one.
func reportGFLOPS(b *testing.B, flopsPerOp float64) {
	gf := flopsPerOp * float64(b.N) / b.Elapsed().Seconds() / 1e9
	b.StopTimer()
	b.ReportMetric(gf, "GFLOP/s")
	if p := peak(runtime.GOMAXPROCS(0)); p > 0 {
		b.ReportMetric(100*gf/p, "%peak")
	}
}

var peaks sync.Map // threads → GFLOP/s

// peak returns the FMA peak of threads threads, 0 without a peak loop.
func peak(threads int) float64 {
	if v, ok := peaks.Load(threads); ok {
		return v.(float64)
	}
	p, err := linalg.MeasurePeak(threads, 200*time.Millisecond)
	if err != nil {
		p.GFLOPS = 0
	}
	peaks.Store(threads, p.GFLOPS)
	return p.GFLOPS
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
					reportGFLOPS(b, s.flops())
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
					reportGFLOPS(b, s.flops())
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
				reportGFLOPS(b, s.flops())
			})
		})
	}
}
