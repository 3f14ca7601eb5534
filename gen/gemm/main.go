// Command gemm generates internal/asm/gemm_amd64.s and its Go stubs: the
// AVX2/FMA3 GEMM micro-kernel and the packing routines that feed it.
//
// Register blocking. The micro-kernel computes an MR×NR tile of C with
// NR = 8·NV float32 columns held in NV ymm registers per row, so the tile
// lives in MR·NV accumulators for the whole k loop. One step p of the loop
// loads the NV vectors of the packed B panel (b[p*NR : p*NR+NR]), then for
// each row i broadcasts the packed A value a[p*MR+i] and issues NV FMAs:
//
//	acc[i][v] += broadcast(a[p*MR+i]) · b[p*NR+8v : p*NR+8v+8]
//
// With the default 6×16 shape that is 12 accumulators (Y0–Y11), two B
// vectors (Y12, Y13) and one broadcast register (Y14): 12 FMAs for 2 vector
// loads and 6 broadcasts per step, enough independent FMA chains (12 ≥ 2 FMA
// ports × 4-cycle latency) to keep both FMA ports busy while the loads fit the
// two load ports.
//
// Each step also prefetches the B panel 2 KiB (32 steps) ahead, so that a
// tile's first pass over a panel, and the panel after it, stream from L2 or
// from the other core's cache (where freshly packed weights are, on two
// threads) without stalling the FMAs. Measured on two threads: the first
// relaxation step after a weight update went from 136 to 105 µs, a whole
// Learn call from 4.65 to 4.42 ms.
//
// The k loop is unrolled; partial tiles with fewer rows run a copy of the
// loop specialised to that row count (no wasted FMAs), partial columns are
// finished with VMASKMOVPS loads and stores.
package main

import (
	"flag"
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/pcgo/pcgo/gen/internal/avx"
)

var (
	mrFlag     = flag.Int("mr", 6, "micro-tile rows (MR)")
	nvFlag     = flag.Int("nv", 2, "micro-tile columns in ymm vectors (NR = 8·nv)")
	unrollFlag = flag.Int("unroll", 4, "unroll factor of the k loop")
	pfFlag     = flag.Int("pf", 2048, "prefetch distance of B in bytes (0 = none)")
)

func main() {
	flag.Parse()
	mr, nv := *mrFlag, *nvFlag
	if mr < 1 || nv < 1 || mr*nv+nv+1 > 16 || mr > 13 || !(mr == 4 || mr == 5 || mr == 6 || mr == 8) {
		panic(fmt.Sprintf("unsupported micro-tile %d×%d", mr, 8*nv))
	}
	avx.Setup()
	table := avx.MaskTable("gemmMask", 32)
	shape(mr, 8*nv, oneChainRows(mr, *unrollFlag))
	gemmTile(mr, nv, *unrollFlag, table)
	packBN(8*nv, table)
	packT("packBTAVX2", "B", 8*nv, Y12)
	packT("packANAVX2", "A", mr, Y12)
	packARows(mr, Y13, table)
	packAT(mr, table)
	Generate()
}

// shape emits gemmShapeAVX2, so the Go side reads MR, NR and the kinds of
// tile (see oneChainRows) from the generated code instead of repeating them.
func shape(mr, nr, one int) {
	TEXT("gemmShapeAVX2", NOSPLIT, "func() (mr, nr, one int)")
	Doc("gemmShapeAVX2 returns the micro-tile of gemmTileAVX2 and of the packing routines,",
		"and the fewest rows of a tile whose elements gemmTileAVX2 sums in one chain.")
	r := GP64()
	MOVQ(U32(mr), r)
	Store(r, Return("mr"))
	MOVQ(U32(nr), r)
	Store(r, Return("nr"))
	MOVQ(U32(one), r)
	Store(r, Return("one"))
	RET()
}

// twoSets reports whether gemmTile gives a tile of r rows a second set of
// accumulators for the odd steps: when the registers of the missing rows
// allow it and the unrolled loop has an even number of steps.
func twoSets(r, mr, unroll int) bool { return 2*r <= mr && unroll%2 == 0 }

// oneChainRows is the fewest rows of a tile whose elements gemmTile sums in
// one chain, as full tiles are; tiles of fewer rows sum the even and the odd
// steps apart and add the two at the end, which can round differently.
func oneChainRows(mr, unroll int) int {
	for r := 1; r <= mr; r++ {
		if !twoSets(r, mr, unroll) {
			return r
		}
	}
	return mr
}

