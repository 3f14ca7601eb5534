package main

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"strconv"

	"github.com/pcgo/pcgo/internal/atomicfile"
	"github.com/pcgo/pcgo/linalg"
)

const (
	gridCols = 5 // digits per row of the picture
	upscale  = 4 // each pixel becomes upscale×upscale
)

// digitsImage lays out the rows of images (each a square image, row-major) as
// a grid of gridCols columns, digit i at row i/gridCols and column
// i%gridCols: black digit on white, as matplotlib's "Greys" colour map draws
// the seed's figure, values clipped to [0, 1], each pixel upscaled, no
// margins.
func digitsImage(images linalg.Matrix) (*image.Gray, error) {
	return gridImage(images, gridCols)
}

// gridImage is digitsImage with gridCols digits per row.
func gridImage(images linalg.Matrix, gridCols int) (*image.Gray, error) {
	side := int(math.Sqrt(float64(images.Cols)))
	if side*side != images.Cols || images.Rows == 0 || gridCols < 1 {
		return nil, fmt.Errorf("cannot draw %d images of %d values as square digits", images.Rows, images.Cols)
	}
	rows := (images.Rows + gridCols - 1) / gridCols
	cols := min(images.Rows, gridCols)
	cell := side * upscale
	img := image.NewGray(image.Rect(0, 0, cols*cell, rows*cell))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for d := 0; d < images.Rows; d++ {
		x0, y0 := (d%gridCols)*cell, (d/gridCols)*cell
		for p, v := range images.Row(d) {
			ink := math.Max(0, math.Min(1, float64(v)))
			if math.IsNaN(float64(v)) {
				ink = 0
			}
			g := color.Gray{Y: uint8(math.Round(255 * (1 - ink)))}
			px, py := x0+(p%side)*upscale, y0+(p/side)*upscale
			for dy := 0; dy < upscale; dy++ {
				for dx := 0; dx < upscale; dx++ {
					img.SetGray(px+dx, py+dy, g)
				}
			}
		}
	}
	return img, nil
}

// writeDigitsPNG writes the digits picture to path, atomically.
func writeDigitsPNG(path string, images linalg.Matrix) error {
	img, err := digitsImage(images)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, func(w io.Writer) error { return png.Encode(w, img) })
}

// writeCSV writes one line per image with its values, comma-separated.
func writeCSV(path string, images linalg.Matrix) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		var buf []byte
		for i := 0; i < images.Rows; i++ {
			buf = buf[:0]
			for j, v := range images.Row(i) {
				if j > 0 {
					buf = append(buf, ',')
				}
				buf = strconv.AppendFloat(buf, float64(v), 'g', -1, 32)
			}
			buf = append(buf, '\n')
			if _, err := bw.Write(buf); err != nil {
				return err
			}
		}
		return bw.Flush()
	})
}

// panelGap is the width in pixels of the grey bar between the panels of
// sideBySide.
const panelGap = 8

// sideBySide places pictures of equal height left to right, with a grey bar
// between them.
func sideBySide(panels ...*image.Gray) *image.Gray {
	w, h := 0, 0
	for i, p := range panels {
		if i > 0 {
			w += panelGap
		}
		w += p.Bounds().Dx()
		h = max(h, p.Bounds().Dy())
	}
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 160
	}
	x := 0
	for _, p := range panels {
		b := p.Bounds()
		for y := 0; y < b.Dy(); y++ {
			copy(img.Pix[y*img.Stride+x:y*img.Stride+x+b.Dx()], p.Pix[y*p.Stride:y*p.Stride+b.Dx()])
		}
		x += b.Dx() + panelGap
	}
	return img
}

// writeGrayPNG writes img to path, atomically.
func writeGrayPNG(path string, img *image.Gray) error {
	return atomicfile.Write(path, func(w io.Writer) error { return png.Encode(w, img) })
}
