package pc_test

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pcgo/pcgo/linalg"
	"github.com/pcgo/pcgo/pc"
)

// TestSharedNetParallelGenerate follows the package's concurrency rules: one
// Net shared read-only by several goroutines, each with its own Workspace and
// its own Engine (the engines share the worker pool). Every goroutine must get
// exactly what a serial run gives. It is short on purpose: .ci/run runs it
// under the race detector with -short.
func TestSharedNetParallelGenerate(t *testing.T) {
	net, err := pc.NewNet([]int{784, 64, 32, 10}, 0.05, 3)
	require.NoError(t, err)
	const (
		goroutines = 4
		calls      = 3
	)
	// Targets differ per goroutine and call: scaled one-hot rows plus noise.
	rng := rand.New(rand.NewPCG(5, 5))
	targets := make([][]linalg.Matrix, goroutines)
	for g := range targets {
		for range calls {
			y := linalg.New(10, 10)
			for i := range y.Rows {
				y.Set(i, (i+g)%10, 1+rng.Float32())
				y.Set(i, rng.IntN(10), rng.Float32())
			}
			targets[g] = append(targets[g], y)
		}
	}
	newWS := func(threads int) *pc.Workspace {
		ws, err := pc.NewWorkspace(net, 10, linalg.MustEngine(linalg.Options{Threads: threads}))
		require.NoError(t, err)
		ws.Config.TGen = 5
		return ws
	}

	serial := newWS(1)
	want := make([][]linalg.Matrix, goroutines)
	for g := range targets {
		for _, y := range targets[g] {
			img, err := serial.Generate(y)
			require.NoError(t, err)
			want[g] = append(want[g], ownCopy(img))
		}
	}
	before := net.Clone()

	got := make([][]linalg.Matrix, goroutines)
	errs := make([]error, goroutines)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range goroutines {
		ws := newWS(1 + g%2) // thread counts differ; results must not
		wg.Go(func() {
			<-start
			for _, y := range targets[g] {
				img, err := ws.Generate(y)
				if err != nil {
					errs[g] = err
					return
				}
				got[g] = append(got[g], ownCopy(img))
			}
		})
	}
	close(start)
	wg.Wait()
	for g := range goroutines {
		require.NoError(t, errs[g])
		require.Equal(t, want[g], got[g], "goroutine %d", g)
	}
	require.Equal(t, before.W, net.W, "Generate must not write the Net")
}

// ownCopy returns a copy of m that owns its memory.
func ownCopy(m linalg.Matrix) linalg.Matrix {
	c := linalg.New(m.Rows, m.Cols)
	linalg.Copy(c, m)
	return c
}
