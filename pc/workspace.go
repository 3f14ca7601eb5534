package pc

import (
	"errors"
	"fmt"
	"math"

	"github.com/pcgo/pcgo/linalg"
)

// Config holds the hyper-parameters of Learn, Generate and the inference
// calls (Classify, ClassifyEnergy, Complete).
type Config struct {
	IR   float32 // inference rate: step size of the relaxation (seed: 0.05)
	LR   float32 // learning rate of the weight update (seed: 0.005)
	T    int     // relaxation steps in Learn, Classify and ClassifyEnergy (seed: 20)
	TGen int     // relaxation steps in Generate and Complete (seed: 40)
	// Tol stops a relaxation early, after the first step in which no
	// activity changed by more than Tol (Workspace.Steps reports the steps
	// run). Negative means never: every call runs all T (TGen) steps, as the
	// seed; DefaultConfig sets −1. Tol = 0 stops only at an exact fixed
	// point, where the remaining steps would change nothing, so its results
	// are those of the full loop, bit for bit. Model files do not store Tol;
	// a model read from one has Tol 0.
	Tol float32
	// Precision0 weighs layer 0's errors in the energy, a precision
	// (inverse variance) π₀: F = ½π₀|e_0|² + ½Σ_{i≥1}|e_i|². Every use of E_0
	// (its feedback to layer 1, a free layer 0's step, W_0's update) sees
	// π₀·E_0. 0 means 1, the seed's. A small π₀ keeps the hidden layers
	// near their start, so the errors they pass on approach backprop's
	// deltas times π₀ (learning then needs LR/π₀): a discriminative net
	// otherwise relaxes its hidden layers to absorb much of the label's error,
	// and learns less well. Model files store it (from version 2).
	Precision0 float32
}

// DefaultConfig returns the seed's hyper-parameters, without early stop.
func DefaultConfig() Config { return Config{IR: 0.05, LR: 0.005, T: 20, TGen: 40, Tol: -1} }

// Validate reports whether c can run: finite rates and step counts ≥ 0.
func (c Config) Validate() error {
	for _, v := range []struct {
		name string
		x    float32
	}{{"IR", c.IR}, {"LR", c.LR}, {"Tol", c.Tol}, {"Precision0", c.Precision0}} {
		if math.IsNaN(float64(v.x)) || math.IsInf(float64(v.x), 0) {
			return fmt.Errorf("pc: %s must be finite, got %v", v.name, v.x)
		}
	}
	if c.Precision0 < 0 {
		return fmt.Errorf("pc: Precision0 must be ≥ 0, got %v", c.Precision0)
	}
	if c.T < 0 || c.TGen < 0 {
		return fmt.Errorf("pc: step counts must be ≥ 0, got T=%d TGen=%d", c.T, c.TGen)
	}
	return nil
}

// Workspace holds every buffer Learn and Generate need for batches of up to
// MaxBatch samples, and the engine that runs their linear algebra. Build it
// once; its calls then allocate nothing. A Workspace is used by one goroutine
// at a time; several workspaces may share one Net for Generate.
//
// Each call starts by packing the net's weights into the GEMM's panel
// layout, once for all of its relaxation steps, so the weights are read as
// they are when the call starts; changes to Net.W between calls (another
// workspace's Learn, a loaded model) take effect at the next call.
type Workspace struct {
	// Config is used by every later call; NewWorkspace sets DefaultConfig.
	Config Config

	net      *Net
	eng      *linalg.Engine
	maxBatch int

	// Per layer i = 0 … L, each maxBatch × n_i: activities R_i, their
	// activations F_i = f(R_i) and errors E_i (E_L unused). A clamped layer
	// is the caller's matrix, read in place (Learn's data and target,
	// Generate's labels); the buffers of R_0 and R_L hold what a call
	// computes there (Generate's images, Classify's labels).
	r, f, e    []linalg.Matrix
	rv, fv, ev []linalg.Matrix // views of the current batch's rows
	tmp        []float32       // maxBatch × max n_i: a prediction or a fed-back error
	prev       []float32       // maxBatch × max n_i: a layer's activities before a step (early stop)

	// The weights packed for the engine's GEMM (linalg.Packed), once per
	// call instead of once per GEMM: wt[i] holds W_iᵀ (predictions), wn[i]
	// W_i (errors fed back up). packWeights fills them at the start of
	// every call that relaxes; in between they are stale (Learn's update
	// changes W, and the caller may too). unpacked says they were never
	// packed or Learn changed W since; the GEMM helpers then pack first.
	wt, wn   []*linalg.Packed
	unpacked bool

	// The GEMMs of one phase of a relaxation step (every error, every
	// hidden update), run as one split call (linalg.Engine.Run), and the
	// fed-back errors of the hidden updates, one maxBatch × n_i matrix per
	// layer (gs[0] unused).
	calls []linalg.Call
	gs    []linalg.Matrix

	energy []float64 // mean squared error of each layer after the last call
	steps  int       // relaxation steps the last call ran

	// For the inference calls (infer.go): the class scores of a batch
	// (maxBatch × classes) and each sample's energy.
	scores    linalg.Matrix
	rowEnergy []float64
}

