package linalg

import "fmt"

// RowPart is one part's share of the rows of a batch split by rows
// (Engine.RowParts): rows Lo … Hi−1 and, when T0 < T1, rows T0 … T1−1, the
// batch's last micro-tile when the kernels sum a tile of that few rows
// apart from full ones (asm.Kernels.OneChainRows). A call restricted to a
// part (Call.Rows) computes each of its rows with the bits of the whole
// call.
type RowPart struct{ Lo, Hi, T0, T1 int }

// Rows returns the number of rows of the part.
func (r RowPart) Rows() int { return r.Hi - r.Lo + r.T1 - r.T0 }

// Views returns the part's rows of m: rows Lo … Hi−1, and rows T0 … T1−1
// (an empty matrix without them).
func (r RowPart) Views(m Matrix) (block, tail Matrix) {
	block = m.View(r.Lo, 0, r.Hi-r.Lo, m.Cols)
	if r.T1 > r.T0 {
		tail = m.View(r.T0, 0, r.T1-r.T0, m.Cols)
	}
	return block, tail
}

// RowParts splits a batch of m rows into parts, one a thread (at most
// Threads), for work whose rows do not depend on each other's, such as the
// relaxation of predictive coding, where every sample's activities depend
// only on its own. It returns them appended to dst[:0]; a single part (all
// the rows) means the batch has too few rows to split.
//
// The parts are as even as the micro-kernel allows. When the whole batch's
// last tile has so few rows that the kernels sum it apart from full tiles
// (50 rows are 8 tiles of 6 and one of 2), the first part takes that tile
// whole, and every part takes a run of the other rows, which a restricted
// call cuts into tiles that all sum as full tiles do (50 rows on two threads:
// rows 0 … 22 with 48 and 49, and 23 … 47). So every row is computed as in
// the whole batch, bit for bit.
func (e *Engine) RowParts(m int, dst []RowPart) []RowPart {
	dst = dst[:0]
	if m < 0 {
		panic(fmt.Sprintf("linalg: RowParts: %d rows", m))
	}
	mr, one := e.blk.mr, e.k.OneChainRows
	body := m - m%mr // rows of the whole batch's full tiles, and its last if it sums as they do
	if m%mr >= one {
		body = m
	}
	tail := m - body
	for parts := min(e.threads, body/one); parts >= 2; parts-- {
		if out, ok := e.rowParts(m, body, tail, parts, dst); ok {
			return out
		}
	}
	if body == 0 || tail == 0 {
		return append(dst, RowPart{Lo: 0, Hi: m})
	}
	return append(dst, RowPart{Lo: 0, Hi: body, T0: body, T1: m})
}

// rowParts splits m rows, body of them in full tiles and the tail after
// them, into parts: each a run of body rows that tiles of at least
// OneChainRows rows cut, as near m/parts rows as that allows, the tail with
// the first.
func (e *Engine) rowParts(m, body, tail, parts int, dst []RowPart) ([]RowPart, bool) {
	mr, one := e.blk.mr, e.k.OneChainRows
	cuts := e.cuts
	lo := 0
	for p := 0; p < parts; p++ {
		hi := body
		if left := parts - p - 1; left > 0 {
			// The cut nearest the even one that leaves a cut part here
			// and enough rows for the parts after it.
			want := m*(p+1)/parts - tail
			ok := func(c int) bool {
				if c <= lo || c >= body || !cuts(c-lo) {
					return false
				}
				if left == 1 {
					return cuts(body - c)
				}
				return body-c >= left*one
			}
			// Of two cuts as near, the one whose larger side, this part
			// or one of those after it, is smaller.
			own := 0 // the tail's rows, which the first part takes
			if p == 0 {
				own = tail
			}
			worst := func(c int) int { return max(c-lo+own, (body-c+left-1)/left) }
			found := false
			for d := 0; d <= mr && !found; d++ {
				for _, c := range []int{want - d, want + d} {
					if ok(c) && (!found || worst(c) < worst(hi)) {
						hi, found = c, true
					}
				}
			}
			if !found {
				return dst, false
			}
		} else if !cuts(body - lo) {
			return dst, false
		}
		rp := RowPart{Lo: lo, Hi: hi}
		if p == 0 && tail > 0 {
			rp.T0, rp.T1 = body, m
		}
		dst = append(dst, rp)
		lo = hi
	}
	return dst, true
}

