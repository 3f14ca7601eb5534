package pc

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/pcgo/pcgo/linalg"
)

// Evaluation is the result of Evaluate: how the inferred labels of a data
// set compare with the true ones.
type Evaluation struct {
	// Confusion[t][p] counts the samples of true class t predicted as p.
	Confusion [][]int
	Correct   int // samples whose prediction is their label
	Total     int // samples evaluated
	// Steps is the number of relaxation steps summed over the batches
	// (Workspace.Steps after each), Batches the number of batches.
	Steps, Batches int
}

// Accuracy returns the fraction of samples predicted correctly.
func (e *Evaluation) Accuracy() float64 {
	if e.Total == 0 {
		return 0
	}
	return float64(e.Correct) / float64(e.Total)
}

// MeanSteps returns the mean number of relaxation steps per batch.
func (e *Evaluation) MeanSteps() float64 {
	if e.Batches == 0 {
		return 0
	}
	return float64(e.Steps) / float64(e.Batches)
}

// Evaluate infers the label of every sample of data with ws (in batches of
// its MaxBatch, in order, by method m; see Predict) and counts the
// predictions against the labels. A discriminative net always predicts with
// Classify (its top-down prediction), whatever m. ctx is checked between
// batches; onBatch, if not nil, is called after each with the samples done
// so far. Buffers are allocated once per call, not per batch.
func Evaluate(ctx context.Context, ws *Workspace, data Dataset, m Method, onBatch func(done int)) (*Evaluation, error) {
	if data == nil || data.Len() == 0 {
		return nil, errors.New("pc: Evaluate needs a non-empty data set")
	}
	if ws.net.Mode == Discriminative {
		m = Free
	}
	classes := ws.net.LabelSize()
	bs := ws.maxBatch
	x := linalg.New(bs, ws.net.ImageSize())
	y := linalg.New(bs, classes)
	idx := make([]int, bs)
	pred := make([]int, bs)
	ev := &Evaluation{Confusion: make([][]int, classes)}
	for c := range ev.Confusion {
		ev.Confusion[c] = make([]int, classes)
	}
	for lo := 0; lo < data.Len(); lo += bs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := min(bs, data.Len()-lo)
		for i := range n {
			idx[i] = lo + i
		}
		xb, yb := x.FirstRows(n), y.FirstRows(n)
		data.Batch(xb.Data, idx[:n])
		if err := data.OneHot(yb.Data, idx[:n], classes); err != nil {
			return nil, err
		}
		if err := ws.Predict(xb, m, pred); err != nil {
			return nil, err
		}
		for i := range n {
			t := argmax(yb.Row(i))
			ev.Confusion[t][pred[i]]++
			if t == pred[i] {
				ev.Correct++
			}
		}
		ev.Total += n
		ev.Steps += ws.steps
		ev.Batches++
		if onBatch != nil {
			onBatch(ev.Total)
		}
	}
	return ev, nil
}

// argmax returns the index of the largest element (the first of equals).
func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// CompletionError returns the mean squared difference between completed and
// original over the units where known is zero (the ones Complete inferred);
// known has one row for all samples or one per sample. It returns 0 if every
// unit is known.
func CompletionError(completed, original, known linalg.Matrix) (float64, error) {
	if completed.Rows != original.Rows || completed.Cols != original.Cols ||
		known.Cols != completed.Cols || known.Rows != 1 && known.Rows != completed.Rows {
		return 0, fmt.Errorf("pc: CompletionError: shapes %d×%d, %d×%d and mask %d×%d disagree",
			completed.Rows, completed.Cols, original.Rows, original.Cols, known.Rows, known.Cols)
	}
	var sum float64
	n := 0
	for i := 0; i < completed.Rows; i++ {
		c, o := completed.Row(i), original.Row(i)
		for j, k := range known.Row(min(i, known.Rows-1)) {
			if k == 0 {
				d := float64(c[j]) - float64(o[j])
				sum += d * d
				n++
			}
		}
	}
	if n == 0 {
		return 0, nil
	}
	return sum / float64(n), nil
}

// StableIR returns an inference rate at which relaxing every unit of the
// net is stable: 2/(1 + σ)², σ the largest singular value of any weight
// matrix (estimated by 50 rounds of power iteration from a fixed random
// start, so the same weights give the same result). The energy is
// ½‖A·r − b‖² with A made of identity blocks and the blocks −W_i, so its
// curvature is at most ‖A‖² ≤ (1 + σ)² (activations whose slope is at most
// 1 only lower it), and gradient descent is stable for rates below 2 over
// that. Classify on a generative net relaxes from zero and needs a rate
// near this; Learn and Generate start top-down, where most ReLU units sit
// at a zero derivative, and tolerate far larger ones (the seed's 0.05).
func (n *Net) StableIR() float32 {
	rng := rand.New(rand.NewPCG(1, 2))
	most := 0.0
	for _, w := range n.W {
		v := make([]float64, w.Cols)
		u := make([]float64, w.Rows)
		for i := range v {
			v[i] = rng.Float64() + 0.5
		}
		s := 0.0
		for range 50 {
			clear(u)
			for r := range w.Rows {
				for c, x := range w.Row(r) {
					u[r] += float64(x) * v[c]
				}
			}
			clear(v)
			for r := range w.Rows {
				for c, x := range w.Row(r) {
					v[c] += float64(x) * u[r]
				}
			}
			norm := 0.0
			for _, x := range v {
				norm += x * x
			}
			norm = math.Sqrt(norm)
			if norm == 0 || math.IsNaN(norm) || math.IsInf(norm, 0) {
				break
			}
			s = norm // ‖WᵀW v‖ for a unit v: σ² in the limit
			for i := range v {
				v[i] /= norm
			}
		}
		most = max(most, s)
	}
	sigma := math.Sqrt(most)
	return float32(2 / ((1 + sigma) * (1 + sigma)))
}
