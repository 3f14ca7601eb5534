package pc

import (
	"errors"
	"fmt"
	"math"
	"sync/atomic"

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

	// unpacked says the whole batch's packed weights (whole.wt, whole.wn)
	// were never packed or Learn changed W since; the GEMM helpers then
	// pack first.
	unpacked bool

	// The fed-back errors of the hidden updates, one maxBatch × n_i matrix
	// per layer (gs[0] unused).
	gs []linalg.Matrix

	// Where a relaxation's linear algebra runs: whole, the batch at once,
	// every phase of a step (every error, every hidden update) one split
	// call, and the weight update one more; or, split by rows (relaxRows),
	// parts[p] on rows[p].
	whole exec
	parts []exec
	rows  []linalg.RowPart
	job   relaxJob // what each part does (relaxRows)
	// Hand-overs of rows between the parts' threads (share.go): each
	// thread's side, and how many the last relaxation made.
	shares    []share
	handOvers atomic.Int32
	// Σ_j E_i[b, j]² of every row b of every layer i < L, of a split
	// relaxation's last errors: summed in row order, the energies do not
	// depend on which thread computed which row.
	rowSums [][]float64
	// stepHook, when set (tests), runs after every step of a part's
	// thread, with the part's number.
	stepHook func(p int)

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
	ws.unpacked = true
	ws.whole = exec{eng: eng, calls: make([]linalg.Call, 0, L+1)}
	ws.whole.newPacked(eng, net.W)
	ws.parts = make([]exec, eng.Threads())
	for p := range ws.parts {
		ws.parts[p] = exec{split: true, calls: make([]linalg.Call, 0, L+1)}
		if eng.Threads() > 1 {
			ws.parts[p].newPacked(eng, net.W) // the part's own copy (see rowParts)
		}
	}
	ws.rows = make([]linalg.RowPart, 0, eng.Threads())
	ws.shares = make([]share, eng.Threads())
	ws.rowSums = make([][]float64, L)
	for i := range ws.rowSums {
		ws.rowSums[i] = make([]float64, maxBatch)
	}
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
	r, f, e := ws.views(b)
	if parts := ws.splitRows(b); parts > 1 {
		r[0] = x
		ws.relaxRows(r, y, parts, ws.learnJob())
	} else {
		ws.packWeights()
		ws.settle(r, f, e, x, y)
		ws.errors(r, f, e)
	}
	ws.updateWeights(e, f)
	return nil
}

// learnJob is Learn's relaxation as a relaxJob: start the hidden layers
// top-down, relax T steps, compute the errors of the weight update.
func (ws *Workspace) learnJob() relaxJob {
	return relaxJob{lo: 1, steps: ws.Config.T, final: true}
}

// relaxJob is what each part of a relaxation split by rows does (see
// relaxRows): start layers L−1 down to lo top-down, relax steps steps with
// the free layers fr, and, if final, compute the errors once more.
type relaxJob struct {
	lo, steps int
	fr        free
	final     bool
}

// relaxRows clamps R_L = y and runs job split by rows, in parts parts
// (ws.rows, set by splitRows), then records the steps and the energies of
// the last errors, as relax does for the whole batch. Every sample's
// activities depend on its own alone, so each thread takes its rows through
// every step, reading the weights from a packed copy of its own: the
// threads meet twice a call instead of twice a step.
func (ws *Workspace) relaxRows(r []linalg.Matrix, y linalg.Matrix, parts int, job relaxJob) {
	ws.relaxRowsWith((*rowParts)(ws), r, y, parts, job)
}

// relaxRowsWith is relaxRows with task running the parts: rowParts, or a
// test's wrapper of it.
func (ws *Workspace) relaxRowsWith(task linalg.Task, r []linalg.Matrix, y linalg.Matrix, parts int, job relaxJob) {
	L := ws.net.Layers()
	r[L] = y
	ws.job = job
	ws.handOvers.Store(0)
	ws.eng.Do(task, parts)
	ws.steps = job.steps
	if job.steps == 0 && !job.final {
		return // no errors computed: the energies stay those of the last ones
	}
	b := y.Rows
	for i := range ws.energy {
		var sum float64
		for _, v := range ws.rowSums[i][:b] {
			sum += v
		}
		ws.energy[i] = sum / float64(b*ws.net.Sizes[i])
	}
}

// splitRows returns the number of parts the relaxation of a batch of b
// samples in Learn and Generate runs as (relaxRows), each on its own thread
// and rows (ws.rows) through every step: more than one when the engine has
// threads to spare and the batch rows enough for them
// (linalg.Engine.RowParts), and the relaxation needs no batch-wide decision
// (an early stop, Config.Tol ≥ 0) nor a step other than ReLU's fused one.
// The results are those of the whole batch, bit for bit; only the
// energies' last bits depend on the split, as they do on the thread count.
func (ws *Workspace) splitRows(b int) int {
	if ws.eng.Threads() < 2 || ws.Config.Tol >= 0 || ws.net.Act != ReLU {
		return 1
	}
	ws.rows = ws.eng.RowParts(b, ws.rows)
	return len(ws.rows)
}