// gemmTile emits gemmTileAVX2, the micro-kernel (see Kernels.GemmTile).
func gemmTile(mr, nv, unroll int, table Mem) {
	nr := 8 * nv
	TEXT("gemmTileAVX2", NOSPLIT, "func(kc int, a, b, c []float32, ldc, mr, nr int, alpha, beta float32)")
	Pragma("noescape")
	avx.DocRef("gemmTileGeneric",
		fmt.Sprintf("gemmTileAVX2 computes one %d×%d micro-tile of C from packed panels:", mr, nr),
		"",
		fmt.Sprintf("\tacc[i][j] = Σ_{p<kc} a[p*%d+i] · b[p*%d+j]", mr, nr),
		"\tc[i*ldc+j] = alpha·acc[i][j] + beta·c[i*ldc+j]    for i < mr, j < nr",
		"",
		fmt.Sprintf("with 1 ≤ mr ≤ %d and 1 ≤ nr ≤ %d; beta == 0 does not read c. The slices are", mr, nr),
		"not bounds-checked here: the caller guarantees their lengths.",
	)
	ys := []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}
	acc := func(i, v int) VecPhysical { return ys[i*nv+v] }
	bv := ys[mr*nv : mr*nv+nv]
	av := ys[mr*nv+nv]
	// After the k loop every register past the accumulators is free.
	free := ys[mr*nv:]

	Comment("Register use: CX = k steps left, SI = packed A, DI = packed B,",
		"DX = C row, R8 = ldc in bytes, R9 = mr, R10 = nr.")
	Load(Param("kc"), RCX)
	Load(Param("a").Base(), RSI)
	Load(Param("b").Base(), RDI)
	Load(Param("c").Base(), RDX)
	Load(Param("ldc"), R8)
	SHLQ(U8(2), R8)
	Load(Param("mr"), R9)
	Load(Param("nr"), R10)

	for r := mr; r >= 1; r-- {
		next := fmt.Sprintf("rows%d", r-1)
		Label(fmt.Sprintf("rows%d", r))
		CMPQ(R9, U32(r))
		JNE(LabelRef(next))
		// A tile of few rows has too few accumulator chains to cover the FMA
		// latency (4 chains for 2 rows: half speed); when the registers of
		// the missing rows allow, a second set of accumulators takes the odd
		// steps of the unrolled loop and is added in before the epilogue.
		sets := 1
		if twoSets(r, mr, unroll) {
			sets = 2
		}
		accS := func(set, i, v int) VecPhysical { return ys[set*r*nv+i*nv+v] }
		Commentf("%d rows: accumulators Y0–Y%d (row i in Y%d·i…Y%d·i+%d)", r, sets*r*nv-1, nv, nv, nv-1)
		if sets == 2 {
			Commentf("and Y%d–Y%d for the odd steps.", r*nv, 2*r*nv-1)
		}
		for set := 0; set < sets; set++ {
			for i := 0; i < r; i++ {
				for v := 0; v < nv; v++ {
					VXORPS(accS(set, i, v), accS(set, i, v), accS(set, i, v))
				}
			}
		}
		step := func(u, set int) {
			if *pfFlag > 0 {
				PREFETCHT0(Mem{Base: RDI, Disp: 4*nr*u + *pfFlag})
			}
			for v := 0; v < nv; v++ {
				VMOVUPS(Mem{Base: RDI, Disp: 4 * (nr*u + 8*v)}, bv[v])
			}
			for i := 0; i < r; i++ {
				VBROADCASTSS(Mem{Base: RSI, Disp: 4 * (mr*u + i)}, av)
				for v := 0; v < nv; v++ {
					VFMADD231PS(bv[v], av, accS(set, i, v))
				}
			}
		}
		Comment("Prefetch the tile of C (each row's first and last byte) so that",
			"the epilogue's loads and stores do not wait on memory.")
		MOVQ(RDX, R11)
		for i := 0; i < r; i++ {
			PREFETCHT0(Mem{Base: R11})
			PREFETCHT0(Mem{Base: R11, Disp: 4*nr - 1})
			if i < r-1 {
				ADDQ(R8, R11)
			}
		}
		loop := fmt.Sprintf("loop%d", r)
		tail := fmt.Sprintf("tail%d", r)
		tailLoop := fmt.Sprintf("tailloop%d", r)
		epi := fmt.Sprintf("epilogue%d", r)
		CMPQ(RCX, U32(unroll))
		JL(LabelRef(tail))
		Label(loop)
		Commentf("k loop, unrolled %d times.", unroll)
		for u := 0; u < unroll; u++ {
			step(u, u%sets)
		}
		ADDQ(U32(4*mr*unroll), RSI)
		ADDQ(U32(4*nr*unroll), RDI)
		SUBQ(U32(unroll), RCX)
		CMPQ(RCX, U32(unroll))
		JGE(LabelRef(loop))
		Label(tail)
		TESTQ(RCX, RCX)
		JE(LabelRef(epi))
		Label(tailLoop)
		step(0, 0)
		ADDQ(U32(4*mr), RSI)
		ADDQ(U32(4*nr), RDI)
		DECQ(RCX)
		JNE(LabelRef(tailLoop))

		Label(epi)
		if sets == 2 {
			for i := 0; i < r; i++ {
				for v := 0; v < nv; v++ {
					VADDPS(accS(1, i, v), acc(i, v), acc(i, v))
				}
			}
		}
		epilogue(r, nv, acc, free, table)
	}
	Label(fmt.Sprintf("rows%d", 0))
	avx.Ret()
}

