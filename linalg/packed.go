package linalg

import (
	"fmt"

	"github.com/pcgo/pcgo/internal/asm"
)

// Packed is the right-hand operand op(B) of a GEMM, k×n, packed once in the
// panel layout of one kernel set, so that calls which reuse the operand (the
// weights of a network across the inference steps of one Learn) skip the
// packing that Gemm does on every call. GemmPacked reads it.
//
// A Packed is a copy: it does not follow later changes of the matrix it was
// packed from. Pack it again after the matrix changes.
//
// Layout: for each kc-deep block of rows of op(B) (the engine's cache
// blocking), ⌈n/NR⌉ panels of kc·NR values, exactly what Gemm packs for that
// block; the block starting at row pc begins at pc·⌈n/NR⌉·NR.
type Packed struct {
	k     *asm.Kernels
	kc    int
	rows  int // k: rows of op(B)
	cols  int // n: columns of op(B)
	panel int // ⌈n/NR⌉·NR
	data  []float32
}

// NewPacked returns storage for op(B) packed for e's kernel set, where B is
// rows×cols as stored and t says whether op(B) is B or Bᵀ. Pack fills it;
// packing a matrix of the same shape again allocates nothing.
func NewPacked(e *Engine, t Op, rows, cols int) *Packed {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("linalg: NewPacked: negative dimensions %d×%d", rows, cols))
	}
	if t {
		rows, cols = cols, rows
	}
	p := &Packed{k: e.k, kc: e.blk.kc}
	p.data = make([]float32, rows*roundUp(cols, e.blk.nr))
	return p
}

// Rows and Cols return the shape of op(B) last packed into p.
func (p *Packed) Rows() int { return p.rows }
func (p *Packed) Cols() int { return p.cols }

// KernelSet returns the name of the kernel set whose layout p holds.
func (p *Packed) KernelSet() string { return p.k.Name }

// panels returns the packed panels of the kc block starting at row pc of
// op(B), from column j (a multiple of NR) on.
func (p *Packed) panels(pc, j int) []float32 {
	kc := min(p.kc, p.rows-pc)
	return p.data[pc*p.panel+j*kc:]
}

// check panics unless p was packed for e.
func (p *Packed) check(e *Engine, name string) {
	if p.k != e.k || p.kc != e.blk.kc {
		panic(fmt.Sprintf("linalg: %s: operand packed for the %s kernel set, engine runs %s", name, p.k.Name, e.k.Name))
	}
}

// packArgs is a part of one Pack call: rows r0 … r1−1 of panels q0 … q1−1
// of op(B) (of a split call: all of them).
type packArgs struct {
	dst    *Packed
	t      Op
	b      Matrix
	q0, q1 int
	r0, r1 int
	// byRows says how a split call is split: by rows of op(B) (b not
	// transposed) or by panels (b transposed); either way each part reads
	// a run of b's rows as stored.
	byRows bool
}

// Pack packs op(b) into dst, which must have been made by NewPacked for an
// engine with the same kernel set and room for op(b). Large operands are
// packed by all of e's threads, each reading a run of b's rows as stored:
// the rows that a GEMM which wrote b (split by rows of its output, as the
// weight update of predictive coding is) wrote on the same thread, so that
// they need not cross between cores' caches.
func (e *Engine) Pack(dst *Packed, t Op, b Matrix) {
	dst.check(e, "Pack")
	b.valid("Pack")
	k, n := b.Rows, b.Cols
	if t {
		k, n = n, k
	}
	panel := roundUp(n, e.blk.nr)
	if k*panel > len(dst.data) {
		panic(fmt.Sprintf("linalg: Pack: op(B) is %d×%d, more than the packed operand holds", k, n))
	}
	dst.rows, dst.cols, dst.panel = k, n, panel
	if k == 0 || n == 0 {
		return
	}
	panels := panel / e.blk.nr
	pa := packArgs{dst: dst, t: t, b: b, q1: panels, r1: k, byRows: !bool(t)}
	parts := 1
	if e.threads > 1 && k*n >= minParallelFlops/packCost {
		parts = min(e.threads, panels)
		if pa.byRows {
			parts = min(e.threads, k)
		}
	}
	if parts == 1 {
		e.packPanels(pa)
		return
	}
	e.call = splitCall{kind: callPack, parts: parts, pk: pa}
	e.fork()
	e.runPart(0)
	e.join()
}

