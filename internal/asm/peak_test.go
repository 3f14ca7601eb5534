package asm

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// The peak loop exists exactly when the assembly kernels can run, and runs.
func TestPeakLoop(t *testing.T) {
	p := Peak()
	if accelerated() == nil {
		require.Nil(t, p)
		return
	}
	require.NotNil(t, p)
	require.Equal(t, 12*2*8*2, p.FlopsPerIter) // 12 chains × 2 FMAs × 8 lanes × 2
	p.Run(1)
	p.Run(1000)
	p.Run(0) // no-op, not a hang
}

// The scalar peak loop runs everywhere, computes what it says (its chains
// settle at c/(1−m) = 0.5) and does nothing for iters < 1.
func TestScalarPeak(t *testing.T) {
	require.Equal(t, 26, ScalarPeak.FlopsPerIter)
	sink := func() float32 { return math.Float32frombits(scalarSink.Load()) }
	scalarSink.Store(math.Float32bits(7))
	ScalarPeak.Run(0)
	require.Equal(t, float32(7), sink())
	ScalarPeak.Run(1)
	// One step from x, x+1, …, x+12: mean of (x+i)/2 + 1/4 = 7/2 + 12/4 + 1/4.
	require.InDelta(t, 6.75, sink(), 1e-5)
	ScalarPeak.Run(200)
	require.InDelta(t, 0.5, sink(), 1e-6)
}

func BenchmarkScalarPeak(b *testing.B) {
	const iters = 1 << 12
	for b.Loop() {
		ScalarPeak.Run(iters)
	}
	reportGFLOPS(b, float64(iters*ScalarPeak.FlopsPerIter))
}
