package linalg

// Call is one GEMM of a batch that Engine.Run runs as a single split call.
// GemmCall, GemmPackedCall, ResidualCall and ReluStepCall build it from the
// operands Gemm, GemmPacked, Residual and ReluStep take.
type Call struct {
	g     gemmArgs
	names callNames
	// Sum is, after Run, what the call returns on its own: Residual's sum of
	// squares (0 for the others).
	Sum float64
}

// GemmCall is Gemm(tA, tB, alpha, a, b, beta, c) as a Call.
func GemmCall(tA, tB Op, alpha float32, a, b Matrix, beta float32, c Matrix) Call {
	return Call{g: gemmArgs{tA: tA, tB: tB, alpha: alpha, beta: beta, a: a, b: b, c: c}, names: gemmNames}
}

// GemmPackedCall is GemmPacked(tA, alpha, a, b, beta, c) as a Call.
func GemmPackedCall(tA Op, alpha float32, a Matrix, b *Packed, beta float32, c Matrix) Call {
	return Call{g: gemmArgs{tA: tA, alpha: alpha, beta: beta, a: a, c: c, bp: b}, names: gemmPackedNames}
}

// ResidualCall is Residual(dst, r, tA, a, b) as a Call.
func ResidualCall(dst, r Matrix, tA Op, a Matrix, b *Packed) Call {
	epi := epilogue{kind: epiResidual, r: r}
	return Call{g: gemmArgs{tA: tA, alpha: 1, a: a, c: dst, bp: b, epi: epi}, names: residualNames}
}

// ReluStepCall is ReluStep(r, errs, f, ir, tA, a, b, g) as a Call.
func ReluStepCall(r, errs, f Matrix, ir float32, tA Op, a Matrix, b *Packed, g Matrix) Call {
	epi := epilogue{kind: epiReluStep, r: r, e: errs, f: f, ir: ir}
	return Call{g: gemmArgs{tA: tA, alpha: 1, a: a, c: g, bp: b, epi: epi}, names: reluStepNames}
}

// maxBatch is the most calls one split call of Run carries; longer batches
// run in several.
const maxBatch = 8

// batchPart is how one call of a batch is split; active is false for a
// call with no GEMM loops to run (check completed it).
type batchPart struct {
	parts  int
	alongN bool
	active bool
}

// minBatchFlops is the smallest call of a batch worth splitting: its parts
// ride on the batch's one hand-over, so only the loop overhead counts.
const minBatchFlops = 1 << 14

// Run runs calls as if one by one, but as one split call: each thread runs
// its part of every call, so a batch costs one hand-over to the pool, not one
// per call, and small calls that would run on one thread alone are split too.
// The calls must be independent: none may write what another reads. Each
// call's results equal those of the call on its own, bit for bit; its Sum
// is summed by part, like the call's own with more than one thread, and
// equals it with one. Run panics, as the calls would, on mismatched shapes
// or an operand packed for another kernel set.
func (e *Engine) Run(calls []Call) {
	for len(calls) > 0 {
		n := min(len(calls), maxBatch)
		e.runBatch(calls[:n])
		calls = calls[n:]
	}
}

func (e *Engine) runBatch(calls []Call) {
	parts := 1
	for i := range calls {
		c := &calls[i]
		c.Sum = 0
		s := &e.batch[i]
		*s = batchPart{parts: 1}
		m, n, k, ok := e.check(c)
		if !ok {
			continue
		}
		s.active = true
		s.parts, s.alongN = e.splitIn(m, n, k, c.g.bp != nil, minBatchFlops)
		parts = max(parts, s.parts)
	}
	if parts == 1 {
		for i := range calls {
			if e.batch[i].active {
				calls[i].Sum = e.gemmBlocked(&calls[i].g, e.bufs[0])
			}
		}
		return
	}
	e.call = splitCall{kind: callBatch, parts: parts, batch: calls}
	e.fork()
	e.runPart(0)
	e.join()
	for i := range calls {
		if !e.batch[i].active {
			continue
		}
		for p := 0; p < e.batch[i].parts; p++ {
			calls[i].Sum += e.sums[p].batch[i]
		}
	}
}

// check validates a call's operands and returns its shape; ok is false for
// a call with no GEMM loops to run (empty, or k or alpha zero), which check
// then completes itself.
func (e *Engine) check(c *Call) (m, n, k int, ok bool) {
	g := &c.g
	if g.bp == nil {
		// An unpacked op(B) (GemmCall).
		g.b.valid(c.names.b)
		kb, n := g.b.Rows, g.b.Cols
		if g.tB {
			kb, n = n, kb
		}
		m, k, c.Sum, ok = e.prepare(c.names, g, kb, n)
		return m, n, k, ok
	}
	g.bp.check(e, c.names.call)
	if g.epi.kind != epiNone {
		sameShape(c.names.call, g.c, g.epi.r)
		if g.epi.kind == epiReluStep {
			sameShape(c.names.call, g.c, g.epi.e, g.epi.f)
		}
	}
	n = g.bp.cols
	m, k, c.Sum, ok = e.prepare(c.names, g, g.bp.rows, n)
	return m, n, k, ok
}

// runBatchPart runs part p of every call of the batch that has one.
func (e *Engine) runBatchPart(p int) {
	c := &e.call
	for i := range c.batch {
		s := e.batch[i]
		call := &c.batch[i]
		e.sums[p].batch[i] = 0
		if p >= s.parts || !s.active {
			continue
		}
		gp := call.g.part(p, s.parts, s.alongN, e.blk)
		e.sums[p].batch[i] = e.gemmBlocked(&gp, e.bufs[p])
	}
}
