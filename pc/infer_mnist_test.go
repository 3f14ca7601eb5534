package pc_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pcgo/pcgo/mnist"
	"github.com/pcgo/pcgo/pc"
)

// TestClassifyMNISTShortRun trains each mode for one epoch on the first
// 10 000 MNIST training images and classifies test images by every method.
// The bars sit well below what such a run measures (README: about 80% for
// the generative net by energy or free relaxation, 81% top-down for the
// discriminative one), well above chance.
func TestClassifyMNISTShortRun(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on 10 000 MNIST images")
	}
	train, test, err := mnist.Load("")
	require.NoError(t, err)
	train = train.Slice(10000)
	for _, c := range []struct {
		mode   pc.Mode
		method pc.Method
		n      int // test images
		bar    float64
	}{
		{pc.Generative, pc.Energy, 500, 0.65},
		{pc.Generative, pc.Free, 300, 0.65},
		{pc.Discriminative, pc.Free, 2000, 0.7},
	} {
		sizes, std := seedSizes, 0.001
		if c.mode == pc.Discriminative {
			// pcgo train --mode discriminative's defaults.
			sizes, std = []int{10, 64, 256, 784}, 0.01
		}
		net, err := pc.NewNet(sizes, std, 1)
		require.NoError(t, err)
		net.Mode = c.mode
		ws, err := pc.NewWorkspace(net, 50, nil)
		require.NoError(t, err)
		if c.mode == pc.Discriminative {
			ws.Config.IR, ws.Config.LR, ws.Config.Precision0 = 0.1, 0.1, 0.1
		}
		tr, err := pc.NewTrainer(ws, train, 1, 1)
		require.NoError(t, err)
		require.NoError(t, tr.Run(context.Background(), nil))
		if c.method == pc.Free && c.mode == pc.Generative {
			ws.Config.T, ws.Config.IR = 500, net.StableIR()
		}
		ev, err := pc.Evaluate(context.Background(), ws, test.Slice(c.n), c.method, nil)
		require.NoError(t, err)
		t.Logf("%v, %v: %.2f%% of %d", c.mode, c.method, 100*ev.Accuracy(), c.n)
		require.GreaterOrEqual(t, ev.Accuracy(), c.bar, "%v %v", c.mode, c.method)
	}
}
