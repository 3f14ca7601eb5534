package linalg

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRowPartsCoverTheRows: the parts of every batch on every thread count
// take each row once; each part's run of rows is cut by tiles that all
// sum in one chain, as full tiles do; the rows of a last tile that sums
// apart go whole to the first part; there are no more parts than threads,
// and more than one whenever the rows allow it.
func TestRowPartsCoverTheRows(t *testing.T) {
	for _, set := range KernelSets() {
		for threads := 1; threads <= 5; threads++ {
			e := MustEngine(Options{Kernels: set, Threads: threads})
			mr, one := e.blk.mr, e.k.OneChainRows
			var parts []RowPart
			for m := 0; m <= 130; m++ {
				parts = e.RowParts(m, parts)
				name := fmt.Sprintf("%s, %d threads, %d rows: %v", set, threads, m, parts)
				require.NotEmpty(t, parts, name)
				require.LessOrEqual(t, len(parts), threads, name)
				body := m - m%mr
				if m%mr >= one {
					body = m
				}
				if len(parts) == 1 {
					want := RowPart{Lo: 0, Hi: m}
					if body > 0 && body < m {
						want = RowPart{Lo: 0, Hi: body, T0: body, T1: m}
					}
					require.Equal(t, want, parts[0], name)
					continue
				}
				seen := make([]int, m)
				for p, rp := range parts {
					require.Less(t, rp.Lo, rp.Hi, name)
					require.LessOrEqual(t, rp.Hi, body, name)
					if p == 0 && body < m {
						require.Equal(t, [2]int{body, m}, [2]int{rp.T0, rp.T1}, name)
					} else {
						require.Equal(t, rp.T0, rp.T1, name)
					}
					ts := e.blk.tiling(rp.Hi-rp.Lo, true, one)
					for i := 0; i < ts.n; i++ {
						_, rows := ts.tile(i)
						require.GreaterOrEqual(t, rows, one, "%s: part %d, tile %d", name, p, i)
						require.LessOrEqual(t, rows, mr, "%s: part %d, tile %d", name, p, i)
					}
					for i := rp.Lo; i < rp.Hi; i++ {
						seen[i]++
					}
					for i := rp.T0; i < rp.T1; i++ {
						seen[i]++
					}
					require.Equal(t, rp.Hi-rp.Lo+rp.T1-rp.T0, rp.Rows(), name)
				}
				for i, n := range seen {
					require.Equal(t, 1, n, "%s: row %d", name, i)
				}
			}
		}
	}
	if e, err := NewEngine(Options{Kernels: "avx2", Threads: 2}); err == nil && e.blk.mr == 6 && e.k.OneChainRows == 4 {
		// The seed's batch: 23 rows and the last 2 against 25.
		require.Equal(t, []RowPart{{0, 23, 48, 50}, {23, 48, 0, 0}}, e.RowParts(50, nil))
	}
}

// TestHalve: a halved part's two halves take its rows once, the tail with
// the first; both are cut by tiles that sum as full tiles do, and are as
// even as such a cut allows; a part is left whole only when no such cut
// exists.
func TestHalve(t *testing.T) {
	for _, set := range KernelSets() {
		e := MustEngine(Options{Kernels: set, Threads: 1})
		mr, one := e.blk.mr, e.k.OneChainRows
		cut := func(n int) bool { // every tile of a dense cut of n rows has ≥ one rows
			ts := e.blk.tiling(n, true, one)
			for i := 0; i < ts.n; i++ {
				if _, rows := ts.tile(i); rows < one {
					return false
				}
			}
			return n > 0
		}
		halved := 0
		for lo := 0; lo < 8; lo++ {
			for n := 1; n <= 60; n++ {
				for _, tail := range []int{0, 2} {
					rp := RowPart{Lo: lo, Hi: lo + n}
					if tail > 0 {
						rp.T0, rp.T1 = 100, 100+tail
					}
					keep, give, ok := e.Halve(rp)
					name := fmt.Sprintf("%s: %v → %v %v", set, rp, keep, give)
					if !ok {
						for c := lo + 1; c < lo+n; c++ {
							require.False(t, cut(c-lo) && cut(lo+n-c), "%s: cut at %d", name, c)
						}
						require.Equal(t, rp, keep, name)
						continue
					}
					halved++
					require.Equal(t, RowPart{Lo: lo, Hi: keep.Hi, T0: rp.T0, T1: rp.T1}, keep, name)
					require.Equal(t, RowPart{Lo: keep.Hi, Hi: lo + n}, give, name)
					require.True(t, cut(keep.Hi-keep.Lo), name)
					require.True(t, cut(give.Hi-give.Lo), name)
					require.Equal(t, rp.Rows(), keep.Rows()+give.Rows(), name)
					require.LessOrEqual(t, max(keep.Rows()-give.Rows(), give.Rows()-keep.Rows()), 2*mr, name)
				}
			}
		}
		require.Positive(t, halved, set)
	}
	if e, err := NewEngine(Options{Kernels: "avx2", Threads: 1}); err == nil && e.blk.mr == 6 && e.k.OneChainRows == 4 {
		keep, give, ok := e.Halve(RowPart{Lo: 23, Hi: 48}) // the seed's second part
		require.True(t, ok)
		require.Equal(t, []RowPart{{23, 35, 0, 0}, {35, 48, 0, 0}}, []RowPart{keep, give})
		_, _, ok = e.Halve(RowPart{Lo: 0, Hi: 7})
		require.False(t, ok, "7 rows cut as 4 and 3")
	}
}