// epilogue emits the alpha/beta update of C for an r-row tile: a plain store
// path for full-width tiles and a VMASKMOVPS path for nr < NR, each split on
// beta == 0 (C is then only written, never read).
func epilogue(r, nv int, acc func(i, v int) VecPhysical, free []VecPhysical, table Mem) {
	nr := 8 * nv
	alpha, beta, tmp := free[0], free[0], free[1]
	masks := free[2:]
	keepMasks := len(masks) >= nv
	label := func(s string) string { return fmt.Sprintf("%s%d", s, r) }

	mulAlpha := func() {
		Comment("acc *= alpha")
		for i := 0; i < r; i++ {
			for v := 0; v < nv; v++ {
				VMULPS(alpha, acc(i, v), acc(i, v))
			}
		}
	}
	// betaZero jumps to the label when beta is +0 or −0: shifting out the
	// sign bit leaves zero exactly then. It expects beta's bits in EAX.
	betaZero := func(to string) {
		SHLL(U8(1), EAX)
		JEQ(LabelRef(to))
	}
	nextRow := func(i int) {
		if i < r-1 {
			ADDQ(R8, RDX)
		}
	}

	VBROADCASTSS(avx.Addr(Param("alpha")), alpha)
	MOVL(avx.Addr(Param("beta")), EAX)
	CMPQ(R10, U32(nr))
	JNE(LabelRef(label("partial")))
	CMPL(EAX, U32(0x3f800000))
	JEQ(LabelRef(label("accumulate")))
	mulAlpha()
	betaZero(label("store"))
	Comment("Full tile: c = alpha·acc + beta·c.")
	VBROADCASTSS(avx.Addr(Param("beta")), beta)
	for i := 0; i < r; i++ {
		for v := 0; v < nv; v++ {
			VFMADD231PS(Mem{Base: RDX, Disp: 32 * v}, beta, acc(i, v))
			VMOVUPS(acc(i, v), Mem{Base: RDX, Disp: 32 * v})
		}
		nextRow(i)
	}
	avx.Ret()

	Label(label("accumulate"))
	Comment("Full tile, beta == 1 (every k block after the first, and W += lr·EᵀF):",
		"c += alpha·acc, one FMA per vector.")
	for i := 0; i < r; i++ {
		for v := 0; v < nv; v++ {
			VMOVUPS(Mem{Base: RDX, Disp: 32 * v}, tmp)
			VFMADD231PS(acc(i, v), alpha, tmp)
			VMOVUPS(tmp, Mem{Base: RDX, Disp: 32 * v})
		}
		nextRow(i)
	}
	avx.Ret()

	Label(label("store"))
	Comment("Full tile, beta == 0: c = acc.")
	for i := 0; i < r; i++ {
		for v := 0; v < nv; v++ {
			VMOVUPS(acc(i, v), Mem{Base: RDX, Disp: 32 * v})
		}
		nextRow(i)
	}
	avx.Ret()

	Label(label("partial"))
	Commentf("Partial tile, nr < %d: lane masks from gemmMask[32−nr+8v].", nr)
	mulAlpha()
	LEAQ(table, R12)
	MOVQ(U32(32), R13)
	SUBQ(R10, R13)
	LEAQ(Mem{Base: R12, Index: R13, Scale: 4}, R12)
	mask := func(v int) VecPhysical {
		if keepMasks {
			return masks[v]
		}
		VMOVUPS(Mem{Base: R12, Disp: 32 * v}, free[2])
		return free[2]
	}
	if keepMasks {
		for v := 0; v < nv; v++ {
			VMOVUPS(Mem{Base: R12, Disp: 32 * v}, masks[v])
		}
	}
	betaZero(label("pstore"))
	VBROADCASTSS(avx.Addr(Param("beta")), beta)
	for i := 0; i < r; i++ {
		for v := 0; v < nv; v++ {
			m := mask(v)
			c := Mem{Base: RDX, Disp: 32 * v}
			VMASKMOVPS(c, m, tmp)
			VFMADD231PS(tmp, beta, acc(i, v))
			VMASKMOVPS(acc(i, v), m, c)
		}
		nextRow(i)
	}
	avx.Ret()

	Label(label("pstore"))
	for i := 0; i < r; i++ {
		for v := 0; v < nv; v++ {
			VMASKMOVPS(acc(i, v), mask(v), Mem{Base: RDX, Disp: 32 * v})
		}
		nextRow(i)
	}
	avx.Ret()
}

