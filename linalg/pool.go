package linalg

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The worker pool: goroutines started once, shared by all engines, never
// stopped. A split call hands each part but the first to an idle worker and
// runs the first itself; a part no worker is free for (another engine holds
// them all) runs on the calling goroutine too. Who runs a part never changes
// its result: parts are fixed by the call's shape and the thread count.
//
// Handing over is a store to the worker's own slot, not a channel send: a
// worker that finished a part spins for a while (spinWait) watching its slot
// before it parks on a channel, and the caller, once its own part is done,
// likewise spins before it parks waiting for the others. The predictive-coding
// loop issues its GEMMs microseconds apart, so the workers stay awake through
// a whole Learn call and a hand-over costs about as much as a cache-line
// transfer, instead of a futex wake-up (tens of microseconds on a virtual
// machine) for every call. Between calls (a finished training run, an idle
// program) everything parks and uses no CPU.
var pool struct {
	mu      sync.Mutex
	workers atomic.Pointer[[]*worker]
}

// spinWait is how long an idle worker, or a caller waiting for its parts,
// spins before it parks. Long enough to bridge the element-wise passes
// between two GEMMs of a relaxation step, short enough that an idle program
// stops spinning at once.
const spinWait = 100 * time.Microsecond

// Worker states.
const (
	wIdle   = iota // spinning on its slot, free to be claimed
	wParked        // blocked on wake, free to be claimed
	wBusy          // claimed: a task is posted or running
)

// worker is one pool goroutine and its hand-over slot.
type worker struct {
	state  atomic.Int32
	posted atomic.Bool   // t holds a task not yet taken
	wake   chan struct{} // a claimer of a parked worker sends here after posting
	t      task
	_      [64]byte // keep workers' hot fields on separate cache lines
}

// task is one part of a split call.
type task struct {
	e    *Engine
	part int
	kind taskKind
	g    gemmArgs // kind == taskGemm
	pk   packArgs // kind == taskPack
}

type taskKind uint8

const (
	taskGemm taskKind = iota
	taskPack
)

// ensureWorkers starts workers until the pool has at least n.
func ensureWorkers(n int) {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	var cur []*worker
	if p := pool.workers.Load(); p != nil {
		cur = *p
	}
	if len(cur) >= n {
		return
	}
	next := append([]*worker(nil), cur...)
	for len(next) < n {
		w := &worker{wake: make(chan struct{}, 1)}
		w.state.Store(wBusy) // until its goroutine runs
		next = append(next, w)
		go w.loop()
	}
	pool.workers.Store(&next)
}

// claim returns an idle worker, now reserved for the caller, and whether it
// was parked (it then needs a wake-up), or nil if every worker is busy.
func claim() (w *worker, parked bool) {
	p := pool.workers.Load()
	if p == nil {
		return nil, false
	}
	for _, w := range *p {
		switch w.state.Load() {
		case wIdle:
			if w.state.CompareAndSwap(wIdle, wBusy) {
				return w, false
			}
		case wParked:
			if w.state.CompareAndSwap(wParked, wBusy) {
				return w, true
			}
		}
	}
	return nil, false
}

// post hands t to w, which claim returned.
func (w *worker) post(t task, wasParked bool) {
	w.t = t
	w.posted.Store(true)
	if wasParked {
		w.wake <- struct{}{}
	}
}

func (w *worker) loop() {
	w.state.Store(wIdle)
	for {
		if !spinUntil(w.posted.Load) {
			// Park, unless a claimer got here first; it then posts, so
			// keep waiting for the slot.
			if w.state.CompareAndSwap(wIdle, wParked) {
				<-w.wake
			}
			for !w.posted.Load() {
				runtime.Gosched()
			}
		}
		t := w.t
		w.t = task{}
		w.posted.Store(false)
		t.e.runPart(&t)
		e := t.e
		w.state.Store(wIdle) // free before the caller learns it is done
		e.partDone()
	}
}

// spinUntil calls cond until it is true, for at most spinWait, yielding the
// processor now and then so that a spinning goroutine never holds up others
// (GOMAXPROCS may be smaller than the thread count). It reports whether cond
// became true.
func spinUntil(cond func() bool) bool {
	var start time.Time
	for i := 1; ; i++ {
		if cond() {
			return true
		}
		if i%64 == 0 {
			if start.IsZero() {
				start = time.Now()
			} else if time.Since(start) > spinWait {
				return false
			}
			if i%1024 == 0 {
				runtime.Gosched()
			}
		}
	}
}

// fork hands parts 1 … parts−1 of a split call to idle workers, running on
// the calling goroutine those no worker is free for, and returns. mk returns
// part p's task. The caller then runs part 0 and calls join.
func (e *Engine) fork(parts int, mk func(p int) task) {
	e.pending.Store(int32(parts - 1))
	for p := parts - 1; p >= 1; p-- {
		t := mk(p)
		if w, parked := claim(); w != nil {
			w.post(t, parked)
			continue
		}
		e.runPart(&t)
		e.pending.Add(-1)
	}
}

// join waits until every part handed out by fork is done.
func (e *Engine) join() {
	if spinUntil(e.forkDone) {
		return
	}
	// Park: set the sleeping bit, unless the count reached zero meanwhile.
	// The worker whose decrement leaves exactly the bit clears it and sends
	// on done; it touches e no more after that, so a late worker can never
	// wake a later call.
	for {
		v := e.pending.Load()
		if v == 0 {
			return
		}
		if e.pending.CompareAndSwap(v, v|sleepingBit) {
			break
		}
	}
	<-e.done
}

// sleepingBit, in Engine.pending, says the caller parked in join.
const sleepingBit = 1 << 30

func (e *Engine) forkDone() bool { return e.pending.Load() == 0 }

// partDone records that a worker finished one of e's parts.
func (e *Engine) partDone() {
	if e.pending.Add(-1) == sleepingBit {
		e.pending.Store(0)
		e.done <- struct{}{}
	}
}

// runPart runs one part of a split call with the part's packing buffer.
func (e *Engine) runPart(t *task) {
	switch t.kind {
	case taskGemm:
		e.sums[t.part].v = e.gemmBlocked(&t.g, e.bufs[t.part])
	case taskPack:
		e.packPanels(t.pk)
	}
}
