// Command elementwise generates internal/asm/elementwise_amd64.s and its Go
// stubs: the AVX2 element-wise passes of the predictive-coding loop.
//
// Every kernel walks its operands once with avx.Stream: 32 elements (four
// ymm vectors) per iteration, then single vectors, then one VMASKMOVPS tail
// vector for the last 1…7 elements. Only SubSq's sum uses FMA; the other
// kernels round each operation separately, exactly as their Go twins in
// generic.go do, so the two sets agree bit for bit.
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/pcgo/pcgo/gen/internal/avx"
)

const unroll = 4

func main() {
	avx.Setup()
	table := avx.MaskTable("tailMask", avx.Lanes)
	relu(table)
	subSq(table)
	reluDerivUpdate(table)
	axpy(table)
	scale(table)
	Generate()
}

// reluOf emits dst = max(x, 0) with Go's semantics: VMAXPS returns its second
// (Intel) source when either is NaN or both are zero, so max(0, x) keeps a
// NaN x and maps −0 to −0; adding +0 then turns −0 into +0 and changes
// nothing else.
func reluOf(x, zero, dst Register) {
	VMAXPS(x, zero, dst)
	VADDPS(zero, dst, dst)
}

func relu(table Mem) {
	TEXT("reluAVX2", NOSPLIT, "func(dst, src []float32)")
	Pragma("noescape")
	avx.DocRef("reluGeneric", "reluAVX2 writes dst[i] = max(src[i], 0) for i < len(dst); len(src) ≥ len(dst).")
	dst := Load(Param("dst").Base(), GP64())
	src := Load(Param("src").Base(), GP64())
	n := Load(Param("dst").Len(), GP64())
	zero := YMM()
	VXORPS(zero, zero, zero)
	avx.Stream("relu", n, []Register{dst, src}, unroll, table, func(vs []avx.Slot) {
		xs := make([]VecVirtual, len(vs))
		for i, v := range vs {
			xs[i] = YMM()
			v.Load(src, xs[i])
		}
		for i, v := range vs {
			reluOf(xs[i], zero, xs[i])
			v.Store(xs[i], dst)
		}
	})
	avx.Ret()
}

func subSq(table Mem) {
	TEXT("subSqAVX2", NOSPLIT, "func(e, r, p []float32) float32")
	Pragma("noescape")
	avx.DocRef("subSqGeneric",
		"subSqAVX2 writes e[i] = r[i] − p[i] for i < len(e) and returns Σ e[i]²,",
		"summed in four ymm accumulators (32 partial sums) with FMA; len(r), len(p) ≥ len(e).")
	e := Load(Param("e").Base(), GP64())
	r := Load(Param("r").Base(), GP64())
	p := Load(Param("p").Base(), GP64())
	n := Load(Param("e").Len(), GP64())
	acc := make([]VecVirtual, unroll)
	for i := range acc {
		acc[i] = YMM()
		VXORPS(acc[i], acc[i], acc[i])
	}
	avx.Stream("subsq", n, []Register{e, r, p}, unroll, table, func(vs []avx.Slot) {
		ds := make([]VecVirtual, len(vs))
		for i, v := range vs {
			ds[i] = YMM()
			v.Load(r, ds[i])
			pv := YMM()
			v.Load(p, pv)
			VSUBPS(pv, ds[i], ds[i])
		}
		for i, v := range vs {
			v.Store(ds[i], e)
			// Masked tail lanes are 0 − 0 = 0 and add nothing.
			VFMADD231PS(ds[i], ds[i], acc[i])
		}
	})
	Comment("Reduce the accumulators to one float32.")
	VADDPS(acc[1], acc[0], acc[0])
	VADDPS(acc[3], acc[2], acc[2])
	VADDPS(acc[2], acc[0], acc[0])
	hi := XMM()
	VEXTRACTF128(U8(1), acc[0], hi)
	VADDPS(hi, acc[0].AsX(), hi)
	VHADDPS(hi, hi, hi)
	VHADDPS(hi, hi, hi)
	Store(hi, ReturnIndex(0))
	avx.Ret()
}