// packBN emits packBNAVX2, PackB for op(B) = B (not transposed): each panel
// step p copies NR consecutive values of row p of B; the last panel, when n
// is not a multiple of NR, loads through lane masks, which zero-fill the
// missing columns.
func packBN(nr int, table Mem) {
	nv := nr / 8
	TEXT("packBNAVX2", NOSPLIT, "func(dst, b []float32, ldb, k, n int)")
	Pragma("noescape")
	avx.DocRef("packB",
		fmt.Sprintf("packBNAVX2 packs the k×n matrix B (row stride ldb) into ⌈n/%d⌉ panels of k·%d", nr, nr),
		"values, zero-padding the columns past n. k and n must be ≥ 1.",
	)
	dst := Load(Param("dst").Base(), GP64())
	src := Load(Param("b").Base(), GP64())
	ldb := Load(Param("ldb"), GP64())
	SHLQ(U8(2), ldb)
	k := Load(Param("k"), GP64())
	n := Load(Param("n"), GP64())
	tab := GP64()
	LEAQ(table, tab)
	row, cnt := GP64(), GP64()
	xs := make([]VecVirtual, 2*nv)
	for i := range xs {
		xs[i] = YMM()
	}

	Label("panel")
	MOVQ(src, row)
	MOVQ(k, cnt)
	CMPQ(n, U32(nr))
	JL(LabelRef("partial"))

	Comment("Full panel: two steps of p per iteration.")
	CMPQ(cnt, U8(2))
	JL(LabelRef("full1"))
	Label("full2")
	row2 := GP64()
	LEAQ(Mem{Base: row, Index: ldb, Scale: 1}, row2)
	for v := 0; v < nv; v++ {
		VMOVUPS(Mem{Base: row, Disp: 32 * v}, xs[v])
		VMOVUPS(Mem{Base: row2, Disp: 32 * v}, xs[nv+v])
	}
	for v := 0; v < 2*nv; v++ {
		VMOVUPS(xs[v], Mem{Base: dst, Disp: 32 * v})
	}
	LEAQ(Mem{Base: row2, Index: ldb, Scale: 1}, row)
	ADDQ(U32(8*nr), dst)
	SUBQ(U8(2), cnt)
	CMPQ(cnt, U8(2))
	JGE(LabelRef("full2"))
	Label("full1")
	TESTQ(cnt, cnt)
	JE(LabelRef("next"))
	for v := 0; v < nv; v++ {
		VMOVUPS(Mem{Base: row, Disp: 32 * v}, xs[v])
		VMOVUPS(xs[v], Mem{Base: dst, Disp: 32 * v})
	}
	ADDQ(U32(4*nr), dst)
	JMP(LabelRef("next"))

	Label("partial")
	Comment("Last panel of n < NR columns: masked loads zero the missing ones.")
	off := GP64()
	MOVQ(U32(32), off)
	SUBQ(n, off)
	m := GP64()
	LEAQ(Mem{Base: tab, Index: off, Scale: 4}, m)
	masks := make([]VecVirtual, nv)
	for v := range masks {
		masks[v] = YMM()
		VMOVUPS(Mem{Base: m, Disp: 32 * v}, masks[v])
	}
	Label("partialloop")
	for v := 0; v < nv; v++ {
		VMASKMOVPS(Mem{Base: row, Disp: 32 * v}, masks[v], xs[v])
		VMOVUPS(xs[v], Mem{Base: dst, Disp: 32 * v})
	}
	ADDQ(ldb, row)
	ADDQ(U32(4*nr), dst)
	DECQ(cnt)
	JNE(LabelRef("partialloop"))

	Label("next")
	ADDQ(U32(4*nr), src)
	SUBQ(U32(nr), n)
	JG(LabelRef("panel"))
	avx.Ret()
}

