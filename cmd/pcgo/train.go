package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/pcgo/pcgo/linalg"
	"github.com/pcgo/pcgo/mnist"
	"github.com/pcgo/pcgo/pc"
)

// trainFlags are pcgo train's options; the defaults are the seed's.
type trainFlags struct {
	epochs, batch, t, limit, threads int
	ir, lr, std                      float64
	arch                             []int
	seed                             uint64
	data, model, png                 string
	quiet                            bool
}

func runTrain(args []string, out, errOut io.Writer) error {
	f := trainFlags{arch: []int{784, 256, 64, 10}}
	fs := newFlags("train", "[flags]", out)
	fs.IntVar(&f.epochs, "epochs", 5, "passes over the training images")
	fs.IntVar(&f.batch, "batch", 50, "images per Learn call")
	fs.IntVar(&f.t, "T", 20, "relaxation steps per Learn call")
	fs.Float64Var(&f.ir, "ir", 0.05, "inference rate (relaxation step size)")
	fs.Float64Var(&f.lr, "lr", 0.005, "learning rate")
	fs.Func("arch", "layer sizes, data first, label last (default 784,256,64,10)", func(s string) (err error) {
		f.arch, err = parseArch(s)
		return err
	})
	fs.Float64Var(&f.std, "std", 0.001, "standard deviation of the initial weights")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of the weight initialisation and the shuffling")
	fs.StringVar(&f.data, "data", "", "folder with the MNIST IDX files (default: the GoMNIST module's copy)")
	fs.IntVar(&f.limit, "limit", 0, "train on the first N images only (0 = all)")
	fs.StringVar(&f.model, "model", "model.pcgo", "where to save the trained model (\"\" = don't)")
	fs.StringVar(&f.png, "png", "digits.png", "where to write the generated digits (\"\" = don't)")
	fs.IntVar(&f.threads, "threads", 0, "threads for the linear algebra (0 = GOMAXPROCS)")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress bar")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := f.check(); err != nil {
		return err
	}

	train, err := mnist.LoadSet(f.data, "train")
	if err != nil {
		return err
	}
	train = train.Slice(f.limit)
	L := len(f.arch) - 1
	if f.arch[0] != train.Dim() {
		return usageError{fmt.Sprintf("--arch starts with %d but the images have %d pixels", f.arch[0], train.Dim())}
	}
	eng, err := linalg.NewEngine(linalg.Options{Threads: f.threads})
	if err != nil {
		return err
	}
	net, err := pc.NewNet(f.arch, f.std, f.seed)
	if err != nil {
		return err
	}
	ws, err := pc.NewWorkspace(net, f.batch, eng)
	if err != nil {
		return err
	}
	ws.Config.IR, ws.Config.LR, ws.Config.T = float32(f.ir), float32(f.lr), f.t
	tr, err := pc.NewTrainer(ws, train, f.epochs, f.seed)
	if err != nil {
		return err
	}

	fmt.Fprintf(errOut, "training %v on %d images, %d epochs of %d batches (%s kernels, %d threads)\n",
		f.arch, train.Len(), f.epochs, tr.Batches(), eng.KernelSet(), eng.Threads())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	bar := newTrainBar(tr, errOut, f.quiet)
	start := time.Now()
	var last pc.Step
	images := 0
	err = tr.Run(ctx, func(s pc.Step) {
		last = s
		images += s.Samples
		bar.step(s)
	})
	bar.finish()
	elapsed := time.Since(start)
	if err != nil {
		return err
	}

	flops := net.LearnFlops(f.batch, f.t) * float64(images) / float64(f.batch)
	fmt.Fprintf(out, "trained %d epochs × %d images in %.1f s: %.0f images/s, %.1f GFLOP/s; final energy %.5f (data layer %.5f)\n",
		f.epochs, train.Len(), elapsed.Seconds(), float64(images)/elapsed.Seconds(), flops/elapsed.Seconds()/1e9, last.Energy, last.EnergyData)

	if f.model != "" {
		m := &pc.Model{Net: net, Config: ws.Config, Activation: "relu", Mode: "generative",
			Std: f.std, Seed: f.seed, Batch: f.batch, Epochs: f.epochs}
		if err := pc.SaveModel(f.model, m); err != nil {
			return err
		}
		fmt.Fprintf(out, "saved the model to %s\n", f.model)
	}
	if f.png != "" {
		if err := generateDigits(net, eng, ws.Config, L, f.png, ""); err != nil {
			return err
		}
		fmt.Fprintf(out, "wrote the generated digits to %s\n", f.png)
	}
	return nil
}

// check validates the flags that do not need the data.
func (f *trainFlags) check() error {
	switch {
	case f.epochs < 0:
		return usageError{"--epochs must be ≥ 0"}
	case f.batch < 1 || f.batch > 1<<16:
		return usageError{"--batch must be 1 to 65536"}
	case f.t < 0 || f.t > 1<<20:
		return usageError{"--T must be 0 to 1048576"}
	case f.limit < 0:
		return usageError{"--limit must be ≥ 0"}
	case f.threads < 0 || f.threads > 4096:
		return usageError{"--threads must be 0 to 4096"}
	case !(f.ir >= 0 && f.ir < 1e6):
		return usageError{"--ir must be a number ≥ 0"}
	case !(f.lr >= 0 && f.lr < 1e6):
		return usageError{"--lr must be a number ≥ 0"}
	case !(f.std >= 0 && f.std < 1e6):
		return usageError{"--std must be a number ≥ 0"}
	}
	return pc.CheckSizes(f.arch)
}

// parseArch reads a comma-separated list of layer sizes.
func parseArch(s string) ([]int, error) {
	var sizes []int
	for _, field := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil {
			return nil, fmt.Errorf("%q is not a list of layer sizes like 784,256,64,10", s)
		}
		sizes = append(sizes, n)
	}
	if err := pc.CheckSizes(sizes); err != nil {
		return nil, err
	}
	return sizes, nil
}

// trainBar is the progress bar on standard error: batches/s, ETA and the
// current energy, redrawn at most ten times a second.
type trainBar struct {
	bar    *progressbar.ProgressBar
	w      io.Writer
	epochs int
	next   time.Time
}

func newTrainBar(tr *pc.Trainer, w io.Writer, quiet bool) *trainBar {
	if quiet {
		return &trainBar{}
	}
	bar := progressbar.NewOptions(tr.Epochs()*tr.Batches(),
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(fmt.Sprintf("epoch 1/%d", tr.Epochs())),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("batch"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionShowElapsedTimeOnFinish(),
	)
	return &trainBar{bar: bar, w: w, epochs: tr.Epochs()}
}

func (b *trainBar) step(s pc.Step) {
	if b.bar == nil {
		return
	}
	if now := time.Now(); now.After(b.next) || s.Final {
		b.next = now.Add(250 * time.Millisecond)
		b.bar.Describe(fmt.Sprintf("epoch %d/%d energy %.4f", s.Epoch+1, b.epochs, s.Energy))
	}
	_ = b.bar.Add(1)
}

func (b *trainBar) finish() {
	if b.bar != nil {
		_ = b.bar.Finish()
		fmt.Fprintln(b.w)
	}
}
