//go:build !amd64 || purego

package asm

import "runtime"

// accelerated returns nil: this build has no assembly kernels.
func accelerated() *Kernels { return nil }

// peakLoop returns nil: this build has no assembly to measure a peak with.
func peakLoop() *PeakLoop { return nil }

func acceleratedMissing() string {
	if runtime.GOARCH == "amd64" {
		return "built with the purego tag, so the assembly kernels are compiled out"
	}
	return "no assembly kernels for " + runtime.GOARCH + "; the pure-Go set runs"
}