// NewWorkspace returns a workspace for net and batches of up to maxBatch
// samples. eng runs its linear algebra; nil means a new engine with the
// default options (all CPUs, the kernel set chosen at start-up).
func NewWorkspace(net *Net, maxBatch int, eng *linalg.Engine) (*Workspace, error) {
	if net == nil || len(net.W) == 0 {
		return nil, errors.New("pc: NewWorkspace needs a network")
	}
	if !net.Act.valid() || !net.Mode.valid() {
		return nil, fmt.Errorf("pc: NewWorkspace: unknown %v or %v", net.Act, net.Mode)
	}
	if maxBatch < 1 || maxBatch > 1<<20 {
		return nil, fmt.Errorf("pc: maximum batch must be 1 to %d, got %d", 1<<20, maxBatch)
	}
	if eng == nil {
		var err error
		if eng, err = linalg.NewEngine(linalg.Options{}); err != nil {
			return nil, err
		}
	}
	ws := &Workspace{Config: DefaultConfig(), net: net, eng: eng, maxBatch: maxBatch}
	L := net.Layers()
	widest := 0
	for i := 0; i <= L; i++ {
		n := net.Sizes[i]
		widest = max(widest, n)
		ws.r = append(ws.r, linalg.New(maxBatch, n))
		ws.f = append(ws.f, linalg.New(maxBatch, n))
		ws.e = append(ws.e, linalg.New(maxBatch, n))
	}
	ws.rv = make([]linalg.Matrix, L+1)
	ws.fv = make([]linalg.Matrix, L+1)
	ws.ev = make([]linalg.Matrix, L+1)
	ws.tmp = make([]float32, maxBatch*widest)
	for _, w := range net.W {
		ws.wt = append(ws.wt, linalg.NewPacked(eng, linalg.Trans, w.Rows, w.Cols))
		ws.wn = append(ws.wn, linalg.NewPacked(eng, linalg.NoTrans, w.Rows, w.Cols))
	}
	ws.unpacked = true
	ws.calls = make([]linalg.Call, 0, L+1)
	for i := 0; i <= L; i++ {
		ws.gs = append(ws.gs, linalg.New(maxBatch, net.Sizes[i]))
	}
	ws.prev = make([]float32, maxBatch*widest)
	ws.energy = make([]float64, L)
	ws.scores = linalg.New(maxBatch, net.LabelSize())
	ws.rowEnergy = make([]float64, maxBatch)
	return ws, nil
}

// Net returns the network the workspace works on.
func (ws *Workspace) Net() *Net { return ws.net }

// MaxBatch returns the largest batch the workspace accepts.
func (ws *Workspace) MaxBatch() int { return ws.maxBatch }

// Engine returns the engine that runs the workspace's linear algebra.
func (ws *Workspace) Engine() *linalg.Engine { return ws.eng }

// Energy returns the mean squared error of layer i (0 ≤ i < L), mean(E_i²)
// over the batch and the layer's units, of the errors last computed: in
// Learn, those after relaxation that the weight update used; in Generate,
// those of the last relaxation step.
func (ws *Workspace) Energy(i int) float64 { return ws.energy[i] }

