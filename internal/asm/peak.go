package asm

import (
	"math"
	"sync/atomic"
)

// PeakLoop is an assembly loop that runs a core's floating-point units at
// their peak: independent FMAs on full vectors, no memory access. Timing it
// gives the GFLOP/s this CPU can do at most with a kernel set's
// instructions, the yardstick pcgo reports its GEMM and training speed
// against.
type PeakLoop struct {
	// Name says which instructions the loop runs, e.g. "AVX2 FMA, ymm".
	Name string
	// FlopsPerIter is the floating-point operations of one iteration (an
	// FMA counts two per lane).
	FlopsPerIter int
	// Run runs iters ≥ 1 iterations. One call is not preemptible: keep
	// iters to a millisecond's worth or so.
	Run func(iters int)
}

// Peak returns the FMA loop of the fastest kernel set that can run here, or
// nil when this build has no assembly for this CPU (the purego tag, a
// non-amd64 target, or a CPU without AVX2 and FMA3): there is then no peak
// to measure.
func Peak() *PeakLoop { return peakLoop() }

// ScalarPeak is the peak loop of the generic kernel set, in Go: thirteen
// independent chains x = x·m + c of float32 multiplies and adds, no memory
// access. It does about the most arithmetic that scalar Go code (which the
// Go compiler never vectorises, and on amd64 never fuses into FMAs) can do
// per cycle on this core, so a pure-Go kernel can at best come near it (the
// generic GEMM reaches 90–100% of it; a rate well above it takes vector
// instructions): the yardstick for the generic set, as the FMA loop is for
// the assembly one. Where the compiler fuses x·m + c into one instruction
// (arm64), it runs scalar FMAs.
var ScalarPeak = &PeakLoop{Name: "scalar Go, float32 multiply-add", FlopsPerIter: scalarPeakFlops, Run: scalarPeak}

// scalarPeakFlops is one iteration of scalarPeak: 13 chains × 2 flops.
// Each chain waits on its multiply and its add (about 8 cycles) and the
// core retires about 3 of either a cycle, so it takes 12 chains to keep the
// units busy; 13 (with m and c, all 15 float registers Go allocates on
// amd64) leave a margin, measured 1.5% faster than 12.
const scalarPeakFlops = 13 * 2

// scalarM and scalarC are the chains' constants.
var scalarM, scalarC float32 = 0.5, 0.25

// scalarSink keeps scalarPeak's result alive, as float32 bits: atomic, as
// several goroutines run the loop at once.
var scalarSink atomic.Uint32

// scalarPeak runs iters iterations of ScalarPeak. The chains converge to
// c/(1−m) = 0.5 and stay normal numbers (denormals would be slow).
func scalarPeak(iters int) {
	if iters < 1 {
		return
	}
	m, c := scalarM, scalarC // in registers, not memory operands
	x := math.Float32frombits(scalarSink.Load())
	x0, x1, x2, x3, x4, x5 := x, x+1, x+2, x+3, x+4, x+5
	x6, x7, x8, x9, x10, x11, x12 := x+6, x+7, x+8, x+9, x+10, x+11, x+12
	for range iters {
		x0 = x0*m + c
		x1 = x1*m + c
		x2 = x2*m + c
		x3 = x3*m + c
		x4 = x4*m + c
		x5 = x5*m + c
		x6 = x6*m + c
		x7 = x7*m + c
		x8 = x8*m + c
		x9 = x9*m + c
		x10 = x10*m + c
		x11 = x11*m + c
		x12 = x12*m + c
	}
	// The mean of the chains: 0.5 after a few dozen iterations.
	scalarSink.Store(math.Float32bits((x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10 + x11 + x12) / 13))
}
