package pc

import (
	"fmt"
	"strings"
)

// Mode says which end of a network holds the image and which the label.
// The zero value is Generative, the seed's.
type Mode uint8

const (
	// Generative nets have the image at layer 0 and the label on top
	// (sizes 784, 256, 64, 10 in the seed): the label predicts the image, so
	// the net generates images from labels, and infers labels by relaxation.
	Generative Mode = iota
	// Discriminative nets have the label at layer 0 and the image on top
	// (sizes 10, 64, 256, 784), Whittington & Bogacz style, as the companion
	// tutorial "MNIST classification" (PredFlow): the same Learn rule with
	// the roles swapped, and a label is the image's top-down prediction.
	Discriminative
)

var modeNames = []string{Generative: "generative", Discriminative: "discriminative"}

// String returns the mode's name as model files and the pcgo command spell
// it: "generative" or "discriminative".
func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", m)
}

// ParseMode returns the mode with the given name (see String).
func ParseMode(name string) (Mode, error) {
	for i, n := range modeNames {
		if n == name {
			return Mode(i), nil
		}
	}
	return 0, fmt.Errorf("pc: unknown mode %q (known: %s)", name, strings.Join(modeNames, ", "))
}

// valid reports whether m is one of the defined modes.
func (m Mode) valid() bool { return int(m) < len(modeNames) }

// ImageLayer returns the index of the layer that holds the images: 0 for a
// generative net, L for a discriminative one.
func (n *Net) ImageLayer() int {
	if n.Mode == Discriminative {
		return n.Layers()
	}
	return 0
}

// LabelLayer returns the index of the layer that holds the labels: L for a
// generative net, 0 for a discriminative one.
func (n *Net) LabelLayer() int {
	if n.Mode == Discriminative {
		return 0
	}
	return n.Layers()
}

// ImageSize is the size of the image layer (784 for MNIST).
func (n *Net) ImageSize() int { return n.Sizes[n.ImageLayer()] }

// LabelSize is the size of the label layer: the number of classes.
func (n *Net) LabelSize() int { return n.Sizes[n.LabelLayer()] }
