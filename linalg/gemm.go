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
// op(B) is b (as tB says) or, when bp is set, columns bj … bj+C.Cols−1 of
// the packed operand bp.
type gemmArgs struct {
	tA, tB      Op
	alpha, beta float32
	a, b, c     Matrix
	bp          *Packed
	bj          int
	epi         epilogue
	// dense, set for a call restricted to rows (Call.Rows), cuts the rows
	// of C into micro-tiles so that none has fewer rows than the kernels
	// sum in one chain (see tiling).
	dense bool
	// tail, when it has rows, is a part's share of a partial last row tile:
	// rows of C below the block's, fewer than MR, computed for their
	// columns j0 … j1−1 only, in the same loops as the block, while each B
	// panel is in the L1 cache. Its c, a and epi have all of the block's
	// columns.
	tail struct {
		c, a   Matrix
		epi    epilogue
		j0, j1 int
	}
}

// epilogue is an element-wise pass fused into a GEMM: each part runs it on
// its own block of C as soon as the block is final, while the block is
// still in cache and on all threads at once.
type epilogue struct {
	kind    epiKind
	r, e, f Matrix // the operands of the pass, each the shape of C
	ir      float32
}

type epiKind uint8

const (
	epiNone     epiKind = iota
	epiResidual         // C = R − C, returning Σ C²  (Residual)
	epiReluStep         // R += ir·(−E + C ⊙ [R ≥ 0]), F = max(R, 0)  (ReluStep)
)

// view returns the epilogue restricted to the block of C at (i, j).
func (p epilogue) view(i, j, rows, cols int) epilogue {
	switch p.kind {
	case epiResidual:
		p.r = p.r.View(i, j, rows, cols)
	case epiReluStep:
		p.r = p.r.View(i, j, rows, cols)
		p.e = p.e.View(i, j, rows, cols)
		p.f = p.f.View(i, j, rows, cols)
	}
	return p
}

// run applies the epilogue to columns j0 … j1−1 of c (its block of C) and
// returns the sum of squares of a residual (0 for other kinds). Rows are
// summed in float32 by the kernel and across rows in float64.
func (p *epilogue) run(k *asm.Kernels, c Matrix, j0, j1 int) float64 {
	var sum float64
	switch p.kind {
	case epiResidual:
		for i := 0; i < c.Rows; i++ {
			row := c.Row(i)[j0:j1]
			sum += float64(k.SubSq(row, p.r.Row(i)[j0:j1], row))
		}
	case epiReluStep:
		for i := 0; i < c.Rows; i++ {
			k.ReluDerivUpdate(p.r.Row(i)[j0:j1], p.e.Row(i)[j0:j1], c.Row(i)[j0:j1], p.f.Row(i)[j0:j1], p.ir)
		}
	}
	return sum
}

// Gemm computes C = alpha·op(A)·op(B) + beta·C, where op(X) is X or Xᵀ as
// tA and tB say. op(A) must be m×k, op(B) k×n and C m×n; C must not overlap A
// or B. When beta is 0, C is only written, so NaNs in it do not propagate.
//
// Large calls are split by blocks of C across the engine's threads. Gemm
// panics if the shapes disagree, as a programming error.
func (e *Engine) Gemm(tA, tB Op, alpha float32, a, b Matrix, beta float32, c Matrix) {
	kb, n := b.Rows, b.Cols
	if tB {
		kb, n = n, kb
	}
	b.valid(gemmNames.b)
	e.gemm(gemmNames, &gemmArgs{tA: tA, tB: tB, alpha: alpha, beta: beta, a: a, b: b, c: c}, kb, n)
}

// callNames name a GEMM entry point and its operands in panic messages
// (constants, so that a call builds no strings); b is empty for the calls
// that take op(B) packed.
type callNames struct{ call, a, b, c string }

var gemmNames = callNames{"Gemm", "Gemm A", "Gemm B", "Gemm C"}

// gemm checks the shapes of g, op(B) being kb×n, and runs it: serially or
// split across the engine's threads. It returns the epilogue's sum: over the
// parts in order, so it depends on the thread count (C does not).
func (e *Engine) gemm(names callNames, g *gemmArgs, kb, n int) float64 {
	m, k, sum, loops := e.prepare(names, g, kb, n)
	if !loops {
		return sum
	}
	parts, alongN := e.split(m, n, k, g.bp != nil)
	if parts == 1 {
		return e.gemmBlocked(g, e.bufs[0])
	}
	e.call = splitCall{kind: callGemm, parts: parts, g: *g, alongN: alongN}
	e.fork()
	e.runPart(0)
	e.join()
	for p := 0; p < parts; p++ {
		sum += e.sums[p].v
	}
	return sum
}