func reluDerivUpdate(table Mem) {
	TEXT("reluDerivUpdateAVX2", NOSPLIT, "func(r, e, g, f []float32, ir float32)")
	Pragma("noescape")
	avx.DocRef("reluDerivUpdateGeneric",
		"reluDerivUpdateAVX2 is the fused hidden-layer step, for i < len(r):",
		"",
		"\tr[i] += ir · (−e[i] + g[i] · [r[i] ≥ 0])",
		"\tf[i]  = max(r[i], 0)",
		"",
		"[r ≥ 0] is VCMPPS with GE_OQ: true for −0, false for NaN. g is masked with it",
		"(so a NaN in g is ignored where r < 0), then d = g' − e, r += ir·d with a",
		"separate multiply and add (no FMA), matching the Go reference exactly.",
		"len(e), len(g), len(f) ≥ len(r).")
	r := Load(Param("r").Base(), GP64())
	e := Load(Param("e").Base(), GP64())
	g := Load(Param("g").Base(), GP64())
	f := Load(Param("f").Base(), GP64())
	n := Load(Param("r").Len(), GP64())
	ir := YMM()
	VBROADCASTSS(avx.Addr(Param("ir")), ir)
	zero := YMM()
	VXORPS(zero, zero, zero)
	avx.Stream("rdu", n, []Register{r, e, g, f}, unroll, table, func(vs []avx.Slot) {
		for _, v := range vs {
			x, gv, ev, ge := YMM(), YMM(), YMM(), YMM()
			v.Load(r, x)
			v.Load(g, gv)
			v.Load(e, ev)
			VCMPPS(U8(0x1d), zero, x, ge) // ge = x >= 0 (GE_OQ)
			VANDPS(gv, ge, gv)            // g where r ≥ 0, else +0
			VSUBPS(ev, gv, gv)            // d = g' − e
			VMULPS(ir, gv, gv)            // ir·d
			VADDPS(gv, x, x)              // r + ir·d
			v.Store(x, r)
			reluOf(x, zero, x)
			v.Store(x, f)
		}
	})
	avx.Ret()
}

func axpy(table Mem) {
	TEXT("axpyAVX2", NOSPLIT, "func(alpha float32, x, y []float32)")
	Pragma("noescape")
	avx.DocRef("axpyGeneric",
		"axpyAVX2 computes y[i] += alpha·x[i] for i < len(y), multiply and add rounded",
		"separately (no FMA) as in the Go reference; len(x) ≥ len(y).")
	x := Load(Param("x").Base(), GP64())
	y := Load(Param("y").Base(), GP64())
	n := Load(Param("y").Len(), GP64())
	alpha := YMM()
	VBROADCASTSS(avx.Addr(Param("alpha")), alpha)
	avx.Stream("axpy", n, []Register{x, y}, unroll, table, func(vs []avx.Slot) {
		for _, v := range vs {
			xv, yv := YMM(), YMM()
			v.Load(x, xv)
			v.Load(y, yv)
			VMULPS(alpha, xv, xv)
			VADDPS(xv, yv, yv)
			v.Store(yv, y)
		}
	})
	avx.Ret()
}

func scale(table Mem) {
	TEXT("scaleAVX2", NOSPLIT, "func(alpha float32, x []float32)")
	Pragma("noescape")
	avx.DocRef("scaleGeneric",
		"scaleAVX2 computes x[i] *= alpha for i < len(x). The caller handles alpha == 0",
		"(which must clear NaNs, not multiply them).")
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	alpha := YMM()
	VBROADCASTSS(avx.Addr(Param("alpha")), alpha)
	avx.Stream("scale", n, []Register{x}, unroll, table, func(vs []avx.Slot) {
		for _, v := range vs {
			xv := YMM()
			v.Load(x, xv)
			VMULPS(alpha, xv, xv)
			v.Store(xv, x)
		}
	})
	avx.Ret()
}
