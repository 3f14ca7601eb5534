package benchmarks

import (
	"math/rand/v2"
	"testing"

	"github.com/pcgo/pcgo/linalg"
	"github.com/pcgo/pcgo/pc"
)

// seedNet returns the seed's network [784, 256, 64, 10] with its default
// initialisation, and a batch of 50 random images with one-hot labels.
func seedNet(b *testing.B) (*pc.Net, linalg.Matrix, linalg.Matrix) {
	net, err := pc.NewNet([]int{784, 256, 64, 10}, 0.001, 1)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x, y := linalg.New(50, 784), linalg.New(50, 10)
	for i := range x.Data {
		x.Data[i] = rng.Float32()
	}
	for i := 0; i < 50; i++ {
		y.Set(i, rng.IntN(10), 1)
	}
	return net, x, y
}

// BenchmarkLearn is one call of the seed's learn: batch 50, T = 20, on the
// default kernel set; threads follow -cpu.
func BenchmarkLearn(b *testing.B) {
	for _, set := range linalg.KernelSets() {
		b.Run(set, func(b *testing.B) {
			net, x, y := seedNet(b)
			ws, err := pc.NewWorkspace(net, 50, linalg.MustEngine(linalg.Options{Kernels: set}))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := ws.Learn(x, y); err != nil {
					b.Fatal(err)
				}
			}
			reportGFLOPS(b, set, net.LearnFlops(50, ws.Config.T))
		})
	}
}

// BenchmarkGenerate is one call of the seed's generate: the ten labels,
// T = 40.
func BenchmarkGenerate(b *testing.B) {
	for _, set := range linalg.KernelSets() {
		b.Run(set, func(b *testing.B) {
			net, _, _ := seedNet(b)
			ws, err := pc.NewWorkspace(net, 10, linalg.MustEngine(linalg.Options{Kernels: set}))
			if err != nil {
				b.Fatal(err)
			}
			labels := linalg.New(10, 10)
			for i := 0; i < 10; i++ {
				labels.Set(i, i, 1)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := ws.Generate(labels); err != nil {
					b.Fatal(err)
				}
			}
			reportGFLOPS(b, set, net.GenerateFlops(10, ws.Config.TGen))
		})
	}
}
