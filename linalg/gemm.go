package linalg

import (
	"fmt"

	"github.com/pcgo/pcgo/internal/asm"
)

// Op says whether a GEMM operand is used as stored or transposed.
type Op bool

const (
	NoTrans Op = false // use the matrix as stored
	Trans   Op = true  // use its transpose
)

// blocking holds the cache-blocking sizes of the GEMM driver (the BLIS
// scheme): a kc-deep slice of op(B) of up to nc columns is packed once and
// stays in L2; an mc×kc block of op(A) is packed and reused against it; the
// micro-kernel walks MR×NR tiles with one NR-wide B panel held in L1.
type blocking struct {
	mr, nr     int
	mc, kc, nc int
}

func blockingFor(k *asm.Kernels) blocking {
	b := blocking{mr: k.MR, nr: k.NR, kc: 256}
	b.mc = roundUp(96, k.MR)
	b.nc = roundUp(512, k.NR)
	if k.Name == "avx2" {
		// Measured on the PC shapes (batch 50, layers 784/256) and 1024³,
		// single thread. kc = 264, a multiple of 8 (the transposing packs
		// work in 8-step blocks), splits k = 784 into 264+264+256 instead of
		// leaving a 16-deep remainder, and keeps a 6×16 tile's panels
		// (16.5 KB of B, 6.2 KB of A) within half of a 32 KB L1. The A block
		// (mc×kc = 96×264, 99 KB) stays in L2 even on a 512 KB Zen 2 L2; the
		// B block (kc×nc, 528 KB) lives in L2 here and in L3 there, as in
		// BLIS. Larger mc or nc measured no faster (nc = 1024 slower on
		// pred0), the differences within ±2%.
		b.kc = 264
	}
	return b
}

// bufLen is the packing buffer one serial GEMM needs: an A block and a B block.
func (b blocking) bufLen() int { return b.mc*b.kc + b.kc*b.nc }

func roundUp(x, to int) int { return (x + to - 1) / to * to }

// gemmArgs is one GEMM call, C = alpha·op(A)·op(B) + beta·C, on a block of C.
type gemmArgs struct {
	tA, tB      Op
	alpha, beta float32
	a, b, c     Matrix
}

// Gemm computes C = alpha·op(A)·op(B) + beta·C, where op(X) is X or Xᵀ as
// tA and tB say. op(A) must be m×k, op(B) k×n and C m×n; C must not overlap A
// or B. When beta is 0, C is only written, so NaNs in it do not propagate.
//
// Large calls are split by blocks of C across the engine's threads. Gemm
// panics if the shapes disagree, as a programming error.
func (e *Engine) Gemm(tA, tB Op, alpha float32, a, b Matrix, beta float32, c Matrix) {
	m, k := a.Rows, a.Cols
	if tA {
		m, k = k, m
	}
	kb, n := b.Rows, b.Cols
	if tB {
		kb, n = n, kb
	}
	a.valid("Gemm A")
	b.valid("Gemm B")
	c.valid("Gemm C")
	if kb != k || c.Rows != m || c.Cols != n {
		panic(fmt.Sprintf("linalg: Gemm: op(A) is %d×%d, op(B) %d×%d, C %d×%d", m, k, kb, n, c.Rows, c.Cols))
	}
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		e.Scale(beta, c)
		return
	}
	g := gemmArgs{tA: tA, tB: tB, alpha: alpha, beta: beta, a: a, b: b, c: c}
	parts, alongN := e.split(m, n, k)
	if parts == 1 {
		e.gemmBlocked(g, e.bufs[0])
		return
	}
	e.wg.Add(parts - 1)
	for p := parts - 1; p >= 0; p-- {
		sub := g.part(p, parts, alongN, e.blk)
		if p == 0 {
			e.gemmBlocked(sub, e.bufs[0])
			break
		}
		pool.tasks <- task{e: e, part: p, g: sub}
	}
	e.wg.Wait()
}

