package linalg

import "fmt"

// Matrix is a row-major float32 matrix, or a view into one. Element (i, j)
// is Data[i*Stride+j]; Stride ≥ Cols. Views share Data with their parent.
// The zero Matrix is a valid 0×0 matrix.
type Matrix struct {
	Rows, Cols, Stride int
	Data               []float32
}

// New returns a zeroed rows×cols matrix with Stride == cols.
func New(rows, cols int) Matrix {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("linalg: negative dimensions %d×%d", rows, cols))
	}
	return Matrix{Rows: rows, Cols: cols, Stride: cols, Data: make([]float32, rows*cols)}
}

// FromSlice wraps data (len ≥ rows*cols) as a rows×cols matrix without copying.
func FromSlice(rows, cols int, data []float32) Matrix {
	if rows < 0 || cols < 0 || len(data) < rows*cols {
		panic(fmt.Sprintf("linalg: %d values cannot hold a %d×%d matrix", len(data), rows, cols))
	}
	return Matrix{Rows: rows, Cols: cols, Stride: cols, Data: data[:rows*cols]}
}

// At returns element (i, j).
func (m Matrix) At(i, j int) float32 {
	m.check(i, j)
	return m.Data[i*m.Stride+j]
}

// Set sets element (i, j) to v.
func (m Matrix) Set(i, j int, v float32) {
	m.check(i, j)
	m.Data[i*m.Stride+j] = v
}

func (m Matrix) check(i, j int) {
	if uint(i) >= uint(m.Rows) || uint(j) >= uint(m.Cols) {
		panic(fmt.Sprintf("linalg: index (%d, %d) out of range for %d×%d matrix", i, j, m.Rows, m.Cols))
	}
}

// Row returns row i as a slice of length Cols that aliases the matrix.
func (m Matrix) Row(i int) []float32 {
	if uint(i) >= uint(m.Rows) {
		panic(fmt.Sprintf("linalg: row %d out of range for %d×%d matrix", i, m.Rows, m.Cols))
	}
	return m.Data[i*m.Stride : i*m.Stride+m.Cols : i*m.Stride+m.Cols]
}

// View returns the rows×cols sub-matrix whose top-left element is (i, j). It
// shares storage with m.
func (m Matrix) View(i, j, rows, cols int) Matrix {
	if i < 0 || j < 0 || rows < 0 || cols < 0 || i+rows > m.Rows || j+cols > m.Cols {
		panic(fmt.Sprintf("linalg: view %d×%d at (%d, %d) exceeds %d×%d matrix", rows, cols, i, j, m.Rows, m.Cols))
	}
	if rows == 0 || cols == 0 {
		return Matrix{Rows: rows, Cols: cols, Stride: max(m.Stride, cols)}
	}
	start := i*m.Stride + j
	end := (i+rows-1)*m.Stride + j + cols
	return Matrix{Rows: rows, Cols: cols, Stride: m.Stride, Data: m.Data[start:end:end]}
}

// FirstRows returns the first n rows of m as a view, as used for a partial batch.
func (m Matrix) FirstRows(n int) Matrix { return m.View(0, 0, n, m.Cols) }

// Contiguous reports whether the matrix's elements are one unbroken run of
// Data (Stride == Cols, or at most one row).
func (m Matrix) Contiguous() bool { return m.Stride == m.Cols || m.Rows <= 1 }

// valid panics unless the matrix's fields describe memory it actually has.
func (m Matrix) valid(name string) {
	if m.Rows < 0 || m.Cols < 0 || m.Stride < m.Cols || m.Stride < 1 && m.Rows > 1 {
		panic(fmt.Sprintf("linalg: %s: bad shape %d×%d with stride %d", name, m.Rows, m.Cols, m.Stride))
	}
	if m.Rows > 0 && m.Cols > 0 && len(m.Data) < (m.Rows-1)*m.Stride+m.Cols {
		panic(fmt.Sprintf("linalg: %s: %d values cannot hold %d×%d with stride %d", name, len(m.Data), m.Rows, m.Cols, m.Stride))
	}
}

// Copy copies src into dst; both must have the same shape.
func Copy(dst, src Matrix) {
	sameShape("Copy", dst, src)
	if dst.Contiguous() && src.Contiguous() {
		copy(dst.Data[:dst.Rows*dst.Cols], src.Data[:src.Rows*src.Cols])
		return
	}
	for i := 0; i < dst.Rows; i++ {
		copy(dst.Row(i), src.Row(i))
	}
}

func sameShape(op string, ms ...Matrix) {
	for _, m := range ms[1:] {
		if m.Rows != ms[0].Rows || m.Cols != ms[0].Cols {
			panic(fmt.Sprintf("linalg: %s: shapes differ: %d×%d and %d×%d", op, ms[0].Rows, ms[0].Cols, m.Rows, m.Cols))
		}
	}
	for _, m := range ms {
		m.valid(op)
	}
}