// TestTiling: both cuts make ⌈m/MR⌉ tiles that follow each other; the
// plain one MR rows each but the last, the dense one as many of MR rows as
// leave the others at least one rows, those at most one row apart.
func TestTiling(t *testing.T) {
	for _, mr := range []int{1, 4, 6, 8} {
		for one := 1; one <= mr; one++ {
			blk := blocking{mr: mr}
			for m := 0; m <= 200; m++ {
				for _, dense := range []bool{false, true} {
					ts := blk.tiling(m, dense, one)
					require.Equal(t, (m+mr-1)/mr, ts.n)
					name := fmt.Sprintf("mr=%d one=%d m=%d dense=%v", mr, one, m, dense)
					next, lo, hi, full := 0, mr, 0, 0
					for i := 0; i < ts.n; i++ {
						row, rows := ts.tile(i)
						require.Equal(t, next, row, "%s: tile %d", name, i)
						require.True(t, rows >= 1 && rows <= mr, "%s: tile %d has %d rows", name, i, rows)
						if !dense && i < ts.n-1 || dense && i < ts.full {
							require.Equal(t, mr, rows, "%s: tile %d", name, i)
						}
						if rows == mr && i == full {
							full++
						} else {
							lo, hi = min(lo, rows), max(hi, rows)
						}
						next += rows
					}
					require.Equal(t, m, next, name)
					if dense && ts.n > 0 && m/ts.n >= one {
						require.GreaterOrEqual(t, lo, one, name)
						require.LessOrEqual(t, hi-lo, 1, name)
						per := max(1, mr-one) // rows a short tile can give up
						require.LessOrEqual(t, ts.n-full, (ts.n*mr-m+per-1)/per, "%s: more short tiles than needed", name)
					}
				}
			}
		}
	}
}

// TestRowsIsTheWholeCall: a call restricted to each part's rows computes
// them with the bits of the whole call, for every kind of call, A as
// stored and transposed, and shapes with and without a last tile that sums
// apart, beyond one mc block of rows, k = 0 included; the parts' sums add
// up to the whole call's.
func TestRowsIsTheWholeCall(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	kinds := []string{"gemm", "gemmu", "residual", "relustep"}
	ms := []int{8, 10, 13, 25, 49, 50, 51, 100, 131, 250}
	for _, set := range KernelSets() {
		one := MustEngine(Options{Kernels: set, Threads: 1})
		for trial := 0; trial < 60; trial++ {
			m := ms[rng.IntN(len(ms))]
			n := []int{1, 10, 16, 64, 100}[rng.IntN(5)]
			k := []int{0, 3, 10, 64, 300}[rng.IntN(5)]
			bc := batchCase{kind: kinds[rng.IntN(len(kinds))], tA: Op(rng.IntN(2) == 1)}
			if bc.tA {
				bc.a = randMatrix(rng, k, m, rng.IntN(2))
			} else {
				bc.a = randMatrix(rng, m, k, rng.IntN(2))
			}
			bc.w = randMatrix(rng, n, k, rng.IntN(2))
			bc.p = NewPacked(one, Trans, n, k)
			one.Pack(bc.p, Trans, bc.w)
			bc.r, bc.e, bc.f, bc.c = randMatrix(rng, m, n, 0), randMatrix(rng, m, n, 0), New(m, n), randMatrix(rng, m, n, 0)
			whole := bc.clone()
			calls := []Call{whole.call()}
			one.Run(calls)
			for threads := 2; threads <= 4; threads++ {
				parts := MustEngine(Options{Kernels: set, Threads: threads}).RowParts(m, nil)
				// The parts, and the parts halved (Halve) as often as
				// trial says, as when threads hand rows over.
				pieces := append([]RowPart(nil), parts...)
				for range trial % 3 {
					var next []RowPart
					for _, rp := range pieces {
						if keep, give, ok := one.Halve(rp); ok {
							next = append(next, keep, give)
						} else {
							next = append(next, rp)
						}
					}
					pieces = next
				}
				got := bc.clone()
				var sum float64
				for _, rp := range pieces {
					c := []Call{got.call().Rows(rp)}
					one.Run(c)
					sum += c[0].Sum
				}
				name := fmt.Sprintf("%s %s tA=%v %d×%d×%d on %v", set, bc.kind, bc.tA, m, n, k, pieces)
				require.Equal(t, whole.c.Data, got.c.Data, name)
				require.Equal(t, whole.r.Data, got.r.Data, name)
				require.Equal(t, whole.f.Data, got.f.Data, name)
				require.InDelta(t, calls[0].Sum, sum, 1e-5*calls[0].Sum+1e-9, name)
			}
		}
	}
}

