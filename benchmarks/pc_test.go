package benchmarks

import (
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

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

// BenchmarkLearnTwoCores tells how much of what a 2-thread Learn call falls
// short of twice its 1-thread speed is the split's doing and how much the
// machine's. Each iteration runs, on the default kernel set:
//
//   - whole: BenchmarkLearn's call (batch 50) on a 1-thread engine;
//   - split: the same call on an engine of as many threads as -cpu says;
//   - alone: Learn on one half of the batch (25 rows) on a workspace with its
//     own copy of the network and a 1-thread engine;
//   - together: that call and the same on the other half, with a second such
//     workspace, at once on two goroutines, timed until both are done.
//
// The two copies share no data (only the flags that start and end the pair
// pass between their threads), so together against alone is what running on
// both cores costs by itself (shared caches and memory, the clock, the host).
// It reports each one's mean ms, split-x = whole/split (the 2-thread
// speed-up of one call) and copies-x = 2·alone/together (the speed-up of two
// cores over one on two independent halves), all four in the same placement
// of the CPUs, and rtt-ns. Run it with -cpu 2; with -cpu 1 both ratios are
// about 1 (the copies take turns, and the split is the whole call).
func BenchmarkLearnTwoCores(b *testing.B) {
	net, x, y := seedNet(b)
	workspace := func(n *pc.Net, rows, threads int) *pc.Workspace {
		ws, err := pc.NewWorkspace(n, rows, linalg.MustEngine(linalg.Options{Threads: threads}))
		if err != nil {
			b.Fatal(err)
		}
		return ws
	}
	whole := workspace(net.Clone(), 50, 1)
	split := workspace(net.Clone(), 50, 0)
	half := [2]*pc.Workspace{workspace(net.Clone(), 25, 1), workspace(net.Clone(), 25, 1)}
	hx := [2]linalg.Matrix{x.View(0, 0, 25, x.Cols), x.View(25, 0, 25, x.Cols)}
	hy := [2]linalg.Matrix{y.View(0, 0, 25, y.Cols), y.View(25, 0, 25, y.Cols)}
	learn := func(ws *pc.Workspace, x, y linalg.Matrix) time.Duration {
		t := time.Now()
		if err := ws.Learn(x, y); err != nil {
			panic(err)
		}
		return time.Since(t)
	}
	// The second copy runs on its own goroutine, woken by a send on wake
	// between iterations. The two calls then start together (run) and are
	// timed until both are done by spinning on flags: a parked goroutine
	// takes about 100 µs to wake on a virtual machine, which would count in
	// the pair's time otherwise. On one processor the spinning yields, so
	// that the other goroutine can run, and the second copy's call starts
	// only after the first copy's clock does.
	yield := runtime.GOMAXPROCS(0) < 2
	await := func(f *atomic.Bool) {
		for !f.Load() {
			if yield {
				runtime.Gosched()
			}
		}
	}
	wake := make(chan struct{})
	var ready, run, done atomic.Bool
	defer close(wake)
	go func() {
		for range wake {
			ready.Store(true)
			await(&run)
			learn(half[1], hx[1], hy[1])
			done.Store(true)
		}
	}()
	var tWhole, tSplit, tAlone, tTogether time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		tWhole += learn(whole, x, y)
		tSplit += learn(split, x, y)
		tAlone += learn(half[0], hx[0], hy[0])
		wake <- struct{}{}
		await(&ready)
		ready.Store(false)
		t0 := time.Now()
		run.Store(true)
		learn(half[0], hx[0], hy[0])
		await(&done)
		tTogether += time.Since(t0)
		run.Store(false)
		done.Store(false)
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return d.Seconds() * 1e3 / float64(b.N) }
	b.ReportMetric(ms(tWhole), "whole-ms")
	b.ReportMetric(ms(tSplit), "split-ms")
	b.ReportMetric(ms(tAlone), "alone-ms")
	b.ReportMetric(ms(tTogether), "together-ms")
	b.ReportMetric(float64(tWhole)/float64(tSplit), "split-x")
	b.ReportMetric(2*float64(tAlone)/float64(tTogether), "copies-x")
	reportRoundTrip(b)
}
