package pc

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pcgo/pcgo/linalg"
)

// refEnergy is the energy ½ Σ_{i<L} π_i|r_i − W_i f(r_{i+1})|² of one
// sample, in float64, with f the activation a, π_0 = pi0 and π_i = 1 above.
func refEnergy(net *Net, a Activation, r [][]float64, pi0 float64) float64 {
	f := func(x float64) float64 {
		switch a {
		case ReLU:
			return math.Max(x, 0)
		case Tanh:
			return math.Tanh(x)
		case Sigmoid:
			return 1 / (1 + math.Exp(-x))
		}
		return x
	}
	var e float64
	for i, w := range net.W {
		for j := 0; j < w.Rows; j++ {
			p := 0.0
			for k := 0; k < w.Cols; k++ {
				p += float64(w.At(j, k)) * f(r[i+1][k])
			}
			d := r[i][j] - p
			w := 1.0
			if i == 0 {
				w = pi0
			}
			e += w * d * d / 2
		}
	}
	return e
}

// TestRelaxationFollowsTheEnergyGradient checks every activation's
// derivative where it matters: one relaxation step with ir = 1 moves every
// free layer (hidden, the free top of Classify and the free bottom of
// Generate) by minus the gradient of the energy, compared with central
// differences in float64; with layer 0's precision at 1 and at 0.3.
func TestRelaxationFollowsTheEnergyGradient(t *testing.T) {
	for _, c := range []struct {
		a   Activation
		pi0 float32
	}{{ReLU, 0}, {Tanh, 0}, {Sigmoid, 0}, {Linear, 0}, {ReLU, 0.3}, {Tanh, 0.3}} {
		a, pi0 := c.a, float64(c.pi0)
		if pi0 == 0 {
			pi0 = 1
		}
		t.Run(fmt.Sprintf("%v/pi0=%g", a, c.pi0), func(t *testing.T) {
			net, err := NewNet([]int{6, 5, 4, 3}, 0.4, 11)
			require.NoError(t, err)
			net.Act = a
			ws, err := NewWorkspace(net, 1, linalg.MustEngine(linalg.Options{Threads: 1}))
			require.NoError(t, err)
			ws.Config.IR, ws.Config.Precision0 = 1, c.pi0
			rng := rand.New(rand.NewPCG(3, uint64(a)))
			L := net.Layers()
			r, f, e := ws.views(1)
			ref := make([][]float64, L+1)
			for i := 0; i <= L; i++ {
				ref[i] = make([]float64, net.Sizes[i])
				for j := range ref[i] {
					v := rng.Float64()*1.6 - 0.8
					if math.Abs(v) < 0.1 { // keep ReLU's kink out of reach of the differences
						v = 0.3
					}
					ref[i][j] = v
					r[i].Set(0, j, float32(v))
				}
				ws.activate(ws.eng, f[i], r[i])
			}
			ws.errors(r, f, e)
			ws.relaxStep(&ws.whole, r, f, e, free{bottom: true, top: true}, false)
			const h = 1e-4
			for i := 0; i <= L; i++ {
				for j := range ref[i] {
					v := ref[i][j]
					ref[i][j] = v + h
					up := refEnergy(net, a, ref, pi0)
					ref[i][j] = v - h
					down := refEnergy(net, a, ref, pi0)
					ref[i][j] = v
					want := -(up - down) / (2 * h)
					got := float64(r[i].At(0, j)) - v
					require.InDelta(t, want, got, 2e-4+1e-3*math.Abs(want), "layer %d unit %d", i, j)
				}
			}
			// F follows R.
			for i := 1; i <= L; i++ {
				for j := range ref[i] {
					want := r[i].At(0, j)
					switch a {
					case ReLU:
						want = max(want, 0)
					case Tanh:
						want = float32(math.Tanh(float64(want)))
					case Sigmoid:
						want = float32(1 / (1 + math.Exp(-float64(want))))
					}
					require.InDelta(t, want, f[i].At(0, j), 1e-6)
				}
			}
		})
	}
}

func TestActivationAndModeNames(t *testing.T) {
	for i, name := range []string{"relu", "tanh", "sigmoid", "linear"} {
		a, err := ParseActivation(name)
		require.NoError(t, err)
		require.Equal(t, Activation(i), a)
		require.Equal(t, name, a.String())
	}
	_, err := ParseActivation("ReLU")
	require.EqualError(t, err, `pc: unknown activation "ReLU" (known: relu, tanh, sigmoid, linear)`)
	require.Equal(t, "Activation(9)", Activation(9).String())
	for i, name := range []string{"generative", "discriminative"} {
		m, err := ParseMode(name)
		require.NoError(t, err)
		require.Equal(t, Mode(i), m)
		require.Equal(t, name, m.String())
	}
	_, err = ParseMode("")
	require.Error(t, err)
	for i, name := range []string{"free", "energy"} {
		m, err := ParseMethod(name)
		require.NoError(t, err)
		require.Equal(t, Method(i), m)
		require.Equal(t, name, m.String())
	}
	_, err = ParseMethod("vote")
	require.Error(t, err)
}
