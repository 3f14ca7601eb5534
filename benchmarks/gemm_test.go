package benchmarks

import (
	"math/rand/v2"
	"testing"

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
}

// The shapes of the seed's net [784, 256, 64, 10] at batch 50 that carry
// almost all of its work, plus a square reference.
var gemmShapes = []gemmShape{
	// prediction of layer 0: P0 = F1·W0ᵀ, [50×256]·[784×256]ᵀ
	{name: "pred0", m: 50, n: 784, k: 256, tA: linalg.NoTrans, tB: linalg.Trans},
	// error fed back to layer 1: G = E0·W0, [50×784]·[784×256]
	{name: "bp0", m: 50, n: 256, k: 784, tA: linalg.NoTrans, tB: linalg.NoTrans},
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

func reportGFLOPS(b *testing.B, flopsPerOp float64) {
	b.ReportMetric(flopsPerOp*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkGemm runs every shape with every kernel set this machine has and
// with gonum's Sgemm. Threads follow -cpu (GOMAXPROCS).
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
					for b.Loop() {
						e.Gemm(s.tA, s.tB, 1, a, bm, s.beta, c)
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
				for b.Loop() {
					impl.Sgemm(tr(s.tA), tr(s.tB), s.m, s.n, s.k, 1, a.Data, a.Stride, bm.Data, bm.Stride, s.beta, c.Data, c.Stride)
				}
				reportGFLOPS(b, s.flops())
			})
		})
	}
}