// prepare checks the shapes of g, op(B) being kb×n, and returns op(A)'s m×k.
// A call with no GEMM loops to run (C empty, or k or alpha zero) it
// completes itself: loops is then false and sum the epilogue's.
func (e *Engine) prepare(names callNames, g *gemmArgs, kb, n int) (m, k int, sum float64, loops bool) {
	m, k = g.a.Rows, g.a.Cols
	if g.tA {
		m, k = k, m
	}
	g.a.valid(names.a)
	g.c.valid(names.c)
	if kb != k || g.c.Rows != m || g.c.Cols != n {
		panic(fmt.Sprintf("linalg: %s: op(A) is %d×%d, op(B) %d×%d, C %d×%d", names.call, m, k, kb, n, g.c.Rows, g.c.Cols))
	}
	if m == 0 || n == 0 {
		return m, k, 0, false
	}
	if k == 0 || g.alpha == 0 {
		e.Scale(g.beta, g.c)
		sum = g.epi.run(e.k, g.c, 0, n)
		if t := &g.tail; t.c.Rows > 0 && t.j0 < t.j1 {
			// A call restricted to rows (Call.Rows) with a tail of its own.
			e.Scale(g.beta, t.c.View(0, t.j0, t.c.Rows, t.j1-t.j0))
			sum += t.epi.run(e.k, t.c, t.j0, t.j1)
		}
		return m, k, sum, false
	}
	return m, k, 0, true
}

// minParallelFlops is the smallest call worth splitting across goroutines:
// below it, handing work to another core costs more than it saves.
const minParallelFlops = 1 << 18

// packCost is what packing one float32 costs, in floating-point operations
// of the micro-kernel (measured: about 0.15 ns a value against 100 GFLOP/s).
const packCost = 16

// split decides how many parts a call of shape m×n×k runs as, and whether
// they divide the columns of C (alongN) or its rows (see gemmArgs.part).
// Parts are made of whole micro-tiles, so the split never changes how any
// element is computed. Of the two directions it takes the one whose largest
// part costs least: its share of the arithmetic plus its packing (a column
// part packs all of op(A), a row part all of op(B) unless packedB). On a tie
// it splits rows: a call's rows are then the same rows on the same thread as
// in the previous call of the same batch, which keeps the predictive-coding
// loop's activities in the cache of the core that works on them.
func (e *Engine) split(m, n, k int, packedB bool) (parts int, alongN bool) {
	return e.splitIn(m, n, k, packedB, minParallelFlops)
}

// splitIn is split for calls of at least minFlops.
func (e *Engine) splitIn(m, n, k int, packedB bool, minFlops float64) (parts int, alongN bool) {
	flops := 2 * float64(m) * float64(n) * float64(k)
	if e.threads == 1 || flops < minFlops {
		return 1, true
	}
	mr, nr := e.blk.mr, e.blk.nr
	colTiles := (n + nr - 1) / nr
	packA, packB := float64(m)*float64(k), float64(k)*float64(n)
	if packedB {
		packB = 0
	}
	// Along N: each part takes a run of whole column tiles.
	pN := min(e.threads, colTiles)
	colsN := min(n, (colTiles+pN-1)/pN*nr)
	cN := flops*float64(colsN)/float64(n) + packCost*(packA+packB/float64(pN))
	// Along M: each part takes a run of whole row tiles, and a run of the
	// column tiles of the last, partial row tile.
	full, rem := m/mr, m%mr
	pM := min(e.threads, max(full, 1))
	work := float64((full+pM-1)/pM*mr) * float64(n)
	if rem > 0 {
		work += float64(rem) * float64(min(n, (colTiles+pM-1)/pM*nr))
	}
	cM := flops*work/(float64(m)*float64(n)) + packCost*(packB+packA/float64(pM))
	if full == 0 || cN < cM {
		return pN, true
	}
	return pM, false
}

// part returns the p-th of parts parts of g. Along N, part p is a run of
// whole column tiles of C. Along M, it is a run of whole row tiles (all
// columns) and, when m is not a multiple of MR, a run of whole column tiles
// of the last, partial row tile (its tail): so a batch of 50 rows on two
// threads is split 24 + 24 full rows, each with half of the last two rows,
// instead of 24 and 26 rows.
func (g *gemmArgs) part(p, parts int, alongN bool, blk blocking) gemmArgs {
	if alongN {
		tiles := (g.c.Cols + blk.nr - 1) / blk.nr
		lo := min(g.c.Cols, (tiles*p/parts)*blk.nr)
		hi := min(g.c.Cols, (tiles*(p+1)/parts)*blk.nr)
		return g.block(0, g.c.Rows, lo, hi)
	}
	full := g.c.Rows / blk.mr
	lo, hi := (full*p/parts)*blk.mr, (full*(p+1)/parts)*blk.mr
	out := g.block(lo, hi, 0, g.c.Cols)
	if r0 := full * blk.mr; r0 < g.c.Rows {
		tiles := (g.c.Cols + blk.nr - 1) / blk.nr
		t := g.block(r0, g.c.Rows, 0, g.c.Cols)
		out.tail.c, out.tail.a, out.tail.epi = t.c, t.a, t.epi
		out.tail.j0 = min(g.c.Cols, (tiles*p/parts)*blk.nr)
		out.tail.j1 = min(g.c.Cols, (tiles*(p+1)/parts)*blk.nr)
	}
	return out
}