// cuts reports whether a restricted call cuts n rows into tiles that all
// sum as full tiles do: ⌈n/MR⌉ tiles of at least OneChainRows rows (with
// the AVX2 kernels, any n from 4 up but 7).
func (e *Engine) cuts(n int) bool {
	t := (n + e.blk.mr - 1) / e.blk.mr
	return n > 0 && n/t >= e.k.OneChainRows
}

// Halve cuts part rp of a batch split by rows (RowParts) in two, for
// handing half of a part's rows to a thread that has none left: keep, rows
// Lo … c−1 and rp's tail, and give, rows c … Hi−1, each with about half
// the rows, each of them still computed with the bits of the whole call. It
// reports false when no such cut exists (a part of fewer than eight rows
// outside its tail, with the AVX2 kernels).
func (e *Engine) Halve(rp RowPart) (keep, give RowPart, ok bool) {
	tail := rp.T1 - rp.T0
	want := (rp.Lo + rp.Hi - tail) / 2 // keep and give equal, the tail counted with keep
	for d := 0; d <= e.blk.mr; d++ {
		for _, c := range []int{want + d, want - d} {
			if c > rp.Lo && c < rp.Hi && e.cuts(c-rp.Lo) && e.cuts(rp.Hi-c) {
				keep, give = rp, RowPart{Lo: c, Hi: rp.Hi}
				keep.Hi = c
				return keep, give, true
			}
		}
	}
	return rp, RowPart{}, false
}

// Rows returns the call restricted to the rows of its output that rp
// selects (and to the same rows of op(A) and of a fused pass's operands),
// the rows of the tail computed in the same loops as the others, while each
// panel of op(B) is in the cache. With rp from RowParts, each row comes out
// with the bits of the whole call; the Sum of a restricted Residual is the
// sum over the part's rows. Tail rows (T0 < T1) come after Hi and need
// rows Lo … Hi−1 to ride with (Lo < Hi).
func (c Call) Rows(rp RowPart) Call {
	g := &c.g
	if rp.Lo < 0 || rp.Lo > rp.Hi || rp.T0 > rp.T1 || max(rp.Hi, rp.T1) > g.c.Rows || rp.T0 < rp.T1 && (rp.T0 < rp.Hi || rp.Lo == rp.Hi) {
		panic(fmt.Sprintf("linalg: %s: rows %d…%d and %d…%d of %d", c.names.call, rp.Lo, rp.Hi, rp.T0, rp.T1, g.c.Rows))
	}
	n := g.c.Cols
	out := c
	out.g = g.block(rp.Lo, rp.Hi, 0, n)
	out.g.dense = true
	if rp.T1 > rp.T0 {
		t := g.block(rp.T0, rp.T1, 0, n)
		out.g.tail.c, out.g.tail.a, out.g.tail.epi = t.c, t.a, t.epi
		out.g.tail.j0, out.g.tail.j1 = 0, n
	}
	return out
}

// A Task is work in parts that Engine.Do runs at once, one part a thread:
// typically each part working on its own rows of a batch (RowParts).
type Task interface {
	// RunPart runs part p with sub, a one-thread engine of the same
	// kernel set whose buffers are part p's alone; it must do all of its
	// linear algebra with sub. Parts run at the same time: none may write
	// what another reads or writes.
	RunPart(p int, sub *Engine)
}

// Do runs parts 0 … parts−1 of t (at most Threads), each on its own
// goroutine, and returns when all are done. As with every split call, a
// part whose thread is slow to start runs on the calling goroutine, so the
// results must not depend on where a part runs (a part's engine is its own
// wherever it runs). Do allocates nothing.
func (e *Engine) Do(t Task, parts int) {
	if parts < 0 || parts > e.threads {
		panic(fmt.Sprintf("linalg: Do: %d parts on an engine of %d threads", parts, e.threads))
	}
	switch {
	case parts == 0:
		return
	case e.threads == 1:
		t.RunPart(0, e)
		return
	case parts == 1:
		t.RunPart(0, e.subs[0])
		return
	}
	e.call = splitCall{kind: callTask, parts: parts, task: t}
	e.fork()
	e.runPart(0)
	e.join()
	e.call.task = nil // the engine does not keep the task alive
}
