// Package asm holds pcgo's compute kernels and chooses, once, which set of
// them runs.
//
// A kernel set ([Kernels]) is a small table of functions: a GEMM
// micro-kernel working on packed panels, the packing routines that feed it,
// and the element-wise passes of the predictive-coding loop (ReLU, the fused
// ReLU-derivative update, the error with its squared sum). Two sets exist:
//
//   - "generic": pure Go, always compiled, on every architecture. It is the
//     reference that every other set is tested against, and what arm64 and
//     other non-amd64 targets run.
//   - "avx2": AVX2 + FMA3 assembly generated with avo (amd64 only, not built
//     with the purego tag).
//
// The avx2 GEMM micro-kernel computes a 6×16 tile of C in 12 ymm
// accumulators (two 8-lane vectors per row), broadcasting one packed A value
// per row and step against two vectors of the packed B panel; tiles of fewer
// rows run loops specialised to their row count, partial columns use masked
// loads and stores. Packing handles the transposes (8×8 register transposes
// for a transposed B and a non-transposed A), so NN, NT and TN share the
// micro-kernel. The shape was measured against 5×16, 4×24 and 8×8 on the
// predictive-coding shapes (batch 50): 6×16 was fastest, and its 2-row
// remainder tile runs at full speed with a second set of accumulators.
// That second set sums the odd steps apart, so tiles of 1 to 3 rows round
// differently from tiles of 4 to 6 ([Kernels.OneChainRows]): a GEMM split
// by rows between threads keeps every row in a tile of its kind, and the
// partial panels of 4 and 5 rows that such splits make are packed in
// assembly too.
//
// The set is chosen once, at start-up ([Default]): the purego build tag
// compiles the assembly out; otherwise the environment variable
// PCGO_KERNELS (generic | avx2) forces a set, and without it the fastest set
// the CPU supports (github.com/klauspost/cpuid/v2) is used. An unknown
// value, or "avx2" on a CPU without AVX2 and FMA3, is an error that
// [Default] reports; callers surface it instead of silently falling back.
//
// Conventions shared by every kernel: matrices are row-major float32; a
// slice argument must be long enough for the elements the kernel touches
// (the kernels do not re-check what their callers in package linalg have
// already checked, beyond Go's own bounds checks in the generic set); no
// kernel allocates.
package asm