// splitTail returns g without its tail, and the tail as a call of its own,
// for blocks too tall to share the loops with their tail.
func (g *gemmArgs) splitTail() (block, tail gemmArgs) {
	block, tail = *g, *g
	block.tail.c = Matrix{}
	tail.tail.c = Matrix{}
	j0, j1 := g.tail.j0, g.tail.j1
	tail.c = g.tail.c.View(0, j0, g.tail.c.Rows, j1-j0)
	tail.a = g.tail.a
	tail.epi = g.tail.epi.view(0, j0, g.tail.c.Rows, j1-j0)
	tail.colsOfB(j0, j1)
	return block, tail
}

// block returns g restricted to rows i0 … i1−1 and columns j0 … j1−1 of C.
func (g *gemmArgs) block(i0, i1, j0, j1 int) gemmArgs {
	s := *g
	s.c = s.c.View(i0, j0, i1-i0, j1-j0)
	s.epi = s.epi.view(i0, j0, i1-i0, j1-j0)
	s.colsOfB(j0, j1)
	if s.tA {
		s.a = s.a.View(0, i0, s.a.Rows, i1-i0)
	} else {
		s.a = s.a.View(i0, 0, i1-i0, s.a.Cols)
	}
	return s
}

// colsOfB restricts op(B) to its columns j0 … j1−1.
func (g *gemmArgs) colsOfB(j0, j1 int) {
	switch {
	case g.bp != nil:
		g.bj += j0
	case bool(g.tB):
		g.b = g.b.View(j0, 0, j1-j0, g.b.Cols)
	default:
		g.b = g.b.View(0, j0, g.b.Rows, j1-j0)
	}
}

// gemmBlocked runs one GEMM serially with the packing buffer buf: the one
// implementation of the blocked loops, for packed and unpacked op(B) alike.
// It returns the epilogue's sum.
func (e *Engine) gemmBlocked(g *gemmArgs, buf []float32) float64 {
	k, blk := e.k, e.blk
	m, n := g.c.Rows, g.c.Cols
	kk := g.a.Cols
	if g.tA {
		kk = g.a.Rows
	}
	tr := g.tail.c.Rows // rows of the tail, 0 without one
	if tr > 0 && (m > blk.mc-blk.mr || g.tail.j0 >= g.tail.j1) {
		// The block takes more than one mc block of A (or the tail has no
		// columns): run the two one after the other.
		block, tail := g.splitTail()
		sum := e.gemmBlocked(&block, buf)
		if g.tail.j0 < g.tail.j1 {
			sum += e.gemmBlocked(&tail, buf)
		}
		return sum
	}
	if m == 0 && tr == 0 || n == 0 {
		return 0
	}
	var sum float64
	apack := buf[:blk.mc*blk.kc]
	bpack := buf[blk.mc*blk.kc:]
	ncBlock := blk.nc
	if g.bp != nil && m <= blk.mc {
		// op(B) is packed already and op(A) is one block: no B block to
		// keep in cache, so take all columns at once and pack A once.
		ncBlock = n
	}
	ldc := g.c.Stride
	ts := blk.tiling(m, g.dense, k.OneChainRows)
	for jc := 0; jc < n; jc += ncBlock {
		nc := min(ncBlock, n-jc)
		for pc := 0; pc < kk; pc += blk.kc {
			kc := min(blk.kc, kk-pc)
			beta := g.beta
			if pc > 0 {
				beta = 1
			}
			bp := bpack
			if g.bp != nil {
				bp = g.bp.panels(pc, g.bj+jc)
			} else {
				k.PackB(bpack, g.b.Data[opOffset(g.b, g.tB, pc, jc):], g.b.Stride, bool(g.tB), kc, nc)
			}
			// mc blocks of rows: runs of up to mc/MR tiles, one A panel each.
			perBlock := blk.mc / blk.mr
			for t0 := 0; t0 < ts.n || t0 == 0 && tr > 0; t0 += perBlock {
				t1 := min(ts.n, t0+perBlock)
				e.packTiles(apack, g, ts, t0, t1, pc, kc)
				// The tail's A panel follows the block's (one mc block:
				// t0 == 0 is the only pass).
				tap := apack[(t1-t0)*kc*blk.mr:]
				if tr > 0 {
					k.PackA(tap, g.tail.a.Data[opOffset(g.tail.a, g.tA, 0, pc):], g.tail.a.Stride, bool(g.tA), tr, kc)
				}
				for jr := 0; jr < nc; jr += blk.nr {
					bpr := bp[(jr/blk.nr)*kc*blk.nr:]
					nr := min(blk.nr, nc-jr)
					for t := t0; t < t1; t++ {
						i, rows := ts.tile(t)
						ap := apack[(t-t0)*kc*blk.mr:]
						k.GemmTile(kc, ap, bpr, g.c.Data[i*ldc+jc+jr:], ldc, rows, nr, g.alpha, beta)
					}
					if j := jc + jr; tr > 0 && j >= g.tail.j0 && j < g.tail.j1 {
						k.GemmTile(kc, tap, bpr, g.tail.c.Data[j:], g.tail.c.Stride, tr, min(nr, g.tail.j1-j), g.alpha, beta)
					}
				}
				if t1 == ts.n {
					break // with a tail, one mc block covers the block (m ≤ mc − MR)
				}
			}
		}
		// Columns jc … jc+nc−1 of C are final.
		if g.epi.kind != epiNone {
			sum += g.epi.run(k, g.c, jc, jc+nc)
			if j0, j1 := max(jc, g.tail.j0), min(jc+nc, g.tail.j1); tr > 0 && j0 < j1 {
				sum += g.tail.epi.run(k, g.tail.c, j0, j1)
			}
		}
	}
	return sum
}

