package pc

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pcgo/pcgo/linalg"
)

// Method is a way to infer a label from an image (see Workspace.Predict).
type Method uint8

const (
	// Free relaxes the label layer together with the hidden layers, the
	// image clamped (Workspace.Classify), and picks the largest label unit.
	Free Method = iota
	// Energy clamps each label in turn, relaxes as Learn does, and picks the
	// label whose relaxed state has the lowest energy
	// (Workspace.ClassifyEnergy).
	Energy
)

var methodNames = []string{Free: "free", Energy: "energy"}

// String returns the method's name: "free" or "energy".
func (m Method) String() string {
	if int(m) < len(methodNames) {
		return methodNames[m]
	}
	return fmt.Sprintf("Method(%d)", m)
}

// ParseMethod returns the method with the given name (see String).
func ParseMethod(name string) (Method, error) {
	for i, n := range methodNames {
		if n == name {
			return Method(i), nil
		}
	}
	return 0, fmt.Errorf("pc: unknown method %q (known: %s)", name, strings.Join(methodNames, ", "))
}

// LearnLabelled runs Learn on a batch of images (B × ImageSize) and their
// one-hot labels (B × LabelSize), each at the layer the network's mode puts
// it: Learn(images, labels) for a generative net, Learn(labels, images) for a
// discriminative one.
func (ws *Workspace) LearnLabelled(images, labels linalg.Matrix) error {
	if ws.net.Mode == Discriminative {
		return ws.Learn(labels, images)
	}
	return ws.Learn(images, labels)
}

// checkImages validates a batch of images for an inference call and returns
// its size.
func (ws *Workspace) checkImages(x linalg.Matrix, op string) (int, error) {
	b := x.Rows
	if b < 1 || b > ws.maxBatch {
		return 0, fmt.Errorf("pc: %s: batch of %d samples; this workspace takes 1 to %d", op, b, ws.maxBatch)
	}
	if x.Cols != ws.net.ImageSize() {
		return 0, fmt.Errorf("pc: %s: images have %d columns, the network's image layer %d", op, x.Cols, ws.net.ImageSize())
	}
	return b, ws.Config.Validate()
}

// Classify infers the labels of a batch of images x (B × ImageSize) by
// relaxation and returns the label layer's activities (B × LabelSize, a view
// into the workspace valid until its next call); the largest unit of a row
// is its class.
//
// A discriminative net clamps the image on top, starts every lower layer at
// its top-down prediction and relaxes T steps with the label layer free, as
// the companion tutorial's infer: the start is a fixed point (every error is
// zero, as in Generate), so the labels are the top-down prediction.
//
// A generative net clamps the image at layer 0 and relaxes the hidden layers
// and the label layer for T steps, the label layer moving by
// R_L += ir·(E_{L−1}·W_{L−1}) ⊙ f'(R_L). It starts the label layer at the
// uniform 1/LabelSize and every hidden layer at zero. Learn's top-down start
// does not work here: the hidden predictions of a uniform label are mostly
// negative, where ReLU's derivative is 0, so the image's error never reaches
// the label (accuracy stays at chance). From zero (f'(0) = 1) every hidden
// unit can move, but then the relaxation is stable only for
// ir < 2/(1 + σ²), σ the largest singular value of any W_i: after the
// seed's training σ² of W_0 is about 950, so the seed's ir = 0.05 diverges
// and a few thousandths are needed, with hundreds of steps (see
// Net.StableIR).
func (ws *Workspace) Classify(x linalg.Matrix) (linalg.Matrix, error) {
	b, err := ws.checkImages(x, "Classify")
	if err != nil {
		return linalg.Matrix{}, err
	}
	L := ws.net.Layers()
	ws.packWeights()
	r, f, e := ws.views(b)
	if ws.net.Mode == Discriminative {
		ws.clampTop(r, f, x, 0)
		ws.relax(r, f, e, ws.Config.T, free{bottom: true})
		return r[0], nil
	}
	r[0] = x
	for i := 1; i < L; i++ {
		clearMatrix(r[i])
		ws.activate(ws.eng, f[i], r[i])
	}
	u := 1 / float32(r[L].Cols)
	for i := 0; i < b; i++ {
		for j := range r[L].Row(i) {
			r[L].Row(i)[j] = u
		}
	}
	ws.activate(ws.eng, f[L], r[L])
	ws.relax(r, f, e, ws.Config.T, free{top: true})
	return r[L], nil
}

// clearMatrix sets every element of m to zero.
func clearMatrix(m linalg.Matrix) {
	for i := 0; i < m.Rows; i++ {
		clear(m.Row(i))
	}
}

