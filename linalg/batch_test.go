package linalg

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// batchCase is one call of a batch with its own copy of every operand it
// writes, so that the batch and the calls one by one can be compared.
type batchCase struct {
	kind       string
	a          Matrix
	tA         Op
	p          *Packed
	w          Matrix // op(B) = wᵀ, unpacked, for "gemmu"
	r, e, f, c Matrix
}

func (bc batchCase) clone() batchCase {
	cp := func(m Matrix) Matrix {
		if m.Data == nil {
			return m
		}
		out := New(m.Rows, m.Cols)
		Copy(out, m)
		return out
	}
	bc.r, bc.e, bc.f, bc.c = cp(bc.r), cp(bc.e), cp(bc.f), cp(bc.c)
	return bc
}

func (bc batchCase) call() Call {
	switch bc.kind {
	case "gemm":
		return GemmPackedCall(bc.tA, 0.5, bc.a, bc.p, 1, bc.c)
	case "gemmu":
		return GemmCall(bc.tA, Trans, 0.5, bc.a, bc.w, 1, bc.c)
	case "residual":
		return ResidualCall(bc.c, bc.r, bc.tA, bc.a, bc.p)
	default:
		return ReluStepCall(bc.r, bc.e, bc.f, 0.05, bc.tA, bc.a, bc.p, bc.c)
	}
}

func (bc batchCase) alone(e *Engine) float64 {
	switch bc.kind {
	case "gemm":
		e.GemmPacked(bc.tA, 0.5, bc.a, bc.p, 1, bc.c)
		return 0
	case "gemmu":
		e.Gemm(bc.tA, Trans, 0.5, bc.a, bc.w, 1, bc.c)
		return 0
	case "residual":
		return e.Residual(bc.c, bc.r, bc.tA, bc.a, bc.p)
	default:
		e.ReluStep(bc.r, bc.e, bc.f, 0.05, bc.tA, bc.a, bc.p, bc.c)
		return 0
	}
}

func TestRunEqualsCallsOneByOne(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	shapes := [][3]int{{50, 784, 256}, {50, 256, 784}, {50, 64, 256}, {50, 10, 64}, {7, 5, 3}, {13, 33, 300}, {1, 1, 1}, {6, 16, 0}, {0, 4, 4}}
	kinds := []string{"gemm", "gemmu", "residual", "relustep"}
	for _, e := range append(engines(t), MustEngine(Options{Threads: 2})) {
		for trial := 0; trial < 6; trial++ {
			var cases []batchCase
			for range 1 + rng.IntN(11) { // up to 11: more than one split call
				s := shapes[rng.IntN(len(shapes))]
				m, n, k := s[0], s[1], s[2]
				bc := batchCase{kind: kinds[rng.IntN(len(kinds))], tA: Op(rng.IntN(2) == 1)}
				if bc.tA {
					bc.a = randMatrix(rng, k, m, rng.IntN(2))
				} else {
					bc.a = randMatrix(rng, m, k, rng.IntN(2))
				}
				w := randMatrix(rng, n, k, rng.IntN(2))
				bc.w = w
				bc.p = NewPacked(e, Trans, n, k)
				e.Pack(bc.p, Trans, w)
				bc.r, bc.e, bc.f, bc.c = randMatrix(rng, m, n, 0), randMatrix(rng, m, n, 0), New(m, n), randMatrix(rng, m, n, 0)
				cases = append(cases, bc)
			}
			var calls []Call
			var batch []batchCase
			for _, bc := range cases {
				b := bc.clone()
				batch = append(batch, b)
				calls = append(calls, b.call())
			}
			e.Run(calls)
			for i, bc := range cases {
				name := fmt.Sprintf("%s/%d threads trial %d call %d (%s %d×%d×%d)", e.KernelSet(), e.Threads(), trial, i, bc.kind, bc.c.Rows, bc.c.Cols, bc.p.Rows())
				sum := bc.alone(e)
				b := batch[i]
				require.Equal(t, bc.c.Data, b.c.Data, name)
				require.Equal(t, bc.r.Data, b.r.Data, name)
				require.Equal(t, bc.f.Data, b.f.Data, name)
				if e.Threads() == 1 {
					require.Equal(t, sum, calls[i].Sum, name)
				} else {
					require.InDelta(t, sum, calls[i].Sum, 1e-5*sum, name)
				}
			}
		}
	}
}

func TestRunChecksItsCalls(t *testing.T) {
	sets := KernelSets()
	e := MustEngine(Options{Threads: 2})
	p := NewPacked(e, NoTrans, 8, 8)
	e.Pack(p, NoTrans, New(8, 8))
	require.PanicsWithValue(t, "linalg: Residual: op(A) is 2×7, op(B) 8×8, C 2×8", func() {
		e.Run([]Call{ResidualCall(New(2, 8), New(2, 8), NoTrans, New(2, 7), p)})
	})
	require.Panics(t, func() {
		e.Run([]Call{ReluStepCall(New(2, 8), New(2, 7), New(2, 8), 0.1, NoTrans, New(2, 8), p, New(2, 8))})
	})
	require.PanicsWithValue(t, "linalg: Gemm: op(A) is 2×7, op(B) 8×3, C 2×3", func() {
		e.Run([]Call{GemmCall(NoTrans, NoTrans, 1, New(2, 7), New(8, 3), 0, New(2, 3))})
	})
	if len(sets) > 1 {
		other := MustEngine(Options{Kernels: sets[1], Threads: 2})
		require.Panics(t, func() { other.Run([]Call{GemmPackedCall(NoTrans, 1, New(2, 8), p, 0, New(2, 8))}) })
	}
}

func TestRunAllocatesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	for _, e := range engines(t) {
		f1, e0 := randMatrix(rng, 50, 256, 0), randMatrix(rng, 50, 784, 0)
		w := randMatrix(rng, 784, 256, 0)
		wt, wn := NewPacked(e, Trans, 784, 256), NewPacked(e, NoTrans, 784, 256)
		e.Pack(wt, Trans, w)
		e.Pack(wn, NoTrans, w)
		r0, err0 := randMatrix(rng, 50, 784, 0), New(50, 784)
		r1, e1, ff, g := randMatrix(rng, 50, 256, 0), randMatrix(rng, 50, 256, 0), New(50, 256), New(50, 256)
		w1 := randMatrix(rng, 256, 256, 0)
		calls := make([]Call, 0, 2)
		allocs := testing.AllocsPerRun(10, func() {
			calls = append(calls[:0], ResidualCall(err0, r0, NoTrans, f1, wt))
			e.Run(calls)
			calls = append(calls[:0], ReluStepCall(r1, e1, ff, 0.001, NoTrans, e0, wn, g))
			e.Run(calls)
			calls = append(calls[:0], GemmCall(Trans, NoTrans, 0.001, e0, f1, 1, w), GemmCall(Trans, NoTrans, 0.001, e1, f1, 1, w1))
			e.Run(calls)
		})
		require.Zero(t, allocs, "%s/%d threads", e.KernelSet(), e.Threads())
	}
}