// Steps returns the number of relaxation steps the last call ran: T or TGen,
// or fewer when Config.Tol stopped it early. After ClassifyEnergy it is the
// most that any of its per-class relaxations ran.
func (ws *Workspace) Steps() int { return ws.steps }

// TotalEnergy returns the sum over layers of Energy(i).
func (ws *Workspace) TotalEnergy() float64 {
	var s float64
	for _, v := range ws.energy {
		s += v
	}
	return s
}

// Learn runs one step of supervised generative predictive coding on a batch:
// data x (B × n_0) and target y (B × n_L), 1 ≤ B ≤ MaxBatch, as in the
// seed's learn: clamp, start the hidden layers top-down, relax T steps,
// update every weight matrix. x and y are read, never written.
func (ws *Workspace) Learn(x, y linalg.Matrix) error {
	b, err := ws.checkBatch(x.Rows, y, "Learn")
	if err != nil {
		return err
	}
	if x.Cols != ws.net.InputSize() {
		return fmt.Errorf("pc: Learn: data has %d columns, the network's input layer %d", x.Cols, ws.net.InputSize())
	}
	if y.Rows != x.Rows {
		return fmt.Errorf("pc: Learn: %d data rows but %d target rows", x.Rows, y.Rows)
	}
	if err := ws.Config.Validate(); err != nil {
		return err
	}
	ws.packWeights()
	r, f, e := ws.views(b)
	ws.settle(r, f, e, x, y)
	ws.errors(r, f, e)
	ws.updateWeights(e, f)
	return nil
}

// updateWeights applies the learning rule to every layer,
// W_i += lr·E_iᵀ·F_{i+1}: independent updates, one split call. The packed
// weights are stale after it.
func (ws *Workspace) updateWeights(e, f []linalg.Matrix) {
	ws.calls = ws.calls[:0]
	for i, w := range ws.net.W {
		ws.calls = append(ws.calls, linalg.GemmCall(linalg.Trans, linalg.NoTrans, ws.Config.LR, e[i], f[i+1], 1, w))
	}
	ws.eng.Run(ws.calls)
	ws.unpacked = true
}

// Generate runs the seed's generate on a batch of targets y (B × n_L): clamp
// the label layer, start every other layer top-down, relax TGen steps with
// the data layer free. It returns the data layer R_0 (B × n_0), a view into
// the workspace that stays valid until its next call.
//
// As in the seed, the top-down start is a fixed point of the relaxation, so
// the result equals the top-down pass (see the package documentation).
func (ws *Workspace) Generate(y linalg.Matrix) (linalg.Matrix, error) {
	b, err := ws.checkBatch(y.Rows, y, "Generate")
	if err != nil {
		return linalg.Matrix{}, err
	}
	cfg := ws.Config
	if err := cfg.Validate(); err != nil {
		return linalg.Matrix{}, err
	}
	ws.packWeights()
	r, f, e := ws.views(b)
	ws.clampTop(r, f, y, 0)
	ws.relax(r, f, e, cfg.TGen, free{bottom: true})
	return r[0], nil
}

// checkBatch validates the batch size and the target's shape.
func (ws *Workspace) checkBatch(b int, y linalg.Matrix, op string) (int, error) {
	if b < 1 || b > ws.maxBatch {
		return 0, fmt.Errorf("pc: %s: batch of %d samples; this workspace takes 1 to %d", op, b, ws.maxBatch)
	}
	if y.Cols != ws.net.OutputSize() {
		return 0, fmt.Errorf("pc: %s: target has %d columns, the network's label layer %d", op, y.Cols, ws.net.OutputSize())
	}
	return b, nil
}

// views returns the first b rows of the workspace's per-layer buffers. The
// returned slices are the workspace's own; callers overwrite entries (R_0,
// R_L) with the caller's matrices for one call.
func (ws *Workspace) views(b int) (r, f, e []linalg.Matrix) {
	for i := range ws.rv {
		ws.rv[i] = ws.r[i].FirstRows(b)
		ws.fv[i] = ws.f[i].FirstRows(b)
		ws.ev[i] = ws.e[i].FirstRows(b)
	}
	return ws.rv, ws.fv, ws.ev
}