// packT emits a packing routine for a transposed operand, over whole panels
// and whole groups of eight steps p: panel step p needs element p of each of
// `width` consecutive rows of the source (rows j0…j0+width−1 of B for a
// transposed B, rows i0…i0+MR−1 of A for a non-transposed A), so each 8×8
// block is transposed in registers. The lane-crossing part of the transpose
// is done by the loads: register x_i holds row i's elements p…p+3 in its low
// half and row i+4's in its high half (VINSERTF128), so the two in-lane
// stages (VUNPCKLPS/VUNPCKHPS, then VSHUFPS) leave in register q the eight
// values of rows 0…7 at step p+q, one packed step. A group of fewer than
// eight rows (MR = 6) reads its last row again in place of the missing ones
// and stores only its live lanes.
func packT(name, what string, width int, hi VecPhysical) {
	TEXT(name, NOSPLIT, "func(dst, src []float32, ld, k, k8, panels int)")
	Pragma("noescape")
	ref := "packB"
	if what == "A" {
		ref = "packA"
	}
	avx.DocRef(ref,
		fmt.Sprintf("%s packs panels of %d rows of src (row stride ld): panel step p holds element p", name, width),
		fmt.Sprintf("of each of the panel's rows, %d values; panels are k·%d values apart. It fills the", width, width),
		"steps p < k8 (a multiple of 8, ≥ 8) of the first panels panels; the caller packs the",
		"remaining steps and any last partial panel.",
	)
	dst := Load(Param("dst").Base(), GP64())
	src := Load(Param("src").Base(), GP64())
	ld := Load(Param("ld"), GP64())
	SHLQ(U8(2), ld)
	ld3 := GP64()
	LEAQ(Mem{Base: ld, Index: ld, Scale: 2}, ld3)
	panelBytes := Load(Param("k"), GP64())
	IMUL3Q(U32(4*width), panelBytes, panelBytes)
	k8 := Load(Param("k8"), GP64())
	SHRQ(U8(3), k8)
	panels := Load(Param("panels"), GP64())

	r0, r4, out, cnt := GP64(), GP64(), GP64(), GP64()
	Label("panel")
	for v := 0; v*8 < width; v++ {
		live := min(8, width-8*v)
		Commentf("Rows %d…%d of the panel → lanes %d…%d of each packed step.", 8*v, 8*v+live-1, 8*v, 8*v+live-1)
		MOVQ(src, r0)
		if v > 0 {
			t := GP64()
			IMUL3Q(U32(8*v), ld, t) // 8v rows down
			ADDQ(t, r0)
		}
		LEAQ(Mem{Base: r0, Index: ld, Scale: 4}, r4)
		LEAQ(Mem{Base: dst, Disp: 32 * v}, out)
		MOVQ(k8, cnt)
		loop := fmt.Sprintf("block%d", v)
		Label(loop)
		rowAddr := func(i, disp int) Mem {
			i = min(i, live-1)
			base := Register(r0)
			if i >= 4 {
				base = r4
			}
			switch i % 4 {
			case 0:
				return Mem{Base: base, Disp: disp}
			case 1:
				return Mem{Base: base, Index: ld, Scale: 1, Disp: disp}
			case 2:
				return Mem{Base: base, Index: ld, Scale: 2, Disp: disp}
			default:
				return Mem{Base: base, Index: ld3, Scale: 1, Disp: disp}
			}
		}
		transpose8(rowAddr, func(step int, o VecPhysical) {
			storeMR(live, o, hi, Mem{Base: out, Disp: 4 * width * step})
		})
		ADDQ(U8(32), r0)
		ADDQ(U8(32), r4)
		ADDQ(U32(4*8*width), out)
		DECQ(cnt)
		JNE(LabelRef(loop))
	}
	Commentf("Next panel: %d rows of src further, one panel of dst further.", width)
	t := GP64()
	IMUL3Q(U32(width), ld, t)
	ADDQ(t, src)
	ADDQ(panelBytes, dst)
	DECQ(panels)
	JNE(LabelRef("panel"))
	avx.Ret()
}

