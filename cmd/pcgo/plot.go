package main

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/pcgo/pcgo/internal/atomicfile"
)

// Plots with gonum.org/v1/plot: the energy of a training run and a
// confusion matrix, written atomically as PNG files.

// savePlot renders p as a w×h PNG at path, atomically.
func savePlot(p *plot.Plot, w, h vg.Length, path string) error {
	wt, err := p.WriterTo(w, h, "png")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, func(out io.Writer) error {
		_, err := wt.WriteTo(out)
		return err
	})
}

// writeEnergyPlot draws energy (y, log scale) against batches (x).
func writeEnergyPlot(path string, batches, energy []float64, title string) error {
	if len(batches) == 0 {
		return errors.New("no energy to plot: the run had no batches")
	}
	pts := make(plotter.XYs, 0, len(batches))
	positive := true
	for i, x := range batches {
		y := energy[i]
		if !(y > 0) || math.IsInf(y, 0) {
			positive = false
		}
		pts = append(pts, plotter.XY{X: x, Y: y})
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "batch"
	p.Y.Label.Text = "energy"
	if positive {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
	}
	p.Add(plotter.NewGrid())
	line, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	line.Color = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	line.Width = vg.Points(1.5)
	p.Add(line)
	return savePlot(p, 16*vg.Centimeter, 10*vg.Centimeter, path)
}

// confusionGrid is a confusion matrix as a heat map: column c is the
// predicted label, row r the true label n−1−r (so label 0 is on top), and
// the value the square root of the fraction of the true label's samples
// (the root lets the few confusions show beside the many hits).
type confusionGrid [][]int

func (g confusionGrid) Dims() (c, r int) { return len(g), len(g) }
func (g confusionGrid) X(c int) float64  { return float64(c) }
func (g confusionGrid) Y(r int) float64  { return float64(r) }
func (g confusionGrid) Z(c, r int) float64 {
	row := g[len(g)-1-r]
	total := 0
	for _, n := range row {
		total += n
	}
	if total == 0 {
		return 0
	}
	return math.Sqrt(float64(row[c]) / float64(total))
}
func (g confusionGrid) Min() float64 { return 0 }
func (g confusionGrid) Max() float64 { return 1 }

// ramp is a palette from white to dark blue.
type ramp []color.Color

func (r ramp) Colors() []color.Color { return r }

func blues(n int) ramp {
	r := make(ramp, n)
	for i := range r {
		t := float64(i) / float64(n-1)
		r[i] = color.RGBA{
			R: uint8(255 - t*(255-8)),
			G: uint8(255 - t*(255-48)),
			B: uint8(255 - t*(255-107)),
			A: 255,
		}
	}
	return r
}

// writeConfusionPNG draws the confusion matrix (conf[true][predicted]) as a
// heat map of each true label's fractions, with the counts written in.
func writeConfusionPNG(path string, conf [][]int, title string) error {
	n := len(conf)
	if n == 0 {
		return errors.New("empty confusion matrix")
	}
	g := confusionGrid(conf)
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "predicted label"
	p.Y.Label.Text = "true label"
	hm := plotter.NewHeatMap(g, blues(64))
	p.Add(hm)
	labels := plotter.XYLabels{}
	for r := range n {
		for c := range n {
			labels.XYs = append(labels.XYs, plotter.XY{X: float64(c), Y: float64(r)})
			labels.Labels = append(labels.Labels, strconv.Itoa(conf[n-1-r][c]))
		}
	}
	lbl, err := plotter.NewLabels(labels)
	if err != nil {
		return err
	}
	for i := range lbl.TextStyle {
		c, r := i%n, i/n
		lbl.TextStyle[i].XAlign = -0.5 // centred on the cell
		lbl.TextStyle[i].YAlign = -0.5
		lbl.TextStyle[i].Font.Size = vg.Points(7)
		if g.Z(c, r) > 0.6 {
			lbl.TextStyle[i].Color = color.White
		}
	}
	p.Add(lbl)
	var xt, yt plot.ConstantTicks
	for i := range n {
		xt = append(xt, plot.Tick{Value: float64(i), Label: strconv.Itoa(i)})
		yt = append(yt, plot.Tick{Value: float64(i), Label: strconv.Itoa(n - 1 - i)})
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = xt, yt
	p.X.Min, p.X.Max = -0.5, float64(n)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(n)-0.5
	side := vg.Length(min(max(12, n), 40)) * vg.Centimeter
	if err := savePlot(p, side, side, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// logTicks marks 1, 2 and 5 times the powers of ten within an axis's range,
// labelled, and the other integers times them unlabelled; when the range holds
// fewer than two labelled marks, its ends are labelled too.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	if !(lo > 0) || !(hi >= lo) {
		return nil
	}
	labelled := 0
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		p := math.Pow(10, e)
		for m := 1; m <= 9; m++ {
			v := float64(m) * p
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = strconv.FormatFloat(v, 'g', -1, 64)
				labelled++
			}
			ticks = append(ticks, t)
		}
	}
	if labelled < 2 {
		ticks = append(ticks,
			plot.Tick{Value: lo, Label: strconv.FormatFloat(lo, 'g', 3, 64)},
			plot.Tick{Value: hi, Label: strconv.FormatFloat(hi, 'g', 3, 64)})
	}
	return ticks
}
