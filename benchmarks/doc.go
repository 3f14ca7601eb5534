// Package benchmarks holds pcgo's end-to-end benchmarks: GEMM on the shapes
// the predictive-coding loop runs, with every kernel set and gonum's Sgemm
// side by side, and whole Learn and Generate calls. It has no code of its
// own; see the _test.go files and README.md.
package benchmarks
