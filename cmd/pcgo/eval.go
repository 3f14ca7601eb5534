package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/pcgo/pcgo/linalg"
	"github.com/pcgo/pcgo/mnist"
	"github.com/pcgo/pcgo/pc"
)

// Defaults of pcgo eval --method free on a generative model, measured on the
// seed's model (see the README): the relaxation from zero needs a small
// rate (pc.Net.StableIR) and many steps.
const freeSteps = 500

func runEval(args []string, out, errOut io.Writer) error {
	fs := newFlags("eval", "--model FILE [--method energy|free] [--T N] [--ir X] [--tol X] [--data DIR] [--limit N] [--png FILE]", out)
	model := fs.String("model", "model.pcgo", "the model file to read")
	method := fs.String("method", "", "how a generative model infers a label: energy (clamp each label in turn, relax, take the lowest energy;\nthe default) or free (relax the label layer with the hidden ones); a discriminative model takes its top-down prediction")
	steps := fs.Int("T", -1, fmt.Sprintf("relaxation steps (default: the model's T; %d for --method free)", freeSteps))
	ir := fs.Float64("ir", -1, "inference rate (default: the model's; for --method free, pc.Net.StableIR of the weights)")
	tol := fs.Float64("tol", -1, "stop relaxing once no activity changes by more than this (negative: never)")
	data := fs.String("data", "", "folder with the IDX files (default: the GoMNIST module's copy of MNIST)")
	limit := fs.Int("limit", 0, "evaluate the first N test images only (0 = all)")
	batch := fs.Int("batch", 100, "images per batch")
	png := fs.String("png", "", "write the confusion matrix as a heat map to this PNG file")
	threads := fs.Int("threads", 0, "threads for the linear algebra (0 = GOMAXPROCS)")
	if err := fs.parse(args); err != nil {
		return err
	}
	switch {
	case *steps < -1 || *steps > 1<<20:
		return usageError{"--T must be 0 to 1048576"}
	case *ir != -1 && !(*ir >= 0 && *ir < 1e6):
		return usageError{"--ir must be a number ≥ 0"}
	case !(*tol > -1e30 && *tol < 1e30):
		return usageError{"--tol must be a number"}
	case *limit < 0:
		return usageError{"--limit must be ≥ 0"}
	case *batch < 1 || *batch > 1<<16:
		return usageError{"--batch must be 1 to 65536"}
	case *threads < 0 || *threads > 4096:
		return usageError{"--threads must be 0 to 4096"}
	}
	m := pc.Energy
	if *method != "" {
		var err error
		if m, err = pc.ParseMethod(*method); err != nil {
			return usageError{fmt.Sprintf("--method must be energy or free, not %q", *method)}
		}
	}
	if err := checkWritable("png", *png); err != nil {
		return err
	}
	mod, err := pc.LoadModel(*model)
	if err != nil {
		return err
	}
	net := mod.Net
	if net.Mode == pc.Discriminative && *method != "" {
		return usageError{"--method is for generative models; a discriminative one takes its top-down prediction"}
	}
	test, err := loadTestSet(*data, net, *limit)
	if err != nil {
		return err
	}
	eng, err := linalg.NewEngine(linalg.Options{Threads: *threads})
	if err != nil {
		return err
	}
	ws, err := pc.NewWorkspace(net, min(*batch, test.Len()), eng)
	if err != nil {
		return err
	}
	cfg := mod.Config
	cfg.Tol = float32(*tol)
	free := net.Mode == pc.Generative && m == pc.Free
	if free {
		cfg.T, cfg.IR = freeSteps, net.StableIR()
	}
	if *steps >= 0 {
		cfg.T = *steps
	}
	if *ir >= 0 {
		cfg.IR = float32(*ir)
	}
	ws.Config = cfg

	how := "its top-down prediction"
	if net.Mode == pc.Generative {
		how = "method " + m.String()
	}
	fmt.Fprintf(errOut, "evaluating %s (%s, %s, %v) on %d images: %s, T=%d, ir=%.4g\n",
		*model, net.Mode, net.Act, net.Sizes, test.Len(), how, cfg.T, cfg.IR)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	ev, err := pc.Evaluate(ctx, ws, test, m, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "accuracy: %.2f%% (%d of %d test images, %.1f s)\n",
		100*ev.Accuracy(), ev.Correct, ev.Total, time.Since(start).Seconds())
	if cfg.Tol >= 0 {
		fmt.Fprintf(out, "relaxation steps per batch: %.1f on average (T=%d, tol %g)\n", ev.MeanSteps(), cfg.T, cfg.Tol)
	}
	writeConfusion(out, ev.Confusion)
	if *png != "" {
		title := fmt.Sprintf("%s, %s: %.2f%% of %d", net.Mode, strings.TrimPrefix(how, "method "), 100*ev.Accuracy(), ev.Total)
		if err := writeConfusionPNG(*png, ev.Confusion, title); err != nil {
			return err
		}
		fmt.Fprintf(out, "wrote the confusion matrix to %s\n", *png)
	}
	return nil
}

// writeConfusion prints the confusion matrix: a row per true label, a
// column per predicted one.
func writeConfusion(w io.Writer, conf [][]int) {
	fmt.Fprintln(w, "confusion matrix (rows: true label, columns: predicted label):")
	fmt.Fprintf(w, "%6s", "")
	for p := range conf {
		fmt.Fprintf(w, "%6d", p)
	}
	fmt.Fprintln(w)
	for t, row := range conf {
		fmt.Fprintf(w, "%6d", t)
		for _, n := range row {
			fmt.Fprintf(w, "%6d", n)
		}
		fmt.Fprintln(w)
	}
}

// loadTestSet reads the first limit test images of dir (0: all) and checks
// that they fit net: as many pixels as its image layer, labels its label
// layer can hold.
func loadTestSet(dir string, net *pc.Net, limit int) (*mnist.Set, error) {
	test, err := mnist.LoadSet(dir, "t10k")
	if err != nil {
		return nil, err
	}
	test = test.Slice(limit)
	if test.Dim() != net.ImageSize() {
		return nil, fmt.Errorf("the model's image layer has %d units but the images have %d pixels", net.ImageSize(), test.Dim())
	}
	if err := test.CheckLabels(net.LabelSize()); err != nil {
		return nil, fmt.Errorf("%w: the model's label layer has %d units", err, net.LabelSize())
	}
	return test, nil
}
