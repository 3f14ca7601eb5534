package pc

import (
	"runtime"
	"sync/atomic"

	"github.com/pcgo/pcgo/linalg"
)

// Handing rows over between the threads of a relaxation split by rows.
//
// relaxRows gives every thread its own rows of the batch for the whole
// relaxation, as many as the others'. On a shared machine one thread often
// runs slower than another for a while (a virtual CPU whose host core is
// busy elsewhere): measured here, the two threads of a Learn call often
// ended 0.3 to 1.3 ms apart in calls of 5 ms, the faster one idle meanwhile.
// So a thread that has relaxed all its rows asks one still relaxing for
// rows (share.ask); that thread answers between two of its steps, and,
// when at least minHandSteps steps are left, hands over half of its rows
// (linalg.Engine.Halve) at the step they have reached, and goes on with the
// other half. The rows' activities are in the workspace's matrices, which
// both threads see; the packed weights and A panels are a thread's own
// (each thread's copy of the weights packed from the same W, so equal).
//
// Who relaxes a row changes none of its bits: rows do not depend on each
// other, and Halve keeps every row in a tile that sums as it did. The
// energies are summed row by row (exec.rowSums) and then in row order, so
// they do not depend on the hand-overs either: the results of a call are a
// function of its inputs, its kernel set and its thread count alone.

// minHandSteps is the fewest steps left for which a thread hands over rows:
// a hand-over moves the rows' activities to the other core's cache, a few
// tens of microseconds, and half a step of the seed's net on 12 rows is
// about 50 µs.
const minHandSteps = 2

// share is one thread's side of the hand-overs: part p's thread uses
// ws.shares[p] throughout a relaxation.
type share struct {
	busy atomic.Bool  // relaxing rows: it answers asks between its steps
	work atomic.Int64 // rows × steps it has left, for askers to choose
	ask  atomic.Int32 // 1 + the part of a thread waiting for rows from this one, or 0

	// The answer to this thread's own ask: replyWait until the asked
	// thread answers, then replyRows with rows and step set, or replyNone.
	reply atomic.Int32
	rows  linalg.RowPart
	step  int

	_ [64]byte // keep the shares' lines apart
}

const (
	replyWait int32 = iota
	replyRows
	replyNone
)

// relaxShare relaxes x's rows from step from to the job's last (see
// relaxRows), then, if the job says so, computes their errors once more.
// Between steps it answers asks for rows; the energies' row sums come from
// the last errors it computes.
func (ws *Workspace) relaxShare(x *exec, p, from int) {
	r, f, e := ws.rv, ws.fv, ws.ev
	job := &ws.job
	me := &ws.shares[p]
	for s := from; s < job.steps; s++ {
		me.work.Store(int64(x.rows.Rows() * (job.steps - s)))
		x.rowSums = !job.final && s == job.steps-1
		ws.errorsOn(x, r, f, e)
		ws.relaxStep(x, r, f, e, job.fr, false)
		if ws.stepHook != nil {
			ws.stepHook(p)
		}
		ws.answer(x, p, s+1)
	}
	if job.final {
		x.rowSums = true
		ws.errorsOn(x, r, f, e)
	}
	x.rowSums = false
}

// answer hands half of x's rows, done steps into the job, to the thread
// that asks part p's thread for rows, if one does and enough steps are left;
// otherwise it tells the asker there are none.
func (ws *Workspace) answer(x *exec, p, done int) {
	me := &ws.shares[p]
	a := me.ask.Load()
	if a == 0 {
		return
	}
	to := &ws.shares[a-1]
	me.ask.Store(0)
	if ws.job.steps-done >= minHandSteps {
		if keep, give, ok := x.eng.Halve(x.rows); ok {
			x.rows = keep
			to.rows, to.step = give, done
			ws.handOvers.Add(1)
			to.reply.Store(replyRows)
			return
		}
	}
	to.reply.Store(replyNone)
}

// finish marks part p's thread idle and answers an ask that came too late
// to be answered between steps.
func (ws *Workspace) finish(p int) {
	me := &ws.shares[p]
	me.work.Store(0)
	me.busy.Store(false)
	if a := me.ask.Swap(0); a != 0 {
		ws.shares[a-1].reply.Store(replyNone)
	}
}

// askRows asks the busy thread with the most work left for rows, on behalf
// of part p's thread, which has none left, and waits for the answer. It
// returns the rows handed over and the step they are at, or false when no
// thread has rows to give.
func (ws *Workspace) askRows(p, parts int) (linalg.RowPart, int, bool) {
	me := &ws.shares[p]
	if runtime.GOMAXPROCS(0) < 2 {
		return linalg.RowPart{}, 0, false // the other thread could not run while this one waits
	}
	var refused uint64 // threads that answered none: they will not have more
	for {
		v, most := -1, int64(0)
		for q := 0; q < min(parts, 64); q++ {
			if q == p || refused&(1<<q) != 0 || !ws.shares[q].busy.Load() {
				continue
			}
			if w := ws.shares[q].work.Load(); w > most {
				v, most = q, w
			}
		}
		if v < 0 {
			return linalg.RowPart{}, 0, false
		}
		them := &ws.shares[v]
		me.reply.Store(replyWait)
		if !them.ask.CompareAndSwap(0, int32(p+1)) {
			runtime.Gosched() // another thread is asking it: look again
			continue
		}
		// If it has finished meanwhile (finish swapped its ask before this
		// one came), take the ask back; if finish took it, an answer comes.
		if !them.busy.Load() && them.ask.CompareAndSwap(int32(p+1), 0) {
			refused |= 1 << v
			continue
		}
		for i := 1; me.reply.Load() == replyWait; i++ {
			if i%256 == 0 {
				runtime.Gosched()
			}
		}
		if me.reply.Load() == replyRows {
			return me.rows, me.step, true
		}
		refused |= 1 << v
	}
}