// rowParts is a Workspace as the linalg.Task of a relaxation split by rows
// (relaxRows): part p runs ws.job on rows ws.rows[p] of the batch in ws.rv,
// ws.fv and ws.ev, whose clamped layers the caller has set.
type rowParts Workspace

// RunPart runs ws.job on part p's rows with sub, the part's own engine,
// and then on any rows another part's thread hands over (see share.go).
//
// It first packs every W_i, both forms, into the part's own copy, which all
// its GEMMs read. Every thread reads all of the packed weights in every
// step; from a copy of its own they come from its own caches, and packing
// writes lines no other core holds. With one copy packed by all threads at
// once, each thread packed half of it and then read the other half from the
// other core, and its stores first took every line back from the core that
// read it in the last call: with the threads on cores that share no cache,
// that packing took about 310 µs a Learn call of the seed's net, its own
// copy 120 µs (the weight update, whose stores now take back the lines of
// W the other core read, about 130 µs more), and the call 2–3% less.
func (rp *rowParts) RunPart(p int, sub *linalg.Engine) {
	ws := (*Workspace)(rp)
	ws.packPart(p, sub)
	ws.relaxPart(p)
}

// packPart packs every W_i, both forms, into part p's own copy, with sub.
func (ws *Workspace) packPart(p int, sub *linalg.Engine) {
	x := &ws.parts[p]
	x.eng = sub
	x.pack(ws.net.W)
}

// relaxPart runs ws.job on part p's rows, and then on any rows another
// part's thread hands over, with the engine and weights packPart set.
func (ws *Workspace) relaxPart(p int) {
	x := &ws.parts[p]
	x.rows = ws.rows[p]
	ws.shares[p].busy.Store(true)
	r, f := ws.rv, ws.fv
	L := ws.net.Layers()
	ws.activateOn(x, f[L], r[L])
	ws.topDown(x, r, f, ws.job.lo)
	ws.relaxShare(x, p, 0)
	ws.finish(p)
	for {
		rows, step, ok := ws.askRows(p, len(ws.rows))
		if !ok {
			return
		}
		ws.shares[p].busy.Store(true)
		x.rows = rows
		ws.relaxShare(x, p, step)
		ws.finish(p)
	}
}

