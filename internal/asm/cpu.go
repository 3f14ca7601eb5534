package asm

import "github.com/klauspost/cpuid/v2"

// CPUFeatures describes the processor as far as kernel choice is concerned.
type CPUFeatures struct {
	Brand       string // e.g. "AMD EPYC 7551 32-Core Processor"
	AVX2, FMA3  bool   // what the AVX2 kernel set needs (AVX2 only if the OS saves ymm state)
	AVX512F     bool   // reported for information; no kernel set uses it yet
	LogicalCPUs int
}

// CPU returns the features of the processor this process runs on.
func CPU() CPUFeatures {
	return CPUFeatures{
		Brand:       cpuid.CPU.BrandName,
		AVX2:        cpuid.CPU.Supports(cpuid.AVX2),
		FMA3:        cpuid.CPU.Supports(cpuid.FMA3),
		AVX512F:     cpuid.CPU.Supports(cpuid.AVX512F),
		LogicalCPUs: cpuid.CPU.LogicalCores,
	}
}