// part returns part p of the split Pack call a.
func (a packArgs) part(p, parts int) packArgs {
	if a.byRows {
		a.r0, a.r1 = a.r1*p/parts, a.r1*(p+1)/parts
	} else {
		a.q0, a.q1 = a.q1*p/parts, a.q1*(p+1)/parts
	}
	return a
}

// packPanels packs rows r0 … r1−1 of panels q0 … q1−1 of op(B): whole kc
// blocks of rows with one PackB call, the rows of a block that a part
// shares with another panel by panel.
func (e *Engine) packPanels(a packArgs) {
	p, nr := a.dst, e.blk.nr
	j0, j1 := a.q0*nr, min(p.cols, a.q1*nr)
	if j0 >= j1 || a.r0 >= a.r1 {
		return
	}
	for pc := a.r0 / p.kc * p.kc; pc < a.r1; pc += p.kc {
		kc := min(p.kc, p.rows-pc)
		r0, r1 := max(pc, a.r0), min(pc+kc, a.r1)
		if r0 == pc && r1 == pc+kc {
			e.k.PackB(p.panels(pc, j0), a.b.Data[opOffset(a.b, a.t, pc, j0):], a.b.Stride, bool(a.t), kc, j1-j0)
			continue
		}
		for j := j0; j < j1; j += nr {
			dst := p.panels(pc, j)[(r0-pc)*nr:]
			e.k.PackB(dst, a.b.Data[opOffset(a.b, a.t, r0, j):], a.b.Stride, bool(a.t), r1-r0, min(nr, j1-j))
		}
	}
}

var gemmPackedNames = callNames{"GemmPacked", "GemmPacked A", "", "GemmPacked C"}

// GemmPacked computes C = alpha·op(A)·B + beta·C like Gemm, with op(B)
// packed by Pack. It runs the same loops and the same split as Gemm, so its
// results equal Gemm's bit for bit. It panics if b was packed for another
// kernel set.
func (e *Engine) GemmPacked(tA Op, alpha float32, a Matrix, b *Packed, beta float32, c Matrix) {
	b.check(e, "GemmPacked")
	call := GemmPackedCall(tA, alpha, a, b, beta, c)
	e.gemm(call.names, &call.g, b.rows, b.cols)
}

var residualNames = callNames{"Residual", "Residual A", "", "Residual C"}

// Residual computes the residual Dst = R − op(A)·B, with B packed by Pack,
// and returns Σ Dst², from one pass fused into the GEMM (each thread
// finishes its own block of Dst). Dst must not overlap R, A or B.
//
// Dst equals, bit for bit, what GemmPacked into a matrix P followed by
// SubSq(Dst, R, P) gives. The sum is summed by row within each thread's
// block, so its last bits depend on the thread count; with one thread it
// equals SubSq's.
func (e *Engine) Residual(dst, r Matrix, tA Op, a Matrix, b *Packed) float64 {
	b.check(e, "Residual")
	sameShape("Residual", dst, r)
	call := ResidualCall(dst, r, tA, a, b)
	return e.gemm(call.names, &call.g, b.rows, b.cols)
}

var reluStepNames = callNames{"ReluStep", "ReluStep A", "", "ReluStep G"}

// ReluStep is a GEMM fused with ReluDerivUpdate:
//
//	G = op(A)·B,  then  R += ir · (−E + G ⊙ [R ≥ 0]),  F = max(R, 0),
//
// with B packed by Pack and G a scratch matrix the shape of R. Each thread
// updates its own block of R and F right after computing it. The results
// equal GemmPacked followed by ReluDerivUpdate, bit for bit.
func (e *Engine) ReluStep(r, errs, f Matrix, ir float32, tA Op, a Matrix, b *Packed, g Matrix) {
	b.check(e, "ReluStep")
	sameShape("ReluStep", r, errs, g, f)
	call := ReluStepCall(r, errs, f, ir, tA, a, b, g)
	e.gemm(call.names, &call.g, b.rows, b.cols)
}