// packWeights packs every W_i for the GEMMs of one call (see Workspace.wt):
// each call that relaxes starts with it, so that it sees the weights as
// they are now.
func (ws *Workspace) packWeights() {
	for i, w := range ws.net.W {
		ws.eng.Pack(ws.wt[i], linalg.Trans, w)
		ws.eng.Pack(ws.wn[i], linalg.NoTrans, w)
	}
	ws.unpacked = false
}

// packed makes sure the packed weights exist, for helpers called outside a
// public call (tests).
func (ws *Workspace) packed() {
	if ws.unpacked {
		ws.packWeights()
	}
}

// predict writes the top-down prediction of layer i, F_{i+1}·W_iᵀ, into dst.
func (ws *Workspace) predict(i int, dst linalg.Matrix, f []linalg.Matrix) {
	ws.packed()
	ws.eng.GemmPacked(linalg.NoTrans, 1, f[i+1], ws.wt[i], 0, dst)
}

// scratch returns the b × n scratch matrix.
func (ws *Workspace) scratch(b, n int) linalg.Matrix {
	return linalg.FromSlice(b, n, ws.tmp[:b*n])
}

// errors computes E_i = R_i − F_{i+1}·W_iᵀ for every layer i < L and records
// each layer's mean squared error, in one pass fused into the GEMM (E_i is
// exactly R_i minus the prediction; the energy's last bits depend on the
// thread count, see linalg.Engine.Residual). With a Config.Precision0 π₀
// other than 1, E_0 then holds π₀·(R_0 − prediction); Energy(0) stays the
// unweighted error.
func (ws *Workspace) errors(r, f, e []linalg.Matrix) {
	ws.packed()
	ws.calls = ws.calls[:0]
	for i := range ws.net.W {
		ws.calls = append(ws.calls, linalg.ResidualCall(e[i], r[i], linalg.NoTrans, f[i+1], ws.wt[i]))
	}
	ws.eng.Run(ws.calls) // the layers' errors are independent: one split call
	for i, c := range ws.calls {
		ws.energy[i] = c.Sum / float64(r[i].Rows*r[i].Cols)
	}
	if p := ws.Config.Precision0; p != 0 && p != 1 {
		ws.eng.Scale(p, e[0])
	}
}

// settle is the inference of Learn: clamp R_0 = x and R_L = y, start the
// hidden layers top-down, relax them T steps.
func (ws *Workspace) settle(r, f, e []linalg.Matrix, x, y linalg.Matrix) {
	r[0] = x
	ws.clampTop(r, f, y, 1)
	ws.relax(r, f, e, ws.Config.T, free{})
}

// clampTop clamps the top layer, R_L = y, and starts layers L−1 down to lo
// at their top-down predictions.
func (ws *Workspace) clampTop(r, f []linalg.Matrix, y linalg.Matrix, lo int) {
	L := ws.net.Layers()
	r[L] = y
	ws.activate(f[L], y)
	ws.topDown(r, f, lo)
}

// topDown starts layers L−1 down to lo at their top-down predictions,
// R_i = F_{i+1}·W_iᵀ and F_i = f(R_i) (F_0 is never used, so not computed).
// F_L must hold f(R_L).
func (ws *Workspace) topDown(r, f []linalg.Matrix, lo int) {
	for i := ws.net.Layers() - 1; i >= lo; i-- {
		ws.predict(i, r[i], f)
		if i >= 1 {
			ws.activate(f[i], r[i])
		}
	}
}

// free says which layers a relaxation moves besides the hidden ones
// 1 … L−1, which always move.
type free struct {
	// bottom moves layer 0: R_0 += ir·(−E_0) (Generate, Complete).
	bottom bool
	// known, with bottom, keeps the units of layer 0 where it is non-zero
	// clamped (Complete); it has one row for the whole batch or one per
	// sample. No rows: every unit moves.
	known linalg.Matrix
	// top moves layer L: R_L += ir·(E_{L−1}·W_{L−1}) ⊙ f'(R_L), the hidden
	// step without an error of its own (E_L stays zero), as nothing
	// predicts the top layer (Classify).
	top bool
}