// minParallelFlops is the smallest call worth splitting across goroutines:
// below it, handing work to another core costs more than it saves.
const minParallelFlops = 1 << 18

// split decides how many parts a call of shape m×n×k runs as, and whether
// they divide the columns (alongN) or the rows of C. Parts are whole
// micro-tiles, so the split never changes how any element is computed.
func (e *Engine) split(m, n, k int) (parts int, alongN bool) {
	if e.threads == 1 || 2*m*n*k < minParallelFlops {
		return 1, true
	}
	tilesN := (n + e.blk.nr - 1) / e.blk.nr
	tilesM := (m + e.blk.mr - 1) / e.blk.mr
	alongN = tilesN >= tilesM || tilesN >= e.threads
	tiles := tilesM
	if alongN {
		tiles = tilesN
	}
	return min(e.threads, tiles), alongN
}

// part returns the p-th of parts blocks of g, splitting C's columns (alongN)
// or rows into runs of whole micro-tiles.
func (g gemmArgs) part(p, parts int, alongN bool, blk blocking) gemmArgs {
	dim, unit := g.c.Rows, blk.mr
	if alongN {
		dim, unit = g.c.Cols, blk.nr
	}
	tiles := (dim + unit - 1) / unit
	lo := min(dim, (tiles*p/parts)*unit)
	hi := min(dim, (tiles*(p+1)/parts)*unit)
	if alongN {
		g.c = g.c.View(0, lo, g.c.Rows, hi-lo)
		if g.tB {
			g.b = g.b.View(lo, 0, hi-lo, g.b.Cols)
		} else {
			g.b = g.b.View(0, lo, g.b.Rows, hi-lo)
		}
		return g
	}
	g.c = g.c.View(lo, 0, hi-lo, g.c.Cols)
	if g.tA {
		g.a = g.a.View(0, lo, g.a.Rows, hi-lo)
	} else {
		g.a = g.a.View(lo, 0, hi-lo, g.a.Cols)
	}
	return g
}

// gemmBlocked runs one GEMM serially with the packing buffer buf.
func (e *Engine) gemmBlocked(g gemmArgs, buf []float32) {
	k, blk := e.k, e.blk
	m, n := g.c.Rows, g.c.Cols
	kk := g.a.Cols
	if g.tA {
		kk = g.a.Rows
	}
	if m == 0 || n == 0 {
		return
	}
	apack := buf[:blk.mc*blk.kc]
	bpack := buf[blk.mc*blk.kc:]
	ldc := g.c.Stride
	for jc := 0; jc < n; jc += blk.nc {
		nc := min(blk.nc, n-jc)
		for pc := 0; pc < kk; pc += blk.kc {
			kc := min(blk.kc, kk-pc)
			beta := g.beta
			if pc > 0 {
				beta = 1
			}
			k.PackB(bpack, g.b.Data[opOffset(g.b, g.tB, pc, jc):], g.b.Stride, bool(g.tB), kc, nc)
			for ic := 0; ic < m; ic += blk.mc {
				mc := min(blk.mc, m-ic)
				k.PackA(apack, g.a.Data[opOffset(g.a, g.tA, ic, pc):], g.a.Stride, bool(g.tA), mc, kc)
				for jr := 0; jr < nc; jr += blk.nr {
					bp := bpack[(jr/blk.nr)*kc*blk.nr:]
					nr := min(blk.nr, nc-jr)
					for ir := 0; ir < mc; ir += blk.mr {
						ap := apack[(ir/blk.mr)*kc*blk.mr:]
						off := (ic+ir)*ldc + jc + jr
						k.GemmTile(kc, ap, bp, g.c.Data[off:], ldc, min(blk.mr, mc-ir), nr, g.alpha, beta)
					}
				}
			}
		}
	}
}

// opOffset is the index in x.Data of element (i, j) of op(x).
func opOffset(x Matrix, t Op, i, j int) int {
	if t {
		return j*x.Stride + i
	}
	return i*x.Stride + j
}
