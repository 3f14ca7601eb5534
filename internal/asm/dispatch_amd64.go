//go:build !purego

package asm

import (
	"strings"

	"github.com/klauspost/cpuid/v2"
)

// hasAVX2FMA is read once: AVX2 (which cpuid reports only when the OS saves
// the ymm state) together with FMA3 (which cpuid reports without that check,
// so both are needed).
var hasAVX2FMA = cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3)

// accelerated returns the AVX2/FMA set when the CPU supports it.
func accelerated() *Kernels {
	if hasAVX2FMA && AVX2 != nil {
		return AVX2
	}
	return nil
}

// peakLoop returns the AVX2 FMA loop when the CPU supports it.
func peakLoop() *PeakLoop {
	if !hasAVX2FMA {
		return nil
	}
	return &PeakLoop{Name: "AVX2 FMA, ymm", FlopsPerIter: fmaPeakFlopsAVX2(), Run: fmaPeakAVX2Checked}
}

func fmaPeakAVX2Checked(iters int) {
	if iters >= 1 {
		fmaPeakAVX2(iters)
	}
}

func acceleratedMissing() string {
	if !hasAVX2FMA {
		var missing []string
		for _, f := range []struct {
			id   cpuid.FeatureID
			name string
		}{{cpuid.AVX2, "AVX2"}, {cpuid.FMA3, "FMA3"}} {
			if !cpuid.CPU.Supports(f.id) {
				missing = append(missing, f.name)
			}
		}
		// cpuid reports AVX2 only when the OS also saves the ymm registers.
		return "this CPU (" + cpuid.CPU.BrandName + ") lacks " + strings.Join(missing, " and ")
	}
	return "the AVX2 kernels are not built into this binary"
}