// relax runs up to steps relaxation steps, each computing every error and
// then moving every free layer (all errors first, as the seed), and records
// the number run in ws.steps. With Config.Tol ≥ 0 it stops after the first
// step in which no activity moved by more than Tol.
func (ws *Workspace) relax(r, f, e []linalg.Matrix, steps int, fr free) {
	tol := ws.Config.Tol
	track := tol >= 0
	ws.steps = 0
	for ws.steps < steps {
		ws.errors(r, f, e)
		moved := ws.relaxStep(r, f, e, fr, track)
		ws.steps++
		if track && moved <= tol {
			break
		}
	}
}

// relaxStep takes one relaxation step on the free layers: every hidden layer
// i = 1 … L−1 (and L if fr.top),
// R_i += ir·(−E_i + (E_{i−1}·W_{i−1}) ⊙ f'(R_i)), then F_i = f(R_i); and
// layer 0 if fr.bottom. With track set it returns the largest change of any
// activity (NaN if a change is NaN), else 0.
func (ws *Workspace) relaxStep(r, f, e []linalg.Matrix, fr free, track bool) float32 {
	ir := ws.Config.IR
	top := ws.net.Layers() - 1
	if fr.top {
		top++
	}
	var moved float32
	ws.packed()
	if ws.net.Act == ReLU && !track {
		// Every hidden update at once: each reads errors and writes its own
		// layer only, so they are independent. One split call, and for
		// each layer the GEMM and the update in one pass.
		ws.calls = ws.calls[:0]
		for i := 1; i <= top; i++ {
			g := ws.gs[i].FirstRows(r[i].Rows)
			ws.calls = append(ws.calls, linalg.ReluStepCall(r[i], e[i], f[i], ir, linalg.NoTrans, e[i-1], ws.wn[i-1], g))
		}
		ws.eng.Run(ws.calls)
		top = 0 // done
	}
	for i := 1; i <= top; i++ {
		old := ws.keep(r[i], track)
		g := ws.scratch(r[i].Rows, r[i].Cols)
		if ws.net.Act == ReLU {
			// The GEMM and the update in one pass, on every thread.
			ws.eng.ReluStep(r[i], e[i], f[i], ir, linalg.NoTrans, e[i-1], ws.wn[i-1], g)
		} else {
			ws.eng.GemmPacked(linalg.NoTrans, 1, e[i-1], ws.wn[i-1], 0, g)
			ws.derivUpdate(r[i], e[i], g, f[i], ir)
		}
		if track {
			moved = max(moved, maxChange(r[i], old))
		}
	}
	if fr.bottom {
		old := ws.keep(r[0], track)
		if fr.known.Rows == 0 {
			ws.eng.Axpy(-ir, e[0], r[0])
		} else {
			stepUnknown(r[0], e[0], fr.known, ir)
		}
		if track {
			moved = max(moved, maxChange(r[0], old))
		}
	}
	return moved
}

// keep copies m into the workspace's prev buffer when track is set, and
// returns the copy.
func (ws *Workspace) keep(m linalg.Matrix, track bool) linalg.Matrix {
	if !track {
		return linalg.Matrix{}
	}
	c := linalg.FromSlice(m.Rows, m.Cols, ws.prev[:m.Rows*m.Cols])
	linalg.Copy(c, m)
	return c
}

// maxChange returns the largest |a − b| over the elements, or NaN if any
// difference is NaN.
func maxChange(a, b linalg.Matrix) float32 {
	var most float32
	for i := 0; i < a.Rows; i++ {
		ra := a.Row(i)
		rb := b.Row(i)[:len(ra)]
		for j, v := range ra {
			d := v - rb[j]
			if d < 0 {
				d = -d
			}
			if !(d <= most) { // also takes a NaN, which then sticks
				most = d
				if d != d {
					return d
				}
			}
		}
	}
	return most
}

// stepUnknown moves the units of R where known is zero by −ir·E (known has
// one row for every row of R, or a single row for all).
func stepUnknown(r, e, known linalg.Matrix, ir float32) {
	for i := 0; i < r.Rows; i++ {
		rr := r.Row(i)
		ee := e.Row(i)[:len(rr)]
		kk := known.Row(min(i, known.Rows-1))[:len(rr)]
		for j, k := range kk {
			if k == 0 {
				rr[j] += float32(-ir * ee[j])
			}
		}
	}
}