func TestRowsChecksThePart(t *testing.T) {
	c := GemmCall(NoTrans, NoTrans, 1, New(10, 3), New(3, 4), 0, New(10, 4))
	for _, rp := range []RowPart{{-1, 2, 0, 0}, {3, 2, 0, 0}, {0, 11, 0, 0}, {0, 4, 3, 5}, {0, 4, 8, 11}, {2, 2, 8, 9}, {0, 4, 6, 5}} {
		require.Panics(t, func() { c.Rows(rp) }, "%v", rp)
	}
	require.NotPanics(t, func() { c.Rows(RowPart{0, 4, 8, 10}) })
}

// partLog is a Task that records which parts ran, how often, with which
// engine.
type partLog struct {
	mu   sync.Mutex
	runs [8]int
	subs [8]*Engine
}

func (l *partLog) RunPart(p int, sub *Engine) {
	l.mu.Lock()
	l.runs[p]++
	l.subs[p] = sub
	l.mu.Unlock()
	// Some work, so that parts overlap when they can.
	x := New(50, 64)
	sub.Gemm(NoTrans, Trans, 1, x, New(64, 64), 0, New(50, 64))
}

// TestDoRunsEveryPartOnce: every part runs once, each with a one-thread
// engine of the same kernel set and buffers of its own, for every part
// count up to the threads, also with more engines than processors sharing
// the pool; Do rejects more parts than threads.
func TestDoRunsEveryPartOnce(t *testing.T) {
	for _, set := range KernelSets() {
		for threads := 1; threads <= 4; threads++ {
			e := MustEngine(Options{Kernels: set, Threads: threads})
			for parts := 0; parts <= threads; parts++ {
				var l partLog
				e.Do(&l, parts)
				for p := 0; p < 8; p++ {
					want := 0
					if p < parts {
						want = 1
					}
					require.Equal(t, want, l.runs[p], "%s, %d threads, %d parts: part %d", set, threads, parts, p)
					if p >= parts {
						continue
					}
					sub := l.subs[p]
					require.Equal(t, 1, sub.Threads())
					require.Equal(t, e.KernelSet(), sub.KernelSet())
					for q := 0; q < p; q++ {
						require.NotSame(t, l.subs[q], sub, "parts %d and %d share an engine", q, p)
						require.NotSame(t, &l.subs[q].bufs[0][0], &sub.bufs[0][0], "parts %d and %d share a buffer", q, p)
					}
				}
			}
			require.Panics(t, func() { e.Do(&partLog{}, threads+1) })
			require.Panics(t, func() { e.Do(&partLog{}, -1) })
		}
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			e := MustEngine(Options{Threads: 3})
			for range 20 {
				var l partLog
				e.Do(&l, 3)
				require.Equal(t, [8]int{1, 1, 1}, l.runs)
			}
		})
	}
	wg.Wait()
}

func TestDoAllocatesNothing(t *testing.T) {
	e := MustEngine(Options{Threads: 2})
	task := &sumTask{x: New(50, 64), w: New(64, 64), c: [2]Matrix{New(50, 64), New(50, 64)}}
	e.Do(task, 2)
	require.Zero(t, testing.AllocsPerRun(20, func() { e.Do(task, 2) }))
}

type sumTask struct {
	x, w Matrix
	c    [2]Matrix
}

func (s *sumTask) RunPart(p int, sub *Engine) { sub.Gemm(NoTrans, Trans, 1, s.x, s.w, 0, s.c[p]) }
