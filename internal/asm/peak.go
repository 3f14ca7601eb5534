package asm

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
