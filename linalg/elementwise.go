package linalg

// The element-wise passes of the predictive-coding loop. Each walks its
// operands once, row by row (one kernel call per row, or one for the whole
// matrix when every operand is contiguous). Operands must have equal shapes;
// a mismatch panics.

// Scale computes X = alpha·X. alpha == 0 writes zeros, clearing NaNs.
func (e *Engine) Scale(alpha float32, x Matrix) {
	if alpha == 1 {
		return
	}
	x.valid("Scale")
	if x.Contiguous() {
		e.k.Scale(alpha, x.Data[:x.Rows*x.Cols])
		return
	}
	for i := 0; i < x.Rows; i++ {
		e.k.Scale(alpha, x.Row(i))
	}
}

// Axpy computes Y += alpha·X.
func (e *Engine) Axpy(alpha float32, x, y Matrix) {
	sameShape("Axpy", y, x)
	if x.Contiguous() && y.Contiguous() {
		n := y.Rows * y.Cols
		e.k.Axpy(alpha, x.Data[:n], y.Data[:n])
		return
	}
	for i := 0; i < y.Rows; i++ {
		e.k.Axpy(alpha, x.Row(i), y.Row(i))
	}
}

// Relu computes Dst = max(Src, 0) element-wise. Dst may be Src.
func (e *Engine) Relu(dst, src Matrix) {
	sameShape("Relu", dst, src)
	if dst.Contiguous() && src.Contiguous() {
		n := dst.Rows * dst.Cols
		e.k.Relu(dst.Data[:n], src.Data[:n])
		return
	}
	for i := 0; i < dst.Rows; i++ {
		e.k.Relu(dst.Row(i), src.Row(i))
	}
}

// SubSq computes the error E = R − P and returns Σ E², the squared error,
// from the same pass. Rows are summed in float32 by the kernel and across
// rows in float64.
func (e *Engine) SubSq(errs, r, p Matrix) float64 {
	sameShape("SubSq", errs, r, p)
	var sum float64
	for i := 0; i < errs.Rows; i++ {
		sum += float64(e.k.SubSq(errs.Row(i), r.Row(i), p.Row(i)))
	}
	return sum
}

// ReluDerivUpdate is the fused hidden-layer step of predictive coding:
//
//	R += ir · (−E + G ⊙ [R ≥ 0]),   then   F = max(R, 0)
//
// where [R ≥ 0] (the ReLU derivative, 1 at 0 as in the seed) is taken at R
// before the update and F is the ReLU of the updated R. One pass over R, E,
// G and F.
func (e *Engine) ReluDerivUpdate(r, errs, g, f Matrix, ir float32) {
	sameShape("ReluDerivUpdate", r, errs, g, f)
	if r.Contiguous() && errs.Contiguous() && g.Contiguous() && f.Contiguous() {
		n := r.Rows * r.Cols
		e.k.ReluDerivUpdate(r.Data[:n], errs.Data[:n], g.Data[:n], f.Data[:n], ir)
		return
	}
	for i := 0; i < r.Rows; i++ {
		e.k.ReluDerivUpdate(r.Row(i), errs.Row(i), g.Row(i), f.Row(i), ir)
	}
}
