package asm

// Generic is the pure-Go kernel set: always compiled, the reference for every
// other set, and what non-amd64 targets run.
//
// Its GEMM micro-tile is one row by eight columns: eight accumulators stay in
// registers, and the k loop is unrolled four times. Go's register allocator
// spills wider tiles on amd64 (16 float registers, one reserved), and the
// 1×8 shape measured fastest of the 2×3 … 4×4 shapes tried (about 10 GFLOP/s
// per core on a 3.4 GHz x86 core without FMA fusion).
var Generic = &Kernels{
	Name:            "generic",
	MR:              genericMR,
	NR:              genericNR,
	OneChainRows:    1,
	GemmTile:        gemmTileGeneric,
	PackA:           func(dst, a []float32, lda int, trans bool, m, k int) { packA(dst, a, lda, trans, m, k, genericMR) },
	PackB:           func(dst, b []float32, ldb int, trans bool, k, n int) { packB(dst, b, ldb, trans, k, n, genericNR) },
	Relu:            reluGeneric,
	SubSq:           subSqGeneric,
	ReluDerivUpdate: reluDerivUpdateGeneric,
	Axpy:            axpyGeneric,
	Scale:           scaleGeneric,
}

const (
	genericMR = 1
	genericNR = 8
)

// gemmTileGeneric is the pure-Go micro-kernel; see Kernels.GemmTile. With
// MR = 1, the packed A panel is simply kc values of one row of op(A).
func gemmTileGeneric(kc int, a, b, c []float32, ldc, mr, nr int, alpha, beta float32) {
	var c0, c1, c2, c3, c4, c5, c6, c7 float32
	a = a[:kc]
	b = b[:kc*genericNR]
	for len(a) >= 4 && len(b) >= 32 {
		a0 := a[0]
		c0 += a0 * b[0]
		c1 += a0 * b[1]
		c2 += a0 * b[2]
		c3 += a0 * b[3]
		c4 += a0 * b[4]
		c5 += a0 * b[5]
		c6 += a0 * b[6]
		c7 += a0 * b[7]
		a1 := a[1]
		c0 += a1 * b[8]
		c1 += a1 * b[9]
		c2 += a1 * b[10]
		c3 += a1 * b[11]
		c4 += a1 * b[12]
		c5 += a1 * b[13]
		c6 += a1 * b[14]
		c7 += a1 * b[15]
		a2 := a[2]
		c0 += a2 * b[16]
		c1 += a2 * b[17]
		c2 += a2 * b[18]
		c3 += a2 * b[19]
		c4 += a2 * b[20]
		c5 += a2 * b[21]
		c6 += a2 * b[22]
		c7 += a2 * b[23]
		a3 := a[3]
		c0 += a3 * b[24]
		c1 += a3 * b[25]
		c2 += a3 * b[26]
		c3 += a3 * b[27]
		c4 += a3 * b[28]
		c5 += a3 * b[29]
		c6 += a3 * b[30]
		c7 += a3 * b[31]
		a = a[4:]
		b = b[32:]
	}
	for len(a) >= 1 && len(b) >= 8 {
		a0 := a[0]
		c0 += a0 * b[0]
		c1 += a0 * b[1]
		c2 += a0 * b[2]
		c3 += a0 * b[3]
		c4 += a0 * b[4]
		c5 += a0 * b[5]
		c6 += a0 * b[6]
		c7 += a0 * b[7]
		a = a[1:]
		b = b[8:]
	}
	if mr < 1 {
		return
	}
	acc := [genericNR]float32{c0, c1, c2, c3, c4, c5, c6, c7}
	row := c[:nr]
	if beta == 0 {
		for j := range row {
			row[j] = alpha * acc[j]
		}
		return
	}
	for j := range row {
		row[j] = alpha*acc[j] + beta*row[j]
	}
}

// packA implements Kernels.PackA for a micro-tile of mr rows.
func packA(dst, a []float32, lda int, trans bool, m, k, mr int) {
	for i0 := 0; i0 < m; i0 += mr {
		panel := dst[:k*mr]
		dst = dst[k*mr:]
		rows := min(mr, m-i0)
		if trans {
			// op(A)[i][p] = a[p*lda+i]: each step p reads rows contiguous values.
			for p := 0; p < k; p++ {
				src := a[p*lda+i0 : p*lda+i0+rows]
				out := panel[p*mr : p*mr+mr]
				copy(out, src)
				clear(out[rows:])
			}
			continue
		}
		if rows < mr {
			clear(panel) // the rows past m, in one pass
		}
		for i := 0; i < rows; i++ {
			src := a[(i0+i)*lda : (i0+i)*lda+k]
			for p, v := range src {
				panel[p*mr+i] = v
			}
		}
	}
}

// packB implements Kernels.PackB for a micro-tile of nr columns.
func packB(dst, b []float32, ldb int, trans bool, k, n, nr int) {
	for j0 := 0; j0 < n; j0 += nr {
		panel := dst[:k*nr]
		dst = dst[k*nr:]
		cols := min(nr, n-j0)
		if !trans {
			// op(B)[p][j] = b[p*ldb+j]: each step p reads cols contiguous values.
			for p := 0; p < k; p++ {
				src := b[p*ldb+j0 : p*ldb+j0+cols]
				out := panel[p*nr : p*nr+nr]
				copy(out, src)
				clear(out[cols:])
			}
			continue
		}
		if cols < nr {
			clear(panel) // the columns past n, in one pass
		}
		for j := 0; j < cols; j++ {
			src := b[(j0+j)*ldb : (j0+j)*ldb+k]
			for p, v := range src {
				panel[p*nr+j] = v
			}
		}
	}
}

// reluGeneric implements Kernels.Relu.
func reluGeneric(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = max(v, 0)
	}
}

// subSqGeneric implements Kernels.SubSq. Four partial sums keep the
// dependency chains short and the rounding close to a vector kernel's.
func subSqGeneric(e, r, p []float32) float32 {
	n := len(e)
	r, p = r[:n], p[:n]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= n; i += 4 {
		d0 := r[i] - p[i]
		d1 := r[i+1] - p[i+1]
		d2 := r[i+2] - p[i+2]
		d3 := r[i+3] - p[i+3]
		e[i], e[i+1], e[i+2], e[i+3] = d0, d1, d2, d3
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < n; i++ {
		d := r[i] - p[i]
		e[i] = d
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// reluDerivUpdateGeneric implements Kernels.ReluDerivUpdate.
func reluDerivUpdateGeneric(r, e, g, f []float32, ir float32) {
	n := len(r)
	e, g, f = e[:n], g[:n], f[:n]
	for i, x := range r {
		d := -e[i]
		if x >= 0 {
			d += g[i]
		}
		// The explicit conversion rounds the product before the add, which
		// forbids the compiler to fuse the two into an FMA (it may on
		// arm64): every platform, and the AVX2 set, then agree bit for bit.
		x += float32(ir * d)
		r[i] = x
		f[i] = max(x, 0)
	}
}

// axpyGeneric implements Kernels.Axpy.
func axpyGeneric(alpha float32, x, y []float32) {
	x = x[:len(y)]
	for i, v := range x {
		y[i] += float32(alpha * v) // rounded product: no FMA, as in reluDerivUpdateGeneric
	}
}

// scaleGeneric implements Kernels.Scale.
func scaleGeneric(alpha float32, x []float32) {
	if alpha == 0 {
		clear(x)
		return
	}
	for i := range x {
		x[i] *= alpha
	}
}
