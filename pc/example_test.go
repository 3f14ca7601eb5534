package pc_test

import (
	"fmt"
	"log"

	"github.com/pcgo/pcgo/linalg"
	"github.com/pcgo/pcgo/pc"
)

// Train the seed's network on a batch and dream the ten digits. Real
// training draws batches from MNIST (package mnist) through a pc.Trainer;
// here one batch of stripes stands in for the data.
func Example() {
	net, err := pc.NewNet([]int{784, 256, 64, 10}, 0.001, 1) // sizes, init std, seed
	if err != nil {
		log.Fatal(err)
	}
	ws, err := pc.NewWorkspace(net, 50, nil) // batches of up to 50; default engine
	if err != nil {
		log.Fatal(err)
	}

	x, y := linalg.New(50, 784), linalg.New(50, 10) // images, one-hot labels
	for i := 0; i < 50; i++ {
		label := i % 10
		y.Set(i, label, 1)
		for p := label; p < 784; p += 10 {
			x.Set(i, p, 1) // class c lights every tenth pixel from pixel c
		}
	}
	for range 20 {
		if err := ws.Learn(x, y); err != nil { // relax T=20 steps, update W
			log.Fatal(err)
		}
	}
	fmt.Printf("data-layer error after 20 calls below 0.1: %v\n", ws.Energy(0) < 0.1)

	labels := linalg.New(10, 10)
	for d := 0; d < 10; d++ {
		labels.Set(d, d, 1)
	}
	images, err := ws.Generate(labels) // 10 × 784, one row per digit
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("generated %d images of %d pixels\n", images.Rows, images.Cols)
	// Output:
	// data-layer error after 20 calls below 0.1: true
	// generated 10 images of 784 pixels
}
