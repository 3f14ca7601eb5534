package pc

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/pcgo/pcgo/linalg"
)

// MaxLayerSize bounds every layer's width, and MaxLayers the depth, so that a
// configuration (or a model file) cannot ask for absurd allocations.
const (
	MaxLayerSize = 1 << 16
	MaxLayers    = 64
)

// Net is a predictive-coding network: layer sizes n_0 … n_L (n_0 the data,
// n_L the label) and L weight matrices, W[i] of n_i × n_{i+1} (as in the
// seed: W[0] maps the first hidden layer down to the image).
//
// Act and Mode default (zero values) to the seed's ReLU and generative
// layout; a discriminative net swaps the ends (label at layer 0, image on
// top). Set them before the first Workspace call.
type Net struct {
	Sizes []int
	W     []linalg.Matrix
	Act   Activation // the nonlinearity f (zero value: ReLU)
	Mode  Mode       // which end holds the image (zero value: Generative)
}

// NewNet returns a network with the given layer sizes and weights drawn from
// a normal distribution with mean 0 and standard deviation std, using a PCG
// generator seeded with (seed, 0): W[0] first, each row-major, one
// NormFloat64 per weight. The same sizes, std and seed always give the same
// weights.
func NewNet(sizes []int, std float64, seed uint64) (*Net, error) {
	n, err := newZeroNet(sizes)
	if err != nil {
		return nil, err
	}
	if std < 0 || math.IsNaN(std) || math.IsInf(std, 0) {
		return nil, fmt.Errorf("pc: weight std must be a finite number ≥ 0, got %v", std)
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	for _, w := range n.W {
		for i := range w.Data {
			w.Data[i] = float32(rng.NormFloat64() * std)
		}
	}
	return n, nil
}

// newZeroNet validates sizes and allocates zero weights.
func newZeroNet(sizes []int) (*Net, error) {
	if err := CheckSizes(sizes); err != nil {
		return nil, err
	}
	n := &Net{Sizes: append([]int(nil), sizes...)}
	for i := 0; i+1 < len(sizes); i++ {
		n.W = append(n.W, linalg.New(sizes[i], sizes[i+1]))
	}
	return n, nil
}

// CheckSizes reports whether sizes describe a network pcgo can build: at
// least two layers, at most MaxLayers, each of 1 … MaxLayerSize units.
func CheckSizes(sizes []int) error {
	if len(sizes) < 2 || len(sizes) > MaxLayers {
		return fmt.Errorf("pc: a network needs 2 to %d layer sizes, got %d", MaxLayers, len(sizes))
	}
	for i, s := range sizes {
		if s < 1 || s > MaxLayerSize {
			return fmt.Errorf("pc: layer %d has size %d; sizes must be 1 to %d", i, s, MaxLayerSize)
		}
	}
	return nil
}

// Layers returns L, the number of weight matrices (one less than the number
// of layers).
func (n *Net) Layers() int { return len(n.W) }

// InputSize is n_0, the size of layer 0: the data layer of Learn (the image
// of a generative net, the label of a discriminative one).
func (n *Net) InputSize() int { return n.Sizes[0] }

// OutputSize is n_L, the size of the top layer: the target layer of Learn
// (the label of a generative net, the image of a discriminative one).
func (n *Net) OutputSize() int { return n.Sizes[len(n.Sizes)-1] }

// Params returns the number of weights.
func (n *Net) Params() int {
	total := 0
	for _, w := range n.W {
		total += w.Rows * w.Cols
	}
	return total
}

// Clone returns a deep copy of n.
func (n *Net) Clone() *Net {
	c, _ := newZeroNet(n.Sizes)
	c.Act, c.Mode = n.Act, n.Mode
	for i, w := range n.W {
		linalg.Copy(c.W[i], w)
	}
	return c
}

// LearnFlops is the number of floating-point operations of GEMM work in one
// Learn call on a batch of b samples with T inference steps: the top-down
// start of the hidden layers, T+1 rounds of predictions (the last one gives
// the errors the update uses), T rounds of errors fed back up, and the weight
// update. The element-wise passes add O(b·Σn) and are not counted. For the
// seed's net at b = 50, T = 20 this is 914.88 million.
func (n *Net) LearnFlops(b, T int) float64 {
	var start, pred, back float64
	for i, w := range n.W {
		mac := float64(w.Rows * w.Cols)
		pred += mac
		if i >= 1 {
			start += mac // R_i = F_{i+1}·W_iᵀ for hidden i
		}
		if i+1 < len(n.W) {
			back += mac // E_i·W_i feeds hidden layer i+1
		}
	}
	return 2 * float64(b) * (start + float64(T+1)*pred + float64(T)*back + pred)
}

// GenerateFlops is the GEMM work of one Generate call on b samples with T
// steps: the top-down start of every layer, then T rounds of predictions and
// fed-back errors.
func (n *Net) GenerateFlops(b, T int) float64 {
	var pred, back float64
	for i, w := range n.W {
		mac := float64(w.Rows * w.Cols)
		pred += mac
		if i+1 < len(n.W) {
			back += mac
		}
	}
	return 2 * float64(b) * (pred + float64(T)*(pred+back))
}
