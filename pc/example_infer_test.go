package pc_test

import (
	"fmt"
	"log"

	"github.com/pcgo/pcgo/linalg"
	"github.com/pcgo/pcgo/pc"
)

// Train a discriminative net (label at layer 0, image on top) on stripes and
// classify by inference; then ask a generative net the same by energy.
func ExampleWorkspace_Predict() {
	x, y := linalg.New(40, 64), linalg.New(40, 4) // 40 images of 64 pixels, 4 classes
	for i := 0; i < 40; i++ {
		label := i % 4
		y.Set(i, label, 1)
		for p := label; p < 64; p += 4 {
			x.Set(i, p, 1) // class c lights every fourth pixel from pixel c
		}
	}
	for _, mode := range []pc.Mode{pc.Discriminative, pc.Generative} {
		sizes := []int{64, 32, 4}
		if mode == pc.Discriminative {
			sizes = []int{4, 32, 64}
		}
		net, err := pc.NewNet(sizes, 0.1, 1)
		if err != nil {
			log.Fatal(err)
		}
		net.Mode = mode
		ws, err := pc.NewWorkspace(net, 40, nil)
		if err != nil {
			log.Fatal(err)
		}
		for range 30 {
			if err := ws.LearnLabelled(x, y); err != nil { // images and labels where the mode puts them
				log.Fatal(err)
			}
		}
		method := pc.Free // a discriminative net: the top-down prediction
		if mode == pc.Generative {
			method = pc.Energy // clamp each label in turn, lowest energy wins
		}
		pred := make([]int, 40)
		if err := ws.Predict(x, method, pred); err != nil {
			log.Fatal(err)
		}
		fmt.Println(mode, method, pred[:8])
	}
	// Output:
	// discriminative free [0 1 2 3 0 1 2 3]
	// generative energy [0 1 2 3 0 1 2 3]
}