// updateWeights applies the learning rule to every layer,
// W_i += lr·E_iᵀ·F_{i+1}: independent updates, one split call. The packed
// weights are stale after it.
func (ws *Workspace) updateWeights(e, f []linalg.Matrix) {
	x := &ws.whole
	x.calls = x.calls[:0]
	for i, w := range ws.net.W {
		x.add(linalg.GemmCall(linalg.Trans, linalg.NoTrans, ws.Config.LR, e[i], f[i+1], 1, w))
	}
	x.run()
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
	r, f, e := ws.views(b)
	if parts := ws.splitRows(b); parts > 1 {
		ws.relaxRows(r, y, parts, relaxJob{lo: 0, steps: cfg.TGen, fr: free{bottom: true}})
		return r[0], nil
	}
	ws.packWeights()
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

// packWeights packs every W_i for the whole batch's GEMMs of one call:
// each call that relaxes the whole batch at once starts with it, so that it
// sees the weights as they are now (a relaxation split by rows packs each
// part's copy instead, packPart).
func (ws *Workspace) packWeights() {
	ws.whole.pack(ws.net.W)
	ws.unpacked = false
}

// packed makes sure the packed weights of the whole batch exist, for
// helpers called outside a public call (tests), when x is the whole batch's
// exec (a part's RunPart packs its own).
func (ws *Workspace) packed(x *exec) {
	if !x.split && ws.unpacked {
		ws.packWeights()
	}
}

// exec is where the linear algebra of a relaxation runs: on the whole batch
// with the workspace's engine (Workspace.whole), or on one part's rows of a
// relaxation split by rows (relaxRows), with that part's one-thread engine.
type exec struct {
	eng   *linalg.Engine
	rows  linalg.RowPart
	split bool // restrict every call and pass to rows
	calls []linalg.Call
	// The weights packed for its GEMMs (linalg.Packed), once per call
	// instead of once per GEMM: wt[i] holds W_iᵀ (predictions), wn[i] W_i
	// (errors fed back up). The whole batch's are packed by packWeights at
	// the start of every call that relaxes the whole batch at once, a
	// part's by its RunPart; in between they are stale (Learn's update
	// changes W, and the caller may too).
	wt, wn []*linalg.Packed
	// rowSums, on a part's rows, has errorsOn record each row's Σ E_i²
	// (Workspace.rowSums).
	rowSums bool
}

// newPacked allocates x.wt and x.wn for the weights w, packed for eng.
func (x *exec) newPacked(eng *linalg.Engine, w []linalg.Matrix) {
	for _, m := range w {
		x.wt = append(x.wt, linalg.NewPacked(eng, linalg.Trans, m.Rows, m.Cols))
		x.wn = append(x.wn, linalg.NewPacked(eng, linalg.NoTrans, m.Rows, m.Cols))
	}
}

// pack packs every w_i into x.wt[i] (transposed) and x.wn[i], with x.eng.
func (x *exec) pack(w []linalg.Matrix) {
	for i, m := range w {
		x.eng.Pack(x.wt[i], linalg.Trans, m)
		x.eng.Pack(x.wn[i], linalg.NoTrans, m)
	}
}

// add queues c for run, restricted to the part's rows.
func (x *exec) add(c linalg.Call) {
	if x.split {
		c = c.Rows(x.rows)
	}
	x.calls = append(x.calls, c)
}

// run runs the queued calls: for the whole batch, on all threads as one
// split call.
func (x *exec) run() {
	x.eng.Run(x.calls)
}

// views returns the rows of m that x works on: m itself, or the part's
// rows of m (a block and a tail, which may be empty).
func (x *exec) views(m linalg.Matrix) (block, tail linalg.Matrix) {
	if !x.split {
		return m, linalg.Matrix{}
	}
	return x.rows.Views(m)
}

// predict writes the top-down prediction of layer i, F_{i+1}·W_iᵀ, into dst.
func (ws *Workspace) predict(x *exec, i int, dst linalg.Matrix, f []linalg.Matrix) {
	ws.packed(x)
	if !x.split {
		x.eng.GemmPacked(linalg.NoTrans, 1, f[i+1], x.wt[i], 0, dst)
		return
	}
	x.calls = x.calls[:0]
	x.add(linalg.GemmPackedCall(linalg.NoTrans, 1, f[i+1], x.wt[i], 0, dst))
	x.run()
}

// scratch returns the b × n scratch matrix.
func (ws *Workspace) scratch(b, n int) linalg.Matrix {
	return linalg.FromSlice(b, n, ws.tmp[:b*n])
}

// errors computes E_i = R_i − F_{i+1}·W_iᵀ for every layer i < L on the
// whole batch and records each layer's mean squared error (see errorsOn).
func (ws *Workspace) errors(r, f, e []linalg.Matrix) {
	ws.errorsOn(&ws.whole, r, f, e)
}

// errorsOn computes E_i = R_i − F_{i+1}·W_iᵀ for every layer i < L on x's
// rows. On the whole batch it records each layer's mean squared error too,
// from Σ E_i² summed in the same pass, fused into the GEMM (E_i is exactly
// R_i minus the prediction; the sum's last bits depend on how the GEMM is
// split, see linalg.Engine.Residual); on a part's rows, with x.rowSums, it
// records each row's Σ E_i² (sumRows). With a Config.Precision0 π₀
// other than 1, E_0 then holds π₀·(R_0 − prediction); the energy stays the
// unweighted error.
func (ws *Workspace) errorsOn(x *exec, r, f, e []linalg.Matrix) {
	ws.packed(x)
	x.calls = x.calls[:0]
	for i := range ws.net.W {
		x.add(linalg.ResidualCall(e[i], r[i], linalg.NoTrans, f[i+1], x.wt[i]))
	}
	x.run() // the layers' errors are independent: one split call
	if !x.split {
		for i, c := range x.calls {
			ws.energy[i] = c.Sum / float64(r[i].Rows*r[i].Cols)
		}
	}
	if x.rowSums {
		for i := range ws.net.W {
			ws.sumRows(x, i, e[i])
		}
	}
	if p := ws.Config.Precision0; p != 0 && p != 1 {
		block, tail := x.views(e[0])
		x.eng.Scale(p, block)
		x.eng.Scale(p, tail)
	}
}

// sumRows records Σ_j E[b, j]² of each of x's rows b of E_i in
// ws.rowSums[i].
func (ws *Workspace) sumRows(x *exec, i int, e linalg.Matrix) {
	sums := ws.rowSums[i]
	rp := x.rows
	for _, rng := range [2][2]int{{rp.Lo, rp.Hi}, {rp.T0, rp.T1}} {
		for b := rng[0]; b < rng[1]; b++ {
			sums[b] = sumSquares(e.Row(b))
		}
	}
}

// sumSquares returns Σ v² over v in float64, in four interleaved sums
// added in a fixed order.
func sumSquares(v []float32) float64 {
	var s0, s1, s2, s3 float64
	j := 0
	for ; j+4 <= len(v); j += 4 {
		a, b, c, d := float64(v[j]), float64(v[j+1]), float64(v[j+2]), float64(v[j+3])
		s0 += a * a
		s1 += b * b
		s2 += c * c
		s3 += d * d
	}
	for ; j < len(v); j++ {
		a := float64(v[j])
		s0 += a * a
	}
	return (s0 + s1) + (s2 + s3)
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
	ws.activate(ws.eng, f[L], y)
	ws.topDown(&ws.whole, r, f, lo)
}

// topDown starts layers L−1 down to lo at their top-down predictions,
// R_i = F_{i+1}·W_iᵀ and F_i = f(R_i) (F_0 is never used, so not computed),
// on x's rows. F_L must hold f(R_L).
func (ws *Workspace) topDown(x *exec, r, f []linalg.Matrix, lo int) {
	for i := ws.net.Layers() - 1; i >= lo; i-- {
		ws.predict(x, i, r[i], f)
		if i >= 1 {
			ws.activateOn(x, f[i], r[i])
		}
	}
}

// activateOn computes F = f(R) on x's rows.
func (ws *Workspace) activateOn(x *exec, dst, src linalg.Matrix) {
	db, dt := x.views(dst)
	sb, st := x.views(src)
	ws.activate(x.eng, db, sb)
	ws.activate(x.eng, dt, st)
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

// relax runs up to steps relaxation steps on the whole batch (see relaxOn)
// and records the number run in ws.steps.
func (ws *Workspace) relax(r, f, e []linalg.Matrix, steps int, fr free) {
	ws.steps = ws.relaxOn(&ws.whole, r, f, e, steps, fr)
}

// relaxOn runs up to steps relaxation steps on x's rows, each computing
// every error and then moving every free layer (all errors first, as the
// seed), and returns the number run. With Config.Tol ≥ 0 it stops after the
// first step in which no activity moved by more than Tol, which only the
// whole batch can tell (see relaxStep for the other steps a part cannot
// take).
func (ws *Workspace) relaxOn(x *exec, r, f, e []linalg.Matrix, steps int, fr free) int {
	tol := ws.Config.Tol
	track := tol >= 0
	n := 0
	for n < steps {
		ws.errorsOn(x, r, f, e)
		moved := ws.relaxStep(x, r, f, e, fr, track)
		n++
		if track && moved <= tol {
			break
		}
	}
	return n
}

// relaxStep takes one relaxation step on the free layers: every hidden layer
// i = 1 … L−1 (and L if fr.top),
// R_i += ir·(−E_i + (E_{i−1}·W_{i−1}) ⊙ f'(R_i)), then F_i = f(R_i); and
// layer 0 if fr.bottom. With track set it returns the largest change of any
// activity (NaN if a change is NaN), else 0. On a part's rows (x.split) it
// takes only ReLU's fused step without track, and moves no free top layer
// nor a bottom one with clamped units.
func (ws *Workspace) relaxStep(x *exec, r, f, e []linalg.Matrix, fr free, track bool) float32 {
	ir := ws.Config.IR
	top := ws.net.Layers() - 1
	if fr.top {
		top++
	}
	var moved float32
	ws.packed(x)
	if ws.net.Act == ReLU && !track {
		// Every hidden update at once: each reads errors and writes its own
		// layer only, so they are independent. One split call, and for
		// each layer the GEMM and the update in one pass.
		x.calls = x.calls[:0]
		for i := 1; i <= top; i++ {
			g := ws.gs[i].FirstRows(r[i].Rows)
			x.add(linalg.ReluStepCall(r[i], e[i], f[i], ir, linalg.NoTrans, e[i-1], x.wn[i-1], g))
		}
		x.run()
		top = 0 // done
	}
	if x.split && (top > 0 || fr.bottom && fr.known.Rows > 0) {
		panic("pc: relaxStep: a step that needs the whole batch, on a part of it")
	}
	for i := 1; i <= top; i++ {
		old := ws.keep(r[i], track)
		g := ws.scratch(r[i].Rows, r[i].Cols)
		if ws.net.Act == ReLU {
			// The GEMM and the update in one pass, on every thread.
			ws.eng.ReluStep(r[i], e[i], f[i], ir, linalg.NoTrans, e[i-1], x.wn[i-1], g)
		} else {
			ws.eng.GemmPacked(linalg.NoTrans, 1, e[i-1], x.wn[i-1], 0, g)
			ws.derivUpdate(r[i], e[i], g, f[i], ir)
		}
		if track {
			moved = max(moved, maxChange(r[i], old))
		}
	}
	if fr.bottom {
		old := ws.keep(r[0], track)
		if fr.known.Rows == 0 {
			eb, et := x.views(e[0])
			rb, rt := x.views(r[0])
			x.eng.Axpy(-ir, eb, rb)
			x.eng.Axpy(-ir, et, rt)
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
