package pc

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/pcgo/pcgo/linalg"
)

// Dataset is a labelled data set that training draws batches from. The
// package mnist's *Set implements it.
type Dataset interface {
	// Len is the number of samples.
	Len() int
	// Batch writes samples idx[0], idx[1], … as consecutive rows of dst.
	Batch(dst []float32, idx []int)
	// OneHot writes the one-hot labels of samples idx as rows of dst.
	OneHot(dst []float32, idx []int, classes int) error
}

// ErrDiverged reports a training run whose energy became NaN or infinite.
var ErrDiverged = errors.New("training diverged")

// shuffleStream is the PCG stream of the shuffling RNG; weights are drawn
// from stream 0 of the same seed.
const shuffleStream = 1

// Trainer runs epochs of Learn over a Dataset: it shuffles the samples every
// epoch with a seeded RNG, cuts them into batches of the workspace's
// MaxBatch (the last one may be smaller), and stops cleanly between batches
// when asked. Its position can be saved (Position) and restored
// (Resume), and a resumed run ends with the same weights, bit for bit, as an
// uninterrupted one.
//
// The seed calls ds.shuffle(60000) and discards the result, so it never
// actually shuffles; pcgo shuffles for real.
type Trainer struct {
	ws      *Workspace
	data    Dataset
	epochs  int
	classes int

	pcg        *rand.PCG
	rng        *rand.Rand
	seedState  []byte // PCG state before the first epoch's shuffle
	epochStart []byte // PCG state at the start of the current epoch
	perm       []int
	x, y       linalg.Matrix

	epoch, batch int // next batch to run
}

// Step describes one finished batch, for progress reports.
type Step struct {
	Epoch, Batch     int     // 0-based position of the batch just run
	Batches          int     // batches per epoch
	Samples          int     // samples in this batch
	Energy           float64 // the workspace's TotalEnergy after the batch
	EnergyData       float64 // Energy(0): the data layer's mean squared error
	EpochDone, Final bool    // the batch ended its epoch / the whole run
}

// NewTrainer returns a trainer that runs epochs passes over data with ws,
// shuffling with the given seed. The data's labels must fit the network's
// label layer.
func NewTrainer(ws *Workspace, data Dataset, epochs int, seed uint64) (*Trainer, error) {
	if data == nil || data.Len() == 0 {
		return nil, errors.New("pc: training needs a non-empty data set")
	}
	if epochs < 0 {
		return nil, fmt.Errorf("pc: epochs must be ≥ 0, got %d", epochs)
	}
	t := &Trainer{
		ws: ws, data: data, epochs: epochs, classes: ws.net.LabelSize(),
		pcg:  rand.NewPCG(seed, shuffleStream),
		perm: make([]int, data.Len()),
		x:    linalg.New(ws.maxBatch, ws.net.ImageSize()),
		y:    linalg.New(ws.maxBatch, ws.net.LabelSize()),
	}
	t.rng = rand.New(t.pcg)
	t.startEpoch()
	t.seedState = t.epochStart
	return t, nil
}

// Batches returns the number of batches per epoch.
func (t *Trainer) Batches() int { return (len(t.perm) + t.ws.maxBatch - 1) / t.ws.maxBatch }

// Epochs returns the number of epochs the run is to do.
func (t *Trainer) Epochs() int { return t.epochs }

// Done reports whether every epoch has run.
func (t *Trainer) Done() bool { return t.epoch >= t.epochs }

// startEpoch records the RNG state and draws the epoch's order of samples.
func (t *Trainer) startEpoch() {
	state, err := t.pcg.MarshalBinary()
	if err != nil {
		panic(err) // *rand.PCG never fails to marshal
	}
	t.epochStart = state
	for i := range t.perm {
		t.perm[i] = i
	}
	t.rng.Shuffle(len(t.perm), func(i, j int) { t.perm[i], t.perm[j] = t.perm[j], t.perm[i] })
}

// Position returns where the run stands: the epoch and batch to run next and
// the shuffling RNG's state at the start of that epoch.
func (t *Trainer) Position() (epoch, batch int, rngState []byte) {
	return t.epoch, t.batch, append([]byte(nil), t.epochStart...)
}

// Resume moves a fresh trainer to a saved position (from Position). A nil
// rngState stands for the state a run from the trainer's seed would have at
// the start of that epoch: Resume then replays the shuffles of the epochs
// before it, for a run whose state was not saved, such as a finished model
// trained for more epochs (the same seed and data set give the same state).
func (t *Trainer) Resume(epoch, batch int, rngState []byte) error {
	if epoch < 0 || epoch > t.epochs || batch < 0 || batch >= t.Batches() || epoch == t.epochs && batch != 0 {
		return fmt.Errorf("pc: cannot resume at epoch %d, batch %d of a run of %d epochs × %d batches", epoch, batch, t.epochs, t.Batches())
	}
	replay := rngState == nil
	if replay {
		rngState = t.seedState
	}
	if err := t.pcg.UnmarshalBinary(rngState); err != nil {
		return fmt.Errorf("pc: cannot resume: bad RNG state: %w", err)
	}
	if replay {
		for range epoch {
			t.startEpoch()
		}
	}
	t.epoch, t.batch = epoch, batch
	t.startEpoch()
	return nil
}

// Run trains until every epoch is done or ctx is cancelled; cancellation is
// checked between batches, so the current batch always finishes. After each
// batch it calls onBatch (if not nil). A batch whose energy is not finite
// stops the run with an error wrapping ErrDiverged. Run allocates nothing
// per batch beyond what onBatch does.
func (t *Trainer) Run(ctx context.Context, onBatch func(Step)) error {
	nb := t.Batches()
	for !t.Done() {
		if err := ctx.Err(); err != nil {
			return err
		}
		step, err := t.runBatch()
		if err != nil {
			return err
		}
		if t.batch++; t.batch == nb {
			step.EpochDone = true
			t.epoch, t.batch = t.epoch+1, 0
			if step.Final = t.Done(); !step.Final {
				t.startEpoch()
			}
		}
		if onBatch != nil {
			onBatch(step)
		}
	}
	return nil
}

// runBatch runs Learn on the next batch.
func (t *Trainer) runBatch() (Step, error) {
	bs := t.ws.maxBatch
	lo := t.batch * bs
	idx := t.perm[lo:min(lo+bs, len(t.perm))]
	x, y := t.x.FirstRows(len(idx)), t.y.FirstRows(len(idx))
	t.data.Batch(x.Data, idx)
	if err := t.data.OneHot(y.Data, idx, t.classes); err != nil {
		return Step{}, err
	}
	if err := t.ws.LearnLabelled(x, y); err != nil {
		return Step{}, err
	}
	e := t.ws.TotalEnergy()
	if math.IsNaN(e) || math.IsInf(e, 0) {
		return Step{}, fmt.Errorf("pc: %w at epoch %d, batch %d: the energy is %v (the learning or inference rate is likely too high)",
			ErrDiverged, t.epoch+1, t.batch+1, e)
	}
	return Step{Epoch: t.epoch, Batch: t.batch, Batches: t.Batches(), Samples: len(idx), Energy: e, EnergyData: t.ws.Energy(0)}, nil
}
