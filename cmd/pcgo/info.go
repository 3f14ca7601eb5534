package main

import (
	"fmt"
	"io"
	"runtime"

	"github.com/pcgo/pcgo/linalg"
)

func runInfo(args []string, out, errOut io.Writer) error {
	fs := newFlags("info", "", out)
	if err := fs.parse(args); err != nil {
		return err
	}
	cpu := linalg.DetectCPU()
	name, reason, kerr := linalg.KernelChoice()
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	fmt.Fprintf(out, "go:          %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(out, "cpu:         %s (%d logical CPUs, GOMAXPROCS %d)\n", cpu.Brand, cpu.LogicalCPUs, runtime.GOMAXPROCS(0))
	fmt.Fprintf(out, "avx2:        %s\n", yes(cpu.AVX2))
	fmt.Fprintf(out, "fma3:        %s\n", yes(cpu.FMA3))
	fmt.Fprintf(out, "kernel sets: %v available\n", linalg.KernelSets())
	fmt.Fprintf(out, "kernels:     %s (%s)\n", name, reason)
	if kerr != nil {
		return kerr
	}
	return nil
}
