package main

import (
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pcgo/pcgo/linalg"
)

func TestBench(t *testing.T) {
	status, out, errOut := pcgo("bench", "--time", "5ms", "--arch", "20,12,4", "--batch", "6", "--T", "3", "--threads", "2")
	require.Zero(t, status, errOut)
	// The peak of the instructions the kernel set runs, and every figure as
	// a percentage of it.
	peak := "FMA peak (assembly loop)"
	if linalg.MustEngine(linalg.Options{}).KernelSet() == "generic" {
		peak = "scalar Go peak (Go loop)"
	}
	require.Regexp(t, `Learn \(batch 6, T 3\) .* [0-9]+%\n`, out)
	for _, want := range []string{peak, "1 thread", "2 threads", "gemm F·Wᵀ 6×20×12", "Learn (batch 6, T 3)", "Generate (4 labels, T 40)", "GFLOP/s"} {
		require.Contains(t, out, want)
	}
	if runtime.GOMAXPROCS(0) > 1 {
		require.Regexp(t, `round trip between two threads +[0-9.]+ [nµm]?s\n`, out)
	}
	for _, line := range strings.Split(out, "\n") {
		require.Equal(t, strings.TrimRight(line, " "), line, "trailing blanks")
	}
	status, _, errOut = pcgo("bench", "--batch", "0")
	require.Equal(t, 2, status)
	require.Contains(t, errOut, "--batch")
}