// packARows emits packARowsAVX2: packANAVX2 for one panel of a run-time
// number of rows, 4 to MR (a tile that sums in one chain may have fewer rows
// than MR: see oneChainRows). Rows past the last read it again, and a lane
// mask then zeroes them, as PackA promises.
func packARows(mr int, hi VecPhysical, table Mem) {
	if mr > 8 {
		panic("packARows: one group of eight rows at most")
	}
	TEXT("packARowsAVX2", NOSPLIT, "func(dst, src []float32, ld, k8, rows int)")
	Pragma("noescape")
	avx.DocRef("packA",
		fmt.Sprintf("packARowsAVX2 packs one panel of rows rows of src (row stride ld, 4 ≤ rows ≤ %d):", mr),
		fmt.Sprintf("panel step p holds element p of each row, %d values, zero past rows. It fills the", mr),
		"steps p < k8 (a multiple of 8, ≥ 8); the caller packs the others.",
	)
	dst := Load(Param("dst").Base(), GP64())
	r0 := Load(Param("src").Base(), GP64())
	ld := Load(Param("ld"), GP64())
	SHLQ(U8(2), ld)
	ld3 := GP64()
	LEAQ(Mem{Base: ld, Index: ld, Scale: 2}, ld3)
	cnt := Load(Param("k8"), GP64())
	SHRQ(U8(3), cnt)
	last := Load(Param("rows"), GP64())
	Comment("keep = gemmMask[32−rows:]: all ones in the lanes of the rows.")
	keep := Y12
	if hi == keep {
		panic("packARows: hi and keep share a register")
	}
	tab, off := GP64(), GP64()
	LEAQ(table, tab)
	MOVQ(U32(32), off)
	SUBQ(last, off)
	VMOVUPS(Mem{Base: tab, Index: off, Scale: 4}, keep)
	DECQ(last)
	Comment("Rows 4 and on: one pointer each, to row min(i, rows−1).")
	ptr := make([]Register, 8)
	for i := 4; i < mr; i++ {
		j := GP64()
		MOVQ(U32(i), j)
		CMPQ(last, j)
		CMOVQLT(last, j)
		IMULQ(ld, j)
		ADDQ(r0, j)
		ptr[i] = j
	}
	rowAddr := func(i, disp int) Mem {
		i = min(i, mr-1)
		switch i {
		case 0:
			return Mem{Base: r0, Disp: disp}
		case 1:
			return Mem{Base: r0, Index: ld, Scale: 1, Disp: disp}
		case 2:
			return Mem{Base: r0, Index: ld, Scale: 2, Disp: disp}
		case 3:
			return Mem{Base: r0, Index: ld3, Scale: 1, Disp: disp}
		default:
			return Mem{Base: ptr[i], Disp: disp}
		}
	}
	Label("block")
	transpose8(rowAddr, func(step int, o VecPhysical) {
		VANDPS(keep, o, o)
		storeMR(mr, o, hi, Mem{Base: dst, Disp: 4 * mr * step})
	})
	ADDQ(U8(32), r0)
	for i := 4; i < mr; i++ {
		ADDQ(U8(32), ptr[i])
	}
	ADDQ(U32(4*8*mr), dst)
	DECQ(cnt)
	JNE(LabelRef("block"))
	avx.Ret()
}