// tiling is how the driver cuts the m rows of a block of C into n =
// ⌈m/MR⌉ micro-tiles: MR rows each and the last the rest, or, when dense,
// as many of MR rows as leave the others at least one rows (those come
// last, as even as they go: 25 rows are 6, 6, 4, 4, 5). Kernels may sum
// the elements of a tile of few rows differently from a full tile's
// (asm.Kernels.OneChainRows), so a restricted call (Call.Rows), whose rows
// are all of the full tiles' kind, cuts them densely with one =
// OneChainRows; the plain cut defines the bits of every other call.
type tiling struct {
	m, n, mr int
	dense    bool
	full     int // tiles of MR rows, first
	short    int // rows of the dx tiles after them; the others have one more
	dx       int
}

func (b blocking) tiling(m int, dense bool, one int) tiling {
	t := tiling{m: m, n: (m + b.mr - 1) / b.mr, mr: b.mr, dense: dense}
	if !dense {
		t.full = m / b.mr
		return t
	}
	deficit := t.n*b.mr - m // rows the tiles fall short of n full ones
	if deficit == 0 {
		t.full = t.n
		return t
	}
	reduce := min(t.n, (deficit+max(1, b.mr-one)-1)/max(1, b.mr-one))
	t.full = t.n - reduce
	d := deficit / reduce
	t.dx = deficit % reduce
	t.short = b.mr - d - 1
	return t
}

// tile returns the first row of tile i and its number of rows.
func (t tiling) tile(i int) (row, rows int) {
	if !t.dense {
		return i * t.mr, min(t.mr, t.m-i*t.mr)
	}
	if i < t.full {
		return i * t.mr, t.mr
	}
	j := i - t.full
	row = t.full * t.mr
	if j < t.dx {
		return row + j*t.short, t.short
	}
	return row + t.dx*t.short + (j-t.dx)*(t.short+1), t.short + 1
}

// packTiles packs op(A)'s tiles t0 … t1−1 of the block of g, for the kc steps
// from pc, into consecutive panels of apack, one a tile: the plain tiles,
// and the full ones that come first in a dense cut, with one PackA call.
func (e *Engine) packTiles(apack []float32, g *gemmArgs, ts tiling, t0, t1, pc, kc int) {
	if t0 >= t1 {
		return
	}
	mr := e.blk.mr
	full := max(t0, min(t1, ts.full)) // tiles t0 … full−1: MR rows each
	if !ts.dense {
		full = t1 // and the last, partial one: PackA pads its panel
	}
	if full > t0 {
		i0, _ := ts.tile(t0)
		i1, rows := ts.tile(full - 1)
		e.k.PackA(apack, g.a.Data[opOffset(g.a, g.tA, i0, pc):], g.a.Stride, bool(g.tA), i1+rows-i0, kc)
	}
	for t := full; t < t1; t++ {
		i, rows := ts.tile(t)
		e.k.PackA(apack[(t-t0)*kc*mr:], g.a.Data[opOffset(g.a, g.tA, i, pc):], g.a.Stride, bool(g.tA), rows, kc)
	}
}

// opOffset is the index in x.Data of element (i, j) of op(x).
func opOffset(x Matrix, t Op, i, j int) int {
	if t {
		return j*x.Stride + i
	}
	return i*x.Stride + j
}
