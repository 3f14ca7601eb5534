package main

import (
	"fmt"
	"image"
	"io"

	"github.com/pcgo/pcgo/linalg"
	"github.com/pcgo/pcgo/pc"
)

// maskedInk is how a masked-out pixel is drawn in the middle panel of
// pcgo complete's picture: light grey.
const maskedInk = 0.3

func runComplete(args []string, out, errOut io.Writer) error {
	fs := newFlags("complete", "--model FILE [--png FILE] [--known top|bottom|left|right] [--n N] [--T N] [--tol X] [--data DIR]", out)
	model := fs.String("model", "model.pcgo", "the model file to read (a generative model)")
	png := fs.String("png", "", "write originals | masked inputs | completions side by side to this PNG file")
	known := fs.String("known", "top", "the half of each image that is given: top, bottom, left or right; the other half is inferred")
	n := fs.Int("n", 10, "complete the first test image of each label, cycling through the labels, N images in all")
	steps := fs.Int("T", -1, "relaxation steps (default: the model's TGen, 40 for the seed)")
	ir := fs.Float64("ir", -1, "inference rate (default: the model's)")
	tol := fs.Float64("tol", -1, "stop relaxing once no activity changes by more than this (negative: never)")
	data := fs.String("data", "", "folder with the IDX files (default: the GoMNIST module's copy of MNIST)")
	threads := fs.Int("threads", 0, "threads for the linear algebra (0 = GOMAXPROCS)")
	if err := fs.parse(args); err != nil {
		return err
	}
	switch {
	case *n < 1 || *n > 10000:
		return usageError{"--n must be 1 to 10000"}
	case *steps < -1 || *steps > 1<<20:
		return usageError{"--T must be 0 to 1048576"}
	case *ir != -1 && !(*ir >= 0 && *ir < 1e6):
		return usageError{"--ir must be a number ≥ 0"}
	case !(*tol > -1e30 && *tol < 1e30):
		return usageError{"--tol must be a number"}
	case *threads < 0 || *threads > 4096:
		return usageError{"--threads must be 0 to 4096"}
	}
	region := *known
	if region != "top" && region != "bottom" && region != "left" && region != "right" {
		return usageError{fmt.Sprintf("--known must be top, bottom, left or right, not %q", region)}
	}
	if err := checkWritable("png", *png); err != nil {
		return err
	}
	m, err := pc.LoadModel(*model)
	if err != nil {
		return err
	}
	net := m.Net
	if net.Mode != pc.Generative {
		return fmt.Errorf("%s is a %s model; completion needs a generative one (the image at layer 0)", *model, net.Mode)
	}
	test, err := loadTestSet(*data, net, 0)
	if err != nil {
		return err
	}
	classes := net.LabelSize()
	idx := pickPerClass(test.Labels, classes, *n)
	b := len(idx)
	x, y := linalg.New(b, test.Dim()), linalg.New(b, classes)
	test.Batch(x.Data, idx)
	if err := test.OneHot(y.Data, idx, classes); err != nil {
		return err
	}
	mask, err := halfMask(test.Images.Rows, test.Images.Cols, region)
	if err != nil {
		return err
	}

	eng, err := linalg.NewEngine(linalg.Options{Threads: *threads})
	if err != nil {
		return err
	}
	ws, err := pc.NewWorkspace(net, b, eng)
	if err != nil {
		return err
	}
	cfg := m.Config
	cfg.Tol = float32(*tol)
	if *steps >= 0 {
		cfg.TGen = *steps
	}
	if *ir >= 0 {
		cfg.IR = float32(*ir)
	}

	// The top-down start (no relaxation) is the baseline the relaxation
	// must beat: the generated digit with the known half pasted in.
	ws.Config = cfg
	ws.Config.TGen = 0
	start, err := ws.Complete(x, mask, y)
	if err != nil {
		return err
	}
	startErr, err := pc.CompletionError(start, x, mask)
	if err != nil {
		return err
	}
	ws.Config = cfg
	done, err := ws.Complete(x, mask, y)
	if err != nil {
		return err
	}
	doneErr, err := pc.CompletionError(done, x, mask)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "completed the %s halves of %d test images (the %s halves and the labels given): mean squared error %.5f after %d steps (%.5f at the top-down start)\n",
		opposite[region], b, region, doneErr, ws.Steps(), startErr)

	if *png != "" {
		masked := linalg.New(b, x.Cols)
		for i := 0; i < b; i++ {
			for j, v := range x.Row(i) {
				if mask.At(0, j) == 0 {
					v = maskedInk
				}
				masked.Set(i, j, v)
			}
		}
		var panels [3]linalg.Matrix
		panels[0], panels[1], panels[2] = x, masked, done
		cols := min(b, gridCols)
		var imgs []*image.Gray
		for _, p := range panels {
			img, err := gridImage(p, cols)
			if err != nil {
				return err
			}
			imgs = append(imgs, img)
		}
		if err := writeGrayPNG(*png, sideBySide(imgs...)); err != nil {
			return err
		}
		fmt.Fprintf(out, "wrote originals | masked | completed to %s\n", *png)
	}
	return nil
}

var opposite = map[string]string{"top": "bottom", "bottom": "top", "left": "right", "right": "left"}

// pickPerClass returns the indices of n samples: the first sample of label
// 0, of label 1, …, then the second of each, and so on; labels without
// samples left are skipped.
func pickPerClass(labels []uint8, classes, n int) []int {
	byClass := make([][]int, classes)
	for i, l := range labels {
		if int(l) < classes {
			byClass[l] = append(byClass[l], i)
		}
	}
	var idx []int
	for round := 0; len(idx) < n; round++ {
		added := false
		for c := 0; c < classes && len(idx) < n; c++ {
			if round < len(byClass[c]) {
				idx = append(idx, byClass[c][round])
				added = true
			}
		}
		if !added {
			break
		}
	}
	return idx
}

// halfMask returns a 1 × rows·cols mask that is 1 on the given half of a
// rows×cols image and 0 on the other.
func halfMask(rows, cols int, region string) (linalg.Matrix, error) {
	if rows < 2 && (region == "top" || region == "bottom") || cols < 2 && (region == "left" || region == "right") {
		return linalg.Matrix{}, fmt.Errorf("images of %d×%d pixels have no %s half", rows, cols, region)
	}
	m := linalg.New(1, rows*cols)
	for r := range rows {
		for c := range cols {
			var in bool
			switch region {
			case "top":
				in = r < rows/2
			case "bottom":
				in = r >= rows/2
			case "left":
				in = c < cols/2
			case "right":
				in = c >= cols/2
			}
			if in {
				m.Set(0, r*cols+c, 1)
			}
		}
	}
	return m, nil
}
