package pc_test

import (
	"encoding/json"
	"math"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pcgo/pcgo/linalg"
	"github.com/pcgo/pcgo/mnist"
	"github.com/pcgo/pcgo/pc"
)

// golden is testdata/seed_golden.json: figures from an independent NumPy port
// of the seed (see its "doc" field).
type golden struct {
	Doc   string `json:"doc"`
	Hyper struct {
		IR     float32 `json:"ir"`
		LR     float32 `json:"lr"`
		TLearn int     `json:"T_learn"`
		TGen   int     `json:"T_generate"`
		Sizes  []int   `json:"sizes"`
		Batch  int     `json:"batch"`
	} `json:"hyper"`
	Float64 struct {
		Steps []struct {
			Call    int       `json:"after_learn_call"`
			Energy  float64   `json:"energy_e0_mse"`
			Weights []figures `json:"weights"`
		} `json:"steps"`
		Generate figures `json:"generate_r0"`
	} `json:"float64"`
}

// figures summarise a matrix: its sum, sum of squares and a few entries by
// flat index.
type figures struct {
	Sum     float64            `json:"sum"`
	SumSq   float64            `json:"sumsq"`
	Entries map[string]float64 `json:"entries"`
}

// sineNet is the golden run's deterministic start:
// W_i[j,k] = 0.001·sin(1 + i + 0.37j + 0.11k).
func sineNet(t *testing.T, sizes []int) *pc.Net {
	net, err := pc.NewNet(sizes, 0, 0)
	require.NoError(t, err)
	for i, w := range net.W {
		for j := 0; j < w.Rows; j++ {
			for k := 0; k < w.Cols; k++ {
				w.Set(j, k, float32(0.001*math.Sin(1+float64(i)+0.37*float64(j)+0.11*float64(k))))
			}
		}
	}
	return net
}

// checkFigures compares m with want at relative error ≤ tol (entries near
// zero are compared against the matrix's largest golden entry instead).
func checkFigures(t *testing.T, name string, m linalg.Matrix, want figures, tol float64) {
	t.Helper()
	var sum, sumsq float64
	flat := make([]float64, 0, m.Rows*m.Cols)
	for i := 0; i < m.Rows; i++ {
		for _, v := range m.Row(i) {
			sum += float64(v)
			sumsq += float64(v) * float64(v)
			flat = append(flat, float64(v))
		}
	}
	relErr := func(got, want float64) float64 { return math.Abs(got-want) / math.Abs(want) }
	require.LessOrEqual(t, relErr(sum, want.Sum), tol, "%s: sum %v, golden %v", name, sum, want.Sum)
	require.LessOrEqual(t, relErr(sumsq, want.SumSq), tol, "%s: sum of squares %v, golden %v", name, sumsq, want.SumSq)
	require.NotEmpty(t, want.Entries)
	for key, w := range want.Entries {
		idx, err := strconv.Atoi(key)
		require.NoError(t, err)
		require.LessOrEqual(t, relErr(flat[idx], w), tol, "%s: entry %d is %v, golden %v", name, idx, flat[idx], w)
	}
}

// TestGoldenSeed replays the golden run: three Learn calls on the first 150
// MNIST training images, then Generate on the ten one-hot labels, with every
// kernel set, and compares against the float64 NumPy figures.
func TestGoldenSeed(t *testing.T) {
	raw, err := os.ReadFile("testdata/seed_golden.json")
	require.NoError(t, err)
	var g golden
	require.NoError(t, json.Unmarshal(raw, &g))
	require.Len(t, g.Float64.Steps, 3)

	train, err := mnist.LoadSet("", "train")
	require.NoError(t, err)
	b := g.Hyper.Batch
	L := len(g.Hyper.Sizes) - 1
	const tol = 1e-4

	for _, set := range linalg.KernelSets() {
		t.Run(set, func(t *testing.T) {
			net := sineNet(t, g.Hyper.Sizes)
			ws, err := pc.NewWorkspace(net, b, linalg.MustEngine(linalg.Options{Kernels: set}))
			require.NoError(t, err)
			ws.Config = pc.Config{IR: g.Hyper.IR, LR: g.Hyper.LR, T: g.Hyper.TLearn, TGen: g.Hyper.TGen}
			x := linalg.New(b, g.Hyper.Sizes[0])
			y := linalg.New(b, g.Hyper.Sizes[L])
			idx := make([]int, b)
			for call, step := range g.Float64.Steps {
				for i := range idx {
					idx[i] = call*b + i
				}
				train.Batch(x.Data, idx)
				require.NoError(t, train.OneHot(y.Data, idx, g.Hyper.Sizes[L]))
				require.NoError(t, ws.Learn(x, y))
				require.InEpsilon(t, step.Energy, ws.Energy(0), tol, "energy after call %d", step.Call)
				for i, w := range net.W {
					checkFigures(t, "W"+strconv.Itoa(i)+" after call "+strconv.Itoa(step.Call), w, step.Weights[i], tol)
				}
			}
			eye := linalg.New(10, 10)
			for i := 0; i < 10; i++ {
				eye.Set(i, i, 1)
			}
			r0, err := ws.Generate(eye)
			require.NoError(t, err)
			checkFigures(t, "generated r0", r0, g.Float64.Generate, tol)
		})
	}
}
