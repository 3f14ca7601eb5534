package linalg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// randMatrix returns a rows×cols matrix with the given extra stride padding,
// filled with values in [-1, 1); padding holds NaN so that a kernel reading
// it poisons its result.
func randMatrix(rng *rand.Rand, rows, cols, pad int) Matrix {
	stride := cols + pad
	if stride == 0 {
		stride = 1
	}
	m := Matrix{Rows: rows, Cols: cols, Stride: stride, Data: make([]float32, rows*stride)}
	for i := range m.Data {
		m.Data[i] = float32(math.NaN())
	}
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			m.Data[i*stride+j] = rng.Float32()*2 - 1
		}
	}
	return m
}

// randOperands returns random A and B stored so that op(A) is m×k and op(B)
// k×n, each with a NaN-filled stride padding of fewer than maxPad columns.
func randOperands(rng *rand.Rand, m, n, k int, tA, tB Op, maxPad int) (a, b Matrix) {
	ar, ac := m, k
	if tA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB {
		br, bc = n, k
	}
	a = randMatrix(rng, ar, ac, rng.IntN(maxPad))
	b = randMatrix(rng, br, bc, rng.IntN(maxPad))
	return a, b
}

// refGemm is the textbook triple loop in float64.
func refGemm(tA, tB Op, alpha float32, a, b Matrix, beta float32, c Matrix) []float64 {
	get := func(x Matrix, t Op, i, j int) float64 {
		if t {
			return float64(x.At(j, i))
		}
		return float64(x.At(i, j))
	}
	k := a.Cols
	if tA {
		k = a.Rows
	}
	out := make([]float64, c.Rows*c.Cols)
	for i := 0; i < c.Rows; i++ {
		for j := 0; j < c.Cols; j++ {
			var s float64
			for p := 0; p < k; p++ {
				s += get(a, tA, i, p) * get(b, tB, p, j)
			}
			v := float64(alpha) * s
			if beta != 0 {
				v += float64(beta) * float64(c.At(i, j))
			}
			out[i*c.Cols+j] = v
		}
	}
	return out
}

func engines(t testing.TB) []*Engine {
	var es []*Engine
	for _, name := range KernelSets() {
		for _, th := range []int{1, 3} {
			es = append(es, MustEngine(Options{Kernels: name, Threads: th}))
		}
	}
	return es
}

func TestGemmAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dims := []int{0, 1, 2, 3, 5, 7, 15, 17, 33, 50, 97, 130, 257, 300}
	for _, e := range engines(t) {
		for trial := 0; trial < 120; trial++ {
			m := dims[rng.IntN(len(dims))]
			n := dims[rng.IntN(len(dims))]
			k := dims[rng.IntN(len(dims))]
			tA, tB := Op(rng.IntN(2) == 1), Op(rng.IntN(2) == 1)
			alpha := []float32{1, -1, 0.5, 0}[rng.IntN(4)]
			beta := []float32{0, 1, -0.25}[rng.IntN(3)]
			a, b := randOperands(rng, m, n, k, tA, tB, 3)
			c := randMatrix(rng, m, n, rng.IntN(3))
			if beta == 0 {
				// beta 0 must not read C: poison it.
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						c.Set(i, j, float32(math.NaN()))
					}
				}
			}
			want := refGemm(tA, tB, alpha, a, b, beta, c)
			e.Gemm(tA, tB, alpha, a, b, beta, c)
			name := fmt.Sprintf("%s/%dthreads m=%d n=%d k=%d tA=%v tB=%v alpha=%v beta=%v", e.KernelSet(), e.Threads(), m, n, k, tA, tB, alpha, beta)
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					got := float64(c.At(i, j))
					tol := 1e-5 * float64(k+1)
					require.InDelta(t, want[i*n+j], got, tol, "%s at (%d,%d)", name, i, j)
				}
				// Padding past Cols must still be NaN: nothing wrote there.
				for j := n; j < c.Stride && i*c.Stride+j < len(c.Data); j++ {
					require.True(t, math.IsNaN(float64(c.Data[i*c.Stride+j])), "%s wrote padding at row %d col %d", name, i, j)
				}
			}
		}
	}
}

func TestGemmDeterministicAcrossThreads(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	a := randMatrix(rng, 50, 256, 0)
	w := randMatrix(rng, 784, 256, 0)
	for _, name := range KernelSets() {
		var first []float32
		for _, th := range []int{1, 2, 3, 4} {
			e := MustEngine(Options{Kernels: name, Threads: th})
			c := New(50, 784)
			e.Gemm(NoTrans, Trans, 1, a, w, 0, c)
			if first == nil {
				first = c.Data
				continue
			}
			require.Equal(t, first, c.Data, "%s with %d threads", name, th)
		}
	}
}

func TestGemmAllocatesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	a := randMatrix(rng, 50, 256, 0)
	w := randMatrix(rng, 784, 256, 0)
	c := New(50, 784)
	for _, e := range engines(t) {
		allocs := testing.AllocsPerRun(20, func() { e.Gemm(NoTrans, Trans, 1, a, w, 0, c) })
		require.Zero(t, allocs, "%s/%d threads", e.KernelSet(), e.Threads())
	}
}

func TestGemmShapeMismatchPanics(t *testing.T) {
	e := MustEngine(Options{Threads: 1})
	require.PanicsWithValue(t, "linalg: Gemm: op(A) is 2×3, op(B) 4×5, C 2×5", func() {
		e.Gemm(NoTrans, NoTrans, 1, New(2, 3), New(4, 5), 0, New(2, 5))
	})
}
