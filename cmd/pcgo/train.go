package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
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
	resume                           string // checkpoint or model to continue
	every                            int    // --checkpoint-every, in batches
	mode                             pc.Mode
	act                              pc.Activation
	tol, precision0                  float64
	plot, pngEpochs                  string // --plot, --png-every-epoch
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
	fs.StringVar(&f.model, "model", "model.pcgo", "where to save checkpoints and the trained model (\"\" = don't; with --resume, the file resumed)")
	fs.StringVar(&f.png, "png", "digits.png", "where to write the generated digits (\"\" = don't)")
	fs.IntVar(&f.threads, "threads", 0, "threads for the linear algebra (0 = GOMAXPROCS)")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress bar")
	fs.StringVar(&f.resume, "resume", "", "continue the run saved in this checkpoint, or train a finished model for more --epochs; settings come from the file")
	fs.IntVar(&f.every, "checkpoint-every", 0, "also save a checkpoint every N batches (0 = at the end of each epoch only)")
	f.registerPlus(fs.FlagSet)
	if err := fs.parse(args); err != nil {
		return err
	}
	f.applyModeDefaults(fs.FlagSet)
	resumed, err := f.resumeFrom(fs.FlagSet)
	if err != nil {
		return err
	}
	if err := f.check(); err != nil {
		return err
	}
	if err := f.checkPlus(fs.FlagSet); err != nil {
		return err
	}
	if err := checkWritable("model", f.model); err != nil {
		return err
	}
	if err := checkWritable("png", f.png); err != nil {
		return err
	}

	train, err := mnist.LoadSet(f.data, "train")
	if err != nil {
		return err
	}
	train = train.Slice(f.limit)
	L := len(f.arch) - 1
	imageLayer, labelLayer := f.layers()
	if f.arch[imageLayer] != train.Dim() {
		if f.mode == pc.Discriminative {
			return usageError{fmt.Sprintf("--arch ends with %d but the images have %d pixels (a discriminative net has the image on top)", f.arch[L], train.Dim())}
		}
		return usageError{fmt.Sprintf("--arch starts with %d but the images have %d pixels", f.arch[0], train.Dim())}
	}
	if err := train.CheckLabels(f.arch[labelLayer]); err != nil {
		which := "last"
		if labelLayer == 0 {
			which = "first"
		}
		return fmt.Errorf("%w: the label layer (the %s of --arch) has %d units", err, which, f.arch[labelLayer])
	}
	eng, err := linalg.NewEngine(linalg.Options{Threads: f.threads})
	if err != nil {
		return err
	}
	var net *pc.Net
	if resumed != nil {
		net = resumed.Net
	} else if net, err = pc.NewNet(f.arch, f.std, f.seed); err != nil {
		return err
	} else {
		net.Act, net.Mode = f.act, f.mode
	}
	ws, err := pc.NewWorkspace(net, f.batch, eng)
	if err != nil {
		return err
	}
	if resumed != nil {
		ws.Config = resumed.Config
	}
	ws.Config.IR, ws.Config.LR, ws.Config.T = float32(f.ir), float32(f.lr), f.t
	ws.Config.Tol, ws.Config.Precision0 = float32(f.tol), float32(f.precision0)
	extras, err := newTrainExtras(&f, ws)
	if err != nil {
		return err
	}
	tr, err := pc.NewTrainer(ws, train, f.epochs, f.seed)
	if err != nil {
		return err
	}
	// The model as saved: checkpoints add Progress, the finished model not.
	model := &pc.Model{Net: net, Config: ws.Config, Activation: net.Act.String(), Mode: net.Mode.String(),
		Std: f.std, Seed: f.seed, Batch: f.batch, Epochs: f.epochs}
	if resumed != nil {
		model.Activation, model.Mode = resumed.Activation, resumed.Mode
	}
	ck := &checkpointer{path: f.model, model: model, tr: tr, limit: f.limit,
		threads: eng.Threads(), kernels: eng.KernelSet()}

	// Signals are caught from here on: a Ctrl-C during set-up stops the run
	// before its first batch, with a checkpoint.
	in := notifyInterrupts()
	defer in.stop()
	if resumed != nil {
		if err := resumeTrainer(tr, resumed, f.resume); err != nil {
			return err
		}
		if p := resumed.Progress; p != nil && p.Kernels != eng.KernelSet() {
			fmt.Fprintf(errOut, "note: %s was trained with the %s kernels, this run uses %s: the weights will differ slightly from an uninterrupted run's\n",
				f.resume, p.Kernels, eng.KernelSet())
		}
	}
	epoch0, batch0, _ := tr.Position()
	done0 := epoch0*tr.Batches() + batch0
	if resumed != nil {
		fmt.Fprintf(errOut, "resuming %s at %s: ", f.resume, position(epoch0, batch0, tr.Batches()))
	}
	fmt.Fprintf(errOut, "training %v on %d images, %d epochs of %d batches (%s kernels, %d threads)\n",
		f.arch, train.Len(), f.epochs, tr.Batches(), eng.KernelSet(), eng.Threads())

	ctx, stopRun := context.WithCancelCause(in.ctx)
	defer stopRun(nil)
	hook := interruptAfter()
	bar := newTrainBar(tr, errOut, f.quiet, done0)
	start := time.Now()
	var last pc.Step
	images, batches := 0, 0
	err = tr.Run(ctx, func(s pc.Step) {
		last = s
		images += s.Samples
		batches++
		bar.step(s)
		if err := extras.batch(s); err != nil {
			stopRun(err)
		}
		epoch, batch, _ := tr.Position()
		if !s.Final && (s.EpochDone || f.every > 0 && (epoch*tr.Batches()+batch)%f.every == 0) {
			if err := ck.save(); err != nil {
				stopRun(err)
			}
		}
		if batches == hook {
			in.raise()
		}
	})
	bar.finish(err == nil)
	elapsed := time.Since(start)
	var stopped interrupted
	switch cause := context.Cause(ctx); {
	case err == nil:
	case errors.Is(err, pc.ErrDiverged):
		return fmt.Errorf("%w; lower --lr (now %s) or --ir (now %s); %s",
			err, fmtFloat(f.lr, 64), fmtFloat(f.ir, 64), ck.kept())
	case !errors.Is(err, context.Canceled):
		return err
	case !errors.As(cause, &stopped):
		epoch, batch, _ := tr.Position()
		return fmt.Errorf("training stopped at %s: %w; %s", position(epoch, batch, tr.Batches()), cause, ck.kept())
	default:
		return saveInterrupted(ck, in, &f, hook > 0, errOut)
	}

	flops := extras.flops // the steps Learn ran, fewer than T with --tol
	fmt.Fprintf(out, "trained %d epochs × %d images in %.1f s: %.0f images/s, %.1f GFLOP/s; final energy %.5f (data layer %.5f)\n",
		f.epochs, train.Len(), elapsed.Seconds(), float64(images)/elapsed.Seconds(), flops/elapsed.Seconds()/1e9, last.Energy, last.EnergyData)

	if f.model != "" {
		if err := pc.SaveModel(f.model, model); err != nil {
			return fmt.Errorf("training done, but %w; %s", err, ck.kept())
		}
		fmt.Fprintf(out, "saved the model to %s\n", f.model)
	}
	if f.png != "" {
		if err := generateDigits(net, eng, ws.Config, L, f.png, ""); err != nil {
			return err
		}
		fmt.Fprintf(out, "wrote the generated digits to %s\n", f.png)
	}
	return extras.finish(out)
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
	case f.every < 0:
		return usageError{"--checkpoint-every must be ≥ 0"}
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

func newTrainBar(tr *pc.Trainer, w io.Writer, quiet bool, done int) *trainBar {
	if quiet {
		return &trainBar{}
	}
	bar := progressbar.NewOptions(tr.Epochs()*tr.Batches()-done,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(fmt.Sprintf("epoch %d/%d", done/tr.Batches()+1, tr.Epochs())),
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

// finish ends the bar's line; a run that completed fills the bar, an
// interrupted or failed one leaves it where it stopped.
func (b *trainBar) finish(completed bool) {
	if b.bar != nil {
		if completed {
			_ = b.bar.Finish()
		}
		fmt.Fprintln(b.w)
	}
}
