//go:build !purego

package asm

// AVX2 is the AVX2/FMA3 kernel set, or nil while this build has none.
var AVX2 *Kernels
