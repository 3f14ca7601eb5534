package pc_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pcgo/pcgo/linalg"
	"github.com/pcgo/pcgo/pc"
)

// toyData is a small labelled data set held in memory.
type toyData struct {
	x       linalg.Matrix
	labels  []int
	batches int // number of Batch calls, to check the trainer's use
}

func newToyData(n, dim, classes int, seed uint64) *toyData {
	rng := rand.New(rand.NewPCG(seed, seed))
	d := &toyData{x: linalg.New(n, dim), labels: make([]int, n)}
	for i := 0; i < n; i++ {
		d.labels[i] = rng.IntN(classes)
		for j := 0; j < dim; j++ {
			// A class-dependent pattern plus noise, so there is something to learn.
			v := 0.1 * rng.Float32()
			if j%classes == d.labels[i] {
				v += 0.8
			}
			d.x.Set(i, j, v)
		}
	}
	return d
}

func (d *toyData) Len() int { return d.x.Rows }

func (d *toyData) Batch(dst []float32, idx []int) {
	d.batches++
	for r, i := range idx {
		copy(dst[r*d.x.Cols:(r+1)*d.x.Cols], d.x.Row(i))
	}
}

func (d *toyData) OneHot(dst []float32, idx []int, classes int) error {
	clear(dst[:len(idx)*classes])
	for r, i := range idx {
		dst[r*classes+d.labels[i]] = 1
	}
	return nil
}

func newToyTrainer(t *testing.T, data pc.Dataset, epochs int) (*pc.Trainer, *pc.Net) {
	tr, ws := newToyTrainerWS(t, data, epochs)
	return tr, ws.Net()
}

func newToyTrainerWS(t *testing.T, data pc.Dataset, epochs int) (*pc.Trainer, *pc.Workspace) {
	t.Helper()
	net, err := pc.NewNet([]int{20, 12, 8, 4}, 0.1, 9)
	require.NoError(t, err)
	ws, err := pc.NewWorkspace(net, 8, linalg.MustEngine(linalg.Options{Threads: 1}))
	require.NoError(t, err)
	tr, err := pc.NewTrainer(ws, data, epochs, 42)
	require.NoError(t, err)
	return tr, ws
}

func TestTrainerRunsEveryBatchOfEveryEpoch(t *testing.T) {
	data := newToyData(30, 20, 4, 1) // 30 samples, batches of 8: 4 batches, the last of 6
	tr, _ := newToyTrainer(t, data, 3)
	require.Equal(t, 4, tr.Batches())
	var steps []pc.Step
	require.NoError(t, tr.Run(context.Background(), func(s pc.Step) { steps = append(steps, s) }))
	require.Len(t, steps, 12)
	require.Equal(t, 12, data.batches)
	require.Equal(t, 6, steps[3].Samples)
	require.True(t, steps[3].EpochDone)
	require.False(t, steps[3].Final)
	require.True(t, steps[11].Final)
	require.True(t, tr.Done())
	require.Less(t, steps[11].Energy, steps[0].Energy)
}

// TestTrainerResumesBitIdentically interrupts a run after every possible
// batch, resumes it in a fresh trainer from the saved position, and requires
// the final weights to equal an uninterrupted run's bit for bit.
func TestTrainerResumesBitIdentically(t *testing.T) {
	data := newToyData(30, 20, 4, 2)
	full, want := newToyTrainer(t, data, 3)
	require.NoError(t, full.Run(context.Background(), nil))

	for stopAfter := 1; stopAfter < 12; stopAfter++ {
		first, net := newToyTrainer(t, data, 3)
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		err := first.Run(ctx, func(pc.Step) {
			if n++; n == stopAfter {
				cancel()
			}
		})
		require.ErrorIs(t, err, context.Canceled)
		epoch, batch, state := first.Position()

		// Resume with the interrupted run's weights in a new trainer.
		second, net2 := newToyTrainer(t, data, 3)
		for i := range net2.W {
			linalg.Copy(net2.W[i], net.W[i])
		}
		require.NoError(t, second.Resume(epoch, batch, state))
		require.NoError(t, second.Run(context.Background(), nil))
		require.Equal(t, want.W, net2.W, "interrupted after %d batches", stopAfter)
	}
}

func TestTrainerShufflesEveryEpochDifferently(t *testing.T) {
	// Record the order in which samples are drawn.
	data := &orderData{toyData: newToyData(16, 20, 4, 3)}
	tr, _ := newToyTrainer(t, data, 2)
	require.NoError(t, tr.Run(context.Background(), nil))
	require.Len(t, data.order, 32)
	first, second := data.order[:16], data.order[16:]
	require.ElementsMatch(t, first, second)
	require.NotEqual(t, first, second)
	require.NotEqual(t, []int{0, 1, 2, 3, 4, 5, 6, 7}, first[:8], "the first epoch is shuffled too")
}

type orderData struct {
	*toyData
	order []int
}

func (d *orderData) Batch(dst []float32, idx []int) {
	d.order = append(d.order, idx...)
	d.toyData.Batch(dst, idx)
}

func TestTrainerStopsOnDivergence(t *testing.T) {
	data := newToyData(30, 20, 4, 4)
	tr, ws := newToyTrainerWS(t, data, 50)
	// An absurd learning rate makes the weights blow up within a few batches.
	ws.Config.LR = 1e6
	err := tr.Run(context.Background(), nil)
	require.ErrorIs(t, err, pc.ErrDiverged)
	require.ErrorContains(t, err, "epoch 1, batch")
}

func TestTrainerRejectsBadPositions(t *testing.T) {
	data := newToyData(30, 20, 4, 5)
	tr, _ := newToyTrainer(t, data, 3)
	_, _, state := tr.Position()
	require.Error(t, tr.Resume(0, 4, state))
	require.Error(t, tr.Resume(4, 0, state))
	require.Error(t, tr.Resume(3, 1, state))
	require.Error(t, tr.Resume(0, 0, []byte("nonsense")))
	require.NoError(t, tr.Resume(3, 0, state))
	require.True(t, tr.Done())
}

// TestTrainerReplaysTheShuffles resumes runs without a saved RNG state:
// Resume then replays the shuffles of the epochs before, and the result is
// the uninterrupted run's, bit for bit. This is how a finished model is
// trained for more epochs.
func TestTrainerReplaysTheShuffles(t *testing.T) {
	data := newToyData(30, 20, 4, 6)
	full, want := newToyTrainer(t, data, 3)
	require.NoError(t, full.Run(context.Background(), nil))

	// A finished 2-epoch run, extended to 3 epochs.
	two, net := newToyTrainer(t, data, 2)
	require.NoError(t, two.Run(context.Background(), nil))
	three, net3 := newToyTrainer(t, data, 3)
	for i := range net3.W {
		linalg.Copy(net3.W[i], net.W[i])
	}
	require.NoError(t, three.Resume(2, 0, nil))
	require.NoError(t, three.Run(context.Background(), nil))
	require.Equal(t, want.W, net3.W)

	// A replayed state equals the saved one at every position.
	for stopAfter := 1; stopAfter < 12; stopAfter++ {
		first, _ := newToyTrainer(t, data, 3)
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		require.ErrorIs(t, first.Run(ctx, func(pc.Step) {
			if n++; n == stopAfter {
				cancel()
			}
		}), context.Canceled)
		epoch, batch, state := first.Position()
		second, _ := newToyTrainer(t, data, 3)
		require.NoError(t, second.Resume(epoch, batch, nil))
		e2, b2, state2 := second.Position()
		require.Equal(t, []any{epoch, batch, state}, []any{e2, b2, state2}, "after %d batches", stopAfter)
	}
}
