package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"time"

	"github.com/pcgo/pcgo/linalg"
	"github.com/pcgo/pcgo/pc"
)

// benchFlags are pcgo bench's options.
type benchFlags struct {
	threads, batch, t int
	arch              []int
	dur               time.Duration
}

func runBench(args []string, out, errOut io.Writer) error {
	f := benchFlags{arch: []int{784, 256, 64, 10}}
	fs := newFlags("bench", "[flags]", out)
	fs.IntVar(&f.threads, "threads", 0, "threads of the all-threads column (0 = GOMAXPROCS)")
	fs.IntVar(&f.batch, "batch", 50, "batch size of the GEMM shapes and of Learn")
	fs.IntVar(&f.t, "T", 20, "relaxation steps per Learn call")
	fs.Func("arch", "layer sizes, data first, label last (default 784,256,64,10)", func(s string) (err error) {
		f.arch, err = parseArch(s)
		return err
	})
	fs.DurationVar(&f.dur, "time", 200*time.Millisecond, "measuring time of each figure")
	if err := fs.parse(args); err != nil {
		return err
	}
	if f.threads < 0 || f.batch < 1 || f.t < 0 || f.dur <= 0 {
		return usageError{"--threads must be ≥ 0, --batch ≥ 1, --T ≥ 0 and --time > 0"}
	}
	all := f.threads
	if all == 0 {
		all = runtime.GOMAXPROCS(0)
	}
	threads := []int{1}
	if all > 1 {
		threads = append(threads, all)
	}
	engines := make([]*linalg.Engine, len(threads))
	for i, th := range threads {
		e, err := linalg.NewEngine(linalg.Options{Threads: th})
		if err != nil {
			return err
		}
		engines[i] = e
	}
	cpu := linalg.DetectCPU()
	fmt.Fprintf(out, "cpu:     %s, %d logical CPUs, GOMAXPROCS %d\n", cpu.Brand, cpu.LogicalCPUs, runtime.GOMAXPROCS(0))
	fmt.Fprintf(out, "kernels: %s; each figure the median of 5 rounds over %v\n\n", engines[0].KernelSet(), f.dur)

	// One row: a name, then time, GFLOP/s and % of peak per thread count.
	// Rows are built whole and printed without trailing blanks.
	const nameW = 30
	var row strings.Builder
	emit := func() {
		fmt.Fprintln(out, strings.TrimRight(row.String(), " "))
		row.Reset()
	}
	fmt.Fprintf(&row, "%-*s", nameW, "")
	for _, th := range threads {
		fmt.Fprintf(&row, "  %27s", fmt.Sprintf("%d thread%s", th, benchPlural(th)))
	}
	emit()
	fmt.Fprintf(&row, "%-*s", nameW, "")
	for range threads {
		fmt.Fprintf(&row, "  %9s %8s %8s", "time", "GFLOP/s", "% peak")
	}
	emit()

	// The peak of the kernel set's instructions on every thread at once:
	// the FMA loop for the assembly kernels, the scalar Go loop for the
	// generic ones (no pure-Go kernel can run faster than it).
	scalar := engines[0].KernelSet() == "generic"
	peaks := make([]float64, len(threads))
	label := "FMA peak (assembly loop)"
	if scalar {
		label = "scalar Go peak (Go loop)"
	}
	fmt.Fprintf(&row, "%-*s", nameW, label)
	for i, th := range threads {
		if scalar {
			peaks[i] = linalg.MeasureScalarPeak(th, f.dur).GFLOPS
		} else {
			p, err := linalg.MeasurePeak(th, f.dur)
			if err != nil {
				return err
			}
			peaks[i] = p.GFLOPS
		}
		fmt.Fprintf(&row, "  %9s %8.1f %8s", "", peaks[i], "100%")
	}
	emit()
	// How far apart the CPUs are: the cost of every hand-over between
	// threads, and what makes the all-threads figures vary on a virtual
	// machine whose CPUs the host moves about.
	if len(threads) > 1 && runtime.GOMAXPROCS(0) > 1 {
		rt, err := linalg.MeasureRoundTrip(f.dur)
		if err != nil {
			return err
		}
		fmt.Fprintf(&row, "%-*s  %27s  %9s", nameW, "round trip between two threads", "", benchDur(rt))
		emit()
	}
	measure := func(name string, flops float64, run func(i int) func()) {
		fmt.Fprintf(&row, "%-*s", nameW, name)
		for i := range threads {
			d := linalg.TimeCall(f.dur, run(i))
			gf := flops / d.Seconds() / 1e9
			pct := fmt.Sprintf("%.0f%%", 100*gf/peaks[i])
			fmt.Fprintf(&row, "  %9s %8.1f %8s", benchDur(d), gf, pct)
		}
		emit()
	}

	// The GEMMs of layer 0, which carry most of the work: the prediction
	// F₁·W₀ᵀ, the error fed back E₀·W₀ (both with W₀ packed once, as Learn
	// does) and the weight update W₀ += lr·E₀ᵀ·F₁.
	rng := rand.New(rand.NewPCG(1, 1))
	b, n0, n1 := f.batch, f.arch[0], f.arch[1]
	w, f1, e0 := benchMatrix(rng, n0, n1), benchMatrix(rng, b, n1), benchMatrix(rng, b, n0)
	p0, g1 := linalg.New(b, n0), linalg.New(b, n1)
	mnk := func(m, n, k int) float64 { return 2 * float64(m) * float64(n) * float64(k) }
	measure(fmt.Sprintf("gemm F·Wᵀ %d×%d×%d", b, n0, n1), mnk(b, n0, n1), func(i int) func() {
		e := engines[i]
		pk := linalg.NewPacked(e, linalg.Trans, n0, n1)
		e.Pack(pk, linalg.Trans, w)
		return func() { e.GemmPacked(linalg.NoTrans, 1, f1, pk, 0, p0) }
	})
	measure(fmt.Sprintf("gemm E·W %d×%d×%d", b, n1, n0), mnk(b, n1, n0), func(i int) func() {
		e := engines[i]
		pk := linalg.NewPacked(e, linalg.NoTrans, n0, n1)
		e.Pack(pk, linalg.NoTrans, w)
		return func() { e.GemmPacked(linalg.NoTrans, 1, e0, pk, 0, g1) }
	})
	measure(fmt.Sprintf("gemm Eᵀ·F %d×%d×%d", n0, n1, b), mnk(n0, n1, b), func(i int) func() {
		e := engines[i]
		return func() { e.Gemm(linalg.Trans, linalg.NoTrans, 1e-9, e0, f1, 1, w) }
	})

	// Learn and Generate of the whole network.
	net, err := pc.NewNet(f.arch, 0.001, 1)
	if err != nil {
		return err
	}
	x, y := linalg.New(b, f.arch[0]), linalg.New(b, f.arch[len(f.arch)-1])
	for i := range x.Data {
		x.Data[i] = rng.Float32() // pixel-like values in [0, 1)
	}
	for i := 0; i < b; i++ {
		y.Set(i, rng.IntN(y.Cols), 1)
	}
	var werr error
	measure(fmt.Sprintf("Learn (batch %d, T %d)", b, f.t), net.LearnFlops(b, f.t), func(i int) func() {
		ws, err := pc.NewWorkspace(net, b, engines[i])
		if err != nil {
			werr = err
			return func() {}
		}
		ws.Config.T = f.t
		return func() {
			if err := ws.Learn(x, y); err != nil && werr == nil {
				werr = err
			}
		}
	})
	if werr != nil {
		return werr
	}
	labels := min(b, y.Cols)
	measure(fmt.Sprintf("Generate (%d labels, T 40)", labels), net.GenerateFlops(labels, 40), func(i int) func() {
		ws, err := pc.NewWorkspace(net, labels, engines[i])
		if err != nil {
			werr = err
			return func() {}
		}
		ws.Config.TGen = 40
		yy := y.FirstRows(labels)
		return func() {
			if _, err := ws.Generate(yy); err != nil && werr == nil {
				werr = err
			}
		}
	})
	if werr != nil {
		return werr
	}
	return nil
}

func benchPlural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// benchDur prints d with three significant digits in a fitting unit.
func benchDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.3g s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.3g ms", float64(d)/1e6)
	case d >= time.Microsecond:
		return fmt.Sprintf("%.3g µs", float64(d)/1e3)
	default:
		return fmt.Sprintf("%.3g ns", float64(d))
	}
}

// benchMatrix returns a rows×cols matrix of values uniform in [−1, 1).
func benchMatrix(rng *rand.Rand, rows, cols int) linalg.Matrix {
	m := linalg.New(rows, cols)
	for i := range m.Data {
		m.Data[i] = rng.Float32()*2 - 1
	}
	return m
}
