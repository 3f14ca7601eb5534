package pc

import (
	"fmt"
	"math"
	"strings"

	"github.com/pcgo/pcgo/linalg"
)

// Activation is a network's nonlinearity f, applied to every layer's
// activities before they predict the layer below (f(r_{i+1}) in W_i·f(r_{i+1})).
// The zero value is ReLU, the seed's.
type Activation uint8

const (
	// ReLU is f(x) = max(x, 0) with f'(x) = 1 for x ≥ 0 and 0 below (1 at 0,
	// as the seed's drelu). It runs on the engine's fused kernels.
	ReLU Activation = iota
	// Tanh is f(x) = tanh(x), f'(x) = 1 − tanh²(x).
	Tanh
	// Sigmoid is f(x) = 1/(1+e^−x), f'(x) = f(x)(1 − f(x)).
	Sigmoid
	// Linear is f(x) = x, f'(x) = 1.
	Linear
)

var activationNames = []string{ReLU: "relu", Tanh: "tanh", Sigmoid: "sigmoid", Linear: "linear"}

// String returns the activation's name as model files and the pcgo command
// spell it: "relu", "tanh", "sigmoid" or "linear".
func (a Activation) String() string {
	if int(a) < len(activationNames) {
		return activationNames[a]
	}
	return fmt.Sprintf("Activation(%d)", a)
}

// ParseActivation returns the activation with the given name (see String).
func ParseActivation(name string) (Activation, error) {
	for i, n := range activationNames {
		if n == name {
			return Activation(i), nil
		}
	}
	return 0, fmt.Errorf("pc: unknown activation %q (known: %s)", name, strings.Join(activationNames, ", "))
}

// valid reports whether a is one of the defined activations.
func (a Activation) valid() bool { return int(a) < len(activationNames) }

// activate writes F = f(R). ReLU runs on the engine's kernel; the others are
// element-wise Go loops.
func (ws *Workspace) activate(eng *linalg.Engine, dst, src linalg.Matrix) {
	a := ws.net.Act
	if a == ReLU {
		eng.Relu(dst, src)
		return
	}
	for i := 0; i < dst.Rows; i++ {
		d, s := dst.Row(i), src.Row(i)
		s = s[:len(d)]
		switch a {
		case Tanh:
			for j, x := range s {
				d[j] = float32(math.Tanh(float64(x)))
			}
		case Sigmoid:
			for j, x := range s {
				d[j] = sigmoid(x)
			}
		case Linear:
			copy(d, s)
		}
	}
}

func sigmoid(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }

// derivUpdate is the hidden-layer step of the relaxation,
//
//	R += ir · (−E + G ⊙ f'(R)),   then   F = f(R),
//
// with f' taken at R before the update, as the seed's update does. ReLU uses
// the engine's fused kernel; the others read f'(R) off F = f(R), which holds
// the activities' current image (tanh' = 1 − F², sigmoid' = F(1 − F)).
func (ws *Workspace) derivUpdate(r, e, g, f linalg.Matrix, ir float32) {
	a := ws.net.Act
	if a == ReLU {
		ws.eng.ReluDerivUpdate(r, e, g, f, ir)
		return
	}
	for i := 0; i < r.Rows; i++ {
		rr := r.Row(i)
		n := len(rr)
		ee, gg, ff := e.Row(i)[:n], g.Row(i)[:n], f.Row(i)[:n]
		for j, x := range rr {
			var d float32
			switch a {
			case Tanh:
				d = 1 - ff[j]*ff[j]
			case Sigmoid:
				d = ff[j] * (1 - ff[j])
			default: // Linear
				d = 1
			}
			// Round the product before the add, as the kernels do, so no
			// platform fuses it into an FMA.
			x += float32(ir * (float32(gg[j]*d) - ee[j]))
			rr[j] = x
			switch a {
			case Tanh:
				ff[j] = float32(math.Tanh(float64(x)))
			case Sigmoid:
				ff[j] = sigmoid(x)
			default:
				ff[j] = x
			}
		}
	}
}
