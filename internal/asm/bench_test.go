package asm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func reportGFLOPS(b *testing.B, flopsPerOp float64) {
	b.ReportMetric(flopsPerOp*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkGemmTile measures the micro-kernel alone on L1-resident packed
// panels (kc = 256: 6 KB of A and 16 KB of B for the 6×16 AVX2 tile), the
// ceiling the blocked driver can approach. Compare its GFLOP/s with the
// core's FMA peak (two 8-lane FMAs per cycle: 32 flops/cycle).
func BenchmarkGemmTile(b *testing.B) {
	const kc = 256
	for _, k := range Available() {
		b.Run(k.Name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			a := make([]float32, kc*k.MR)
			bp := make([]float32, kc*k.NR)
			fillRand(rng, a)
			fillRand(rng, bp)
			c := make([]float32, k.MR*k.NR)
			for _, beta := range []float32{0, 1} {
				b.Run(fmt.Sprintf("beta%v", beta), func(b *testing.B) {
					for b.Loop() {
						k.GemmTile(kc, a, bp, c, k.NR, k.MR, k.NR, 1, beta)
					}
					reportGFLOPS(b, 2*float64(k.MR*k.NR*kc))
				})
			}
		})
	}
}

// BenchmarkPack packs a kc×nc = 256×512 block of B (and a 96×256 block of A)
// as the GEMM driver does, for each transpose.
func BenchmarkPack(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 2))
	src := make([]float32, 512*512)
	fillRand(rng, src)
	for _, k := range Available() {
		for _, trans := range []bool{false, true} {
			b.Run(fmt.Sprintf("B/trans=%v/%s", trans, k.Name), func(b *testing.B) {
				const kk, n = 256, 512
				dst := make([]float32, (n+k.NR-1)/k.NR*k.NR*kk)
				b.SetBytes(4 * kk * n)
				for b.Loop() {
					k.PackB(dst, src, 512, trans, kk, n)
				}
			})
			b.Run(fmt.Sprintf("A/trans=%v/%s", trans, k.Name), func(b *testing.B) {
				const m, kk = 96, 256
				dst := make([]float32, (m+k.MR-1)/k.MR*k.MR*kk)
				b.SetBytes(4 * m * kk)
				for b.Loop() {
					k.PackA(dst, src, 512, trans, m, kk)
				}
			})
		}
	}
}

// BenchmarkElementwise runs each element-wise kernel over one 50×256
// activation matrix (the batch of the seed's first hidden layer).
func BenchmarkElementwise(b *testing.B) {
	const n = 50 * 256
	rng := rand.New(rand.NewPCG(3, 3))
	x := make([][]float32, 4)
	for i := range x {
		x[i] = make([]float32, n)
		fillRand(rng, x[i])
	}
	for _, k := range Available() {
		b.Run("Relu/"+k.Name, func(b *testing.B) {
			b.SetBytes(2 * 4 * n)
			for b.Loop() {
				k.Relu(x[3], x[0])
			}
		})
		b.Run("SubSq/"+k.Name, func(b *testing.B) {
			b.SetBytes(3 * 4 * n)
			for b.Loop() {
				k.SubSq(x[3], x[0], x[1])
			}
		})
		b.Run("ReluDerivUpdate/"+k.Name, func(b *testing.B) {
			r := append([]float32(nil), x[0]...)
			b.SetBytes(5 * 4 * n)
			for b.Loop() {
				k.ReluDerivUpdate(r, x[1], x[2], x[3], 0)
			}
		})
		b.Run("Axpy/"+k.Name, func(b *testing.B) {
			b.SetBytes(3 * 4 * n)
			for b.Loop() {
				k.Axpy(0, x[0], x[3])
			}
		})
		b.Run("Scale/"+k.Name, func(b *testing.B) {
			b.SetBytes(2 * 4 * n)
			for b.Loop() {
				k.Scale(1, x[3])
			}
		})
	}
}