// ClassifyEnergy infers the labels of a batch of images x (B × ImageSize) by
// energy: for each class c it clamps the image and the one-hot label c,
// relaxes the hidden layers as Learn does (top-down start, T steps) and
// records each sample's energy, its squared errors summed over every layer
// and unit (layer 0's weighted by Config.Precision0). It returns the
// energies (B × LabelSize, a view into the workspace valid until its next
// call); the smallest of a row is its class.
// It works for both modes.
func (ws *Workspace) ClassifyEnergy(x linalg.Matrix) (linalg.Matrix, error) {
	b, err := ws.checkImages(x, "ClassifyEnergy")
	if err != nil {
		return linalg.Matrix{}, err
	}
	ll := ws.net.LabelLayer()
	ws.packWeights()
	labels := ws.r[ll].FirstRows(b)
	out := ws.scores.FirstRows(b)
	steps := 0
	for c := 0; c < labels.Cols; c++ {
		clearMatrix(labels)
		for i := 0; i < b; i++ {
			labels.Set(i, c, 1)
		}
		r, f, e := ws.views(b)
		if ll == 0 {
			ws.settle(r, f, e, labels, x)
		} else {
			ws.settle(r, f, e, x, labels)
		}
		steps = max(steps, ws.steps)
		ws.errors(r, f, e)
		en := ws.rowEnergy[:b]
		clear(en)
		for l, m := range e[:ws.net.Layers()] {
			w := 1.0 // E_0 holds π₀·e_0, whose energy is π₀·|e_0|²
			if p := ws.Config.Precision0; l == 0 && p != 0 && p != 1 {
				w = 1 / float64(p)
			}
			for i := range en {
				var s float64
				for _, v := range m.Row(i) {
					s += float64(v) * float64(v)
				}
				en[i] += w * s
			}
		}
		for i, v := range en {
			out.Set(i, c, float32(v))
		}
	}
	ws.steps = steps
	return out, nil
}

// Complete fills in the unknown part of a batch of images, as inpainting:
// it clamps the labels (B × LabelSize, one-hot) and the units of x (B ×
// ImageSize) where known is non-zero, starts every other unit at its
// top-down prediction and relaxes the hidden layers and the unknown units
// for TGen steps, as Generate does with the data layer free. known has one
// row for the whole batch or one per sample. It returns the completed images
// (B × ImageSize, a view into the workspace valid until its next call):
// the known units as given, the others inferred. Only generative nets have
// their image at the bottom, where Complete works.
func (ws *Workspace) Complete(x, known, labels linalg.Matrix) (linalg.Matrix, error) {
	if ws.net.Mode != Generative {
		return linalg.Matrix{}, errors.New("pc: Complete: needs a generative network")
	}
	b, err := ws.checkImages(x, "Complete")
	if err != nil {
		return linalg.Matrix{}, err
	}
	if known.Cols != x.Cols || known.Rows != 1 && known.Rows != b {
		return linalg.Matrix{}, fmt.Errorf("pc: Complete: the mask is %d×%d; it must be 1×%d or %d×%d", known.Rows, known.Cols, x.Cols, b, x.Cols)
	}
	if labels.Rows != b {
		return linalg.Matrix{}, fmt.Errorf("pc: Complete: %d images but %d labels", b, labels.Rows)
	}
	if _, err := ws.checkBatch(b, labels, "Complete"); err != nil {
		return linalg.Matrix{}, err
	}
	ws.packWeights()
	r, f, e := ws.views(b)
	ws.clampTop(r, f, labels, 0)
	for i := 0; i < b; i++ {
		dst, src := r[0].Row(i), x.Row(i)
		for j, k := range known.Row(min(i, known.Rows-1)) {
			if k != 0 {
				dst[j] = src[j]
			}
		}
	}
	ws.relax(r, f, e, ws.Config.TGen, free{bottom: true, known: known})
	return r[0], nil
}

// Predict writes the inferred class of each image of x (B × ImageSize) into
// dst[:B]: the largest label unit after Classify (method Free) or the lowest
// energy after ClassifyEnergy (method Energy). It allocates nothing.
func (ws *Workspace) Predict(x linalg.Matrix, m Method, dst []int) error {
	if len(dst) < x.Rows {
		return fmt.Errorf("pc: Predict: room for %d predictions, %d images", len(dst), x.Rows)
	}
	var scores linalg.Matrix
	var err error
	switch m {
	case Free:
		scores, err = ws.Classify(x)
	case Energy:
		scores, err = ws.ClassifyEnergy(x)
	default:
		return fmt.Errorf("pc: Predict: unknown method %v", m)
	}
	if err != nil {
		return err
	}
	for i := 0; i < scores.Rows; i++ {
		best := 0
		for j, v := range scores.Row(i) {
			if m == Free && v > scores.At(i, best) || m == Energy && v < scores.At(i, best) {
				best = j
			}
		}
		dst[i] = best
	}
	return nil
}
