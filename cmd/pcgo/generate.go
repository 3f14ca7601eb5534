package main

import (
	"fmt"
	"io"

	"github.com/pcgo/pcgo/linalg"
	"github.com/pcgo/pcgo/pc"
)

func runGenerate(args []string, out, errOut io.Writer) error {
	fs := newFlags("generate", "--model FILE [--png FILE] [--csv FILE] [--T N]", out)
	model := fs.String("model", "model.pcgo", "the model file to read")
	png := fs.String("png", "", "write the ten digits as a 2×5 PNG grid")
	csv := fs.String("csv", "", "write the ten digits as CSV: one row per digit, 784 values")
	steps := fs.Int("T", -1, "relaxation steps (default: the model's, 40 for the seed)")
	threads := fs.Int("threads", 0, "threads for the linear algebra (0 = GOMAXPROCS)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if *png == "" && *csv == "" {
		return usageError{"nothing to write: give --png FILE and/or --csv FILE"}
	}
	if *steps < -1 || *steps > 1<<20 {
		return usageError{"--T must be 0 to 1048576"}
	}
	if *threads < 0 || *threads > 4096 {
		return usageError{"--threads must be 0 to 4096"}
	}
	m, err := pc.LoadModel(*model)
	if err != nil {
		return err
	}
	if m.Net.Mode != pc.Generative {
		return fmt.Errorf("%s is a %s model; generating images needs a generative one (use pcgo eval)", *model, m.Net.Mode)
	}
	eng, err := linalg.NewEngine(linalg.Options{Threads: *threads})
	if err != nil {
		return err
	}
	cfg := m.Config
	if *steps >= 0 {
		cfg.TGen = *steps
	}
	if err := generateDigits(m.Net, eng, cfg, m.Net.Layers(), *png, *csv); err != nil {
		return err
	}
	for _, f := range []string{*png, *csv} {
		if f != "" {
			fmt.Fprintf(out, "wrote %s\n", f)
		}
	}
	return nil
}

// generateDigits runs Generate on the one-hot labels 0 … n_L−1 and writes
// the images as a PNG grid and/or CSV rows.
func generateDigits(net *pc.Net, eng *linalg.Engine, cfg pc.Config, L int, pngPath, csvPath string) error {
	classes := net.OutputSize()
	ws, err := pc.NewWorkspace(net, classes, eng)
	if err != nil {
		return err
	}
	ws.Config = cfg
	labels := linalg.New(classes, classes)
	for i := 0; i < classes; i++ {
		labels.Set(i, i, 1)
	}
	images, err := ws.Generate(labels)
	if err != nil {
		return err
	}
	if pngPath != "" {
		if err := writeDigitsPNG(pngPath, images); err != nil {
			return err
		}
	}
	if csvPath != "" {
		if err := writeCSV(csvPath, images); err != nil {
			return err
		}
	}
	return nil
}