// transpose8 emits the transpose of one 8×8 block: row i of the block at
// rowAddr(i, 0) (its first four values) and rowAddr(i, 16) (its last four),
// and store(p, o) for each step p = 0 … 7 with o holding the eight rows'
// values at step p. The lane-crossing part of the transpose is done by the
// loads (see packT), so two in-lane stages finish it; Y0–Y11 are its
// registers.
func transpose8(rowAddr func(i, disp int) Mem, store func(step int, o VecPhysical)) {
	// Physical registers: avo's liveness analysis sees the 128-bit load
	// into x_i as a partial write and would keep every x_i live from the
	// function entry (and spill into Y16+, which AVX2 lacks).
	x := []VecPhysical{Y0, Y1, Y2, Y3}
	t := []VecPhysical{Y4, Y5, Y6, Y7}
	o := []VecPhysical{Y8, Y9, Y10, Y11}
	for half := 0; half < 2; half++ {
		for i := range x {
			VMOVUPS(rowAddr(i, 16*half), x[i].AsX())
			VINSERTF128(U8(1), rowAddr(i+4, 16*half), x[i], x[i])
		}
		VUNPCKLPS(x[1], x[0], t[0])
		VUNPCKHPS(x[1], x[0], t[1])
		VUNPCKLPS(x[3], x[2], t[2])
		VUNPCKHPS(x[3], x[2], t[3])
		VSHUFPS(U8(0x44), t[2], t[0], o[0])
		VSHUFPS(U8(0xEE), t[2], t[0], o[1])
		VSHUFPS(U8(0x44), t[3], t[1], o[2])
		VSHUFPS(U8(0xEE), t[3], t[1], o[3])
		for q := 0; q < 4; q++ {
			store(4*half+q, o[q])
		}
	}
}

// packAT emits packATAVX2, PackA for op(A) = Aᵀ: step p of a panel needs the
// MR consecutive values A[p][i0:i0+MR] of row p of A, one masked load (the
// mask zero-fills rows past m in the last panel) and a store of MR floats.
func packAT(mr int, table Mem) {
	TEXT("packATAVX2", NOSPLIT, "func(dst, a []float32, lda, m, k int)")
	Pragma("noescape")
	avx.DocRef("packA",
		fmt.Sprintf("packATAVX2 packs op(A) = Aᵀ, A being k×m with row stride lda, into ⌈m/%d⌉ panels", mr),
		fmt.Sprintf("of k·%d values, zero-padding the rows of op(A) past m. k and m must be ≥ 1.", mr),
	)
	dst := Load(Param("dst").Base(), GP64())
	src := Load(Param("a").Base(), GP64())
	lda := Load(Param("lda"), GP64())
	SHLQ(U8(2), lda)
	m := Load(Param("m"), GP64())
	k := Load(Param("k"), GP64())
	tab := GP64()
	LEAQ(table, tab)
	row, cnt, rows, off := GP64(), GP64(), GP64(), GP64()
	mask := YMM()

	Label("panel")
	Comment("rows = min(m, MR); mask = gemmMask[32−rows:]")
	MOVQ(U32(mr), rows)
	CMPQ(m, rows)
	CMOVQLT(m, rows)
	MOVQ(U32(32), off)
	SUBQ(rows, off)
	VMOVUPS(Mem{Base: tab, Index: off, Scale: 4}, mask)
	MOVQ(src, row)
	MOVQ(k, cnt)
	Label("step")
	x := YMM()
	VMASKMOVPS(Mem{Base: row}, mask, x)
	storeMR(mr, x, YMM(), Mem{Base: dst})
	ADDQ(lda, row)
	ADDQ(U32(4*mr), dst)
	DECQ(cnt)
	JNE(LabelRef("step"))
	ADDQ(U32(4*mr), src)
	SUBQ(U32(mr), m)
	JG(LabelRef("panel"))
	avx.Ret()
}

// storeMR stores the first mr lanes of x to m without touching m[mr:];
// hi is a scratch register for the upper half.
func storeMR(mr int, x, hi interface {
	Op
	AsX() Register
}, m Mem) {
	switch mr {
	case 4:
		VMOVUPS(x.AsX(), m)
	case 5, 6:
		VMOVUPS(x.AsX(), m)
		VEXTRACTF128(U8(1), x, hi.AsX())
		if mr == 5 {
			VMOVSS(hi.AsX(), m.Offset(16))
		} else {
			VMOVQ(hi.AsX(), m.Offset(16))
		}
	case 8:
		VMOVUPS(x, m)
	default:
		panic(fmt.Sprintf("storeMR: unsupported MR %d", mr))
	}
}
