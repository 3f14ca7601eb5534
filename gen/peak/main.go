// Command peak generates internal/asm/peak_amd64.s and its Go stub: a loop
// of independent AVX2 FMAs that runs at the core's FMA throughput, so that
// pcgo can report its GEMM speed as a fraction of what this CPU can do.
//
// One iteration issues 2·chains VFMADD231PS on ymm registers: chains
// accumulators (Y0…Y(chains−1)), each updated twice, against two constant
// multiplicands. With chains = 12 there are more independent dependency
// chains than FMA pipes × FMA latency on AVX2 cores (2 × 4 or 2 × 5 cycles),
// so the loop is bound by throughput, not latency, like the 6×16 GEMM
// micro-kernel, which also keeps 12 accumulators. Every register starts at zero: the arithmetic stays exactly
// zero, with no denormals to slow it down. The loop does no memory access.
package main

import (
	"flag"
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/pcgo/pcgo/gen/internal/avx"
)

var chainsFlag = flag.Int("chains", 12, "independent FMA accumulators (≤ 14)")

func main() {
	flag.Parse()
	chains := *chainsFlag
	if chains < 1 || chains > 14 {
		panic(fmt.Sprintf("unsupported chain count %d", chains))
	}
	avx.Setup()
	ys := []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}
	acc, b, c := ys[:chains], ys[14], ys[15]
	const perChain = 2

	TEXT("fmaPeakFlopsAVX2", NOSPLIT, "func() int")
	Doc("fmaPeakFlopsAVX2 returns the floating-point operations of one iteration of fmaPeakAVX2.")
	r := GP64()
	MOVQ(U32(chains*perChain*avx.Lanes*2), r)
	Store(r, ReturnIndex(0))
	RET()

	TEXT("fmaPeakAVX2", NOSPLIT, "func(iters int)")
	Doc(fmt.Sprintf("fmaPeakAVX2 runs iters iterations of %d independent ymm FMAs (%d chains,", chains*perChain, chains),
		"each updated twice), the most FMA work an AVX2 core can retire per cycle; it",
		"touches no memory. iters must be ≥ 1.")
	n := Load(Param("iters"), GP64())
	for _, y := range append(acc, b, c) {
		VXORPS(y, y, y)
	}
	Label("loop")
	for range perChain {
		for _, a := range acc {
			VFMADD231PS(b, c, a)
		}
	}
	DECQ(n)
	JNE(LabelRef("loop"))
	avx.Ret()

	Generate()
}
