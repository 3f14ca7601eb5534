package asm

import (
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
