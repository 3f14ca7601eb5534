package linalg

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The worker pool: goroutines started once, shared by all engines, never
// stopped.
//
// A split call (fork) posts each part but the first in a slot of its engine
// and hands the slot to an idle worker, then runs the first part itself.
// Whoever takes a posted slot first runs it: the worker it was handed to,
// or the caller, which, once its own part is done, takes every part no
// worker has started yet (join). So a call never waits for a worker that is
// not running (parked, not yet scheduled, or descheduled by a busy machine),
// only for parts already under way; and a part no worker is free for
// (another engine holds them all) simply runs on the caller. Who runs a part
// never changes its result: parts are fixed by the call's shape and the
// thread count.
//
// Handing over is a store to the worker's own slot, not a channel send: a
// worker that finished a part spins for a while (spinWait) watching its slot
// before it parks on a channel, and the caller likewise spins before it
// parks waiting for parts under way. The predictive-coding loop issues its
// GEMMs microseconds apart, so the workers stay awake through a whole Learn
// call and a hand-over costs about a cache-line transfer instead of a futex
// wake-up (tens of microseconds on a virtual machine). Between calls (a
// finished training run, an idle program) everything parks and uses no CPU.
//
// The spinning loops never call runtime.Gosched: measured, a yield in the
// worker's loop (through the scheduler's global queue) added 3–5 µs to
// every hand-over.
//
// A task (Engine.Do) has parts of milliseconds, one a thread: a worker that
// ran one spins a quarter of its part's time before it parks, as the other
// parts may end that much later; and when no worker is idle, the caller
// waits up to spinWait for one to come back (from a short part, or from one
// the caller ran in its place) rather than run a whole part more itself.
var pool struct {
	mu      sync.Mutex
	workers atomic.Pointer[[]*worker]
}

// spinWait is how long an idle worker spins before it parks, and the least
// a caller waiting for its parts spins. Long enough to bridge the
// element-wise passes between two GEMMs of a relaxation step, short enough
// that an idle program stops spinning at once.
//
// A caller in join spins longer when its own part took longer: the parts of
// a call are of equal work, so the others should end about when its own
// did, and parking on a channel for a part that ends a little later costs a
// futex wake-up and, now and then, an allocation by the runtime (a parked
// goroutine's sudog, when the processor's cache of them has run dry). Parts
// of milliseconds are the rule with the generic kernels. The spin is
// bounded by the caller's own part, so a worker descheduled by a busy
// machine costs at most that much spinning before the caller parks.
const spinWait = 100 * time.Microsecond

// Worker states.
const (
	wIdle   = iota // spinning on its slot, free to be claimed
	wParked        // blocked on wake, free to be claimed
	wBusy          // claimed: a slot is handed to it or its part running
)

// worker is one pool goroutine and its hand-over slot.
type worker struct {
	state atomic.Int32
	job   atomic.Pointer[partSlot] // handed over, not yet looked at
	wake  chan struct{}            // a claimer of a parked worker sends here after handing over
	_     [64]byte                 // keep workers' hot fields on separate cache lines
}

// partSlot is one part of an engine's split call, posted for whoever takes
// it first. The call itself is in the engine (Engine.call): a taker reads
// only what its own part needs.
type partSlot struct {
	state atomic.Int32 // slotPosted or slotTaken
	e     *Engine
	part  int
	_     [64]byte
}

// Part slot states.
const (
	slotTaken  = iota // running or done (or never posted)
	slotPosted        // waiting for a taker
)

// splitCall is the call an engine has split across the pool: a GEMM
// (parts by gemmArgs.part) or a Pack (parts by runs of panels).
type splitCall struct {
	kind   callKind
	parts  int
	g      gemmArgs // kind == callGemm
	alongN bool
	pk     packArgs // kind == callPack
	batch  []Call   // kind == callBatch, split as Engine.batch says
	task   Task     // kind == callTask
}

type callKind uint8

const (
	callGemm callKind = iota
	callPack
	callBatch
	callTask
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

func (w *worker) loop() {
	w.state.Store(wIdle)
	spin := spinWait
	for {
		if !spinUntil(w.handed, spin) {
			// Park, unless a claimer got here first; it then hands over a
			// slot, so keep waiting for it.
			if w.state.CompareAndSwap(wIdle, wParked) {
				<-w.wake
			}
			for !w.handed() {
				runtime.Gosched()
			}
		}
		s := w.job.Swap(nil)
		spin = spinWait
		if s.state.CompareAndSwap(slotPosted, slotTaken) {
			e := s.e
			if e.call.kind == callTask {
				// A task's parts take milliseconds, and the others may end
				// that much later than this one: wait for the caller's next
				// call longer, as a parked worker costs a wake-up or, if
				// the caller runs the next part itself, a whole part.
				t0 := time.Now()
				e.runPart(s.part)
				spin = max(spinWait, time.Since(t0)/4)
			} else {
				e.runPart(s.part)
			}
			w.state.Store(wIdle) // free before the caller learns it is done
			e.partDone()
			continue
		}
		// The caller ran the part itself meanwhile.
		w.state.Store(wIdle)
	}
}

func (w *worker) handed() bool { return w.job.Load() != nil }

// spinUntil calls cond until it is true, for at most d, and reports
// whether cond became true. With one processor (GOMAXPROCS 1) it does not
// spin: the goroutine it waits for could not run meanwhile.
func spinUntil(cond func() bool, d time.Duration) bool {
	if runtime.GOMAXPROCS(0) < 2 {
		return cond()
	}
	var start time.Time
	for i := 1; ; i++ {
		if cond() {
			return true
		}
		if i%64 == 0 {
			if start.IsZero() {
				start = time.Now()
			} else if time.Since(start) > d {
				return false
			}
		}
	}
}

// fork posts parts 1 … parts−1 of e.call, split in e.call.parts parts, and
// hands them to idle workers. The caller then runs part 0 (runPart) and
// calls join.
func (e *Engine) fork() {
	parts := e.call.parts
	e.pending.Store(int32(parts - 1))
	e.forked = time.Now()
	woke := false
	for p := parts - 1; p >= 1; p-- {
		s := &e.slots[p]
		s.e, s.part = e, p
		s.state.Store(slotPosted)
		w, parked := claim()
		if w == nil && e.call.kind == callTask {
			// A task's part is long: a worker still finishing a short
			// part (or one the caller ran itself) is worth a short wait.
			spinUntil(func() bool { w, parked = claim(); return w != nil }, spinWait)
		}
		if w == nil {
			continue // join runs it
		}
		w.job.Store(s)
		if parked {
			w.wake <- struct{}{}
			woke = true
		}
	}
	if woke {
		// A woken goroutine waits in this processor's run queue until this
		// goroutine blocks, and join would run its part instead: yield, so
		// that it starts now and this goroutine continues on an idle
		// processor. It happens only after the pool parked (an idle spell).
		runtime.Gosched()
	}
}

// join runs every part of the split call no worker has started, then waits
// until the parts under way are done.
func (e *Engine) join() {
	for p := 1; p < e.call.parts; p++ {
		s := &e.slots[p]
		if s.state.Load() == slotPosted && s.state.CompareAndSwap(slotPosted, slotTaken) {
			e.runPart(p)
			e.pending.Add(-1)
		}
	}
	if spinUntil(e.forkDone, max(spinWait, time.Since(e.forked))) {
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

// runPart runs part p of e.call with the part's packing buffer.
func (e *Engine) runPart(p int) {
	c := &e.call
	switch c.kind {
	case callGemm:
		gp := c.g.part(p, c.parts, c.alongN, e.blk)
		e.sums[p].v = e.gemmBlocked(&gp, e.bufs[p])
	case callBatch:
		e.runBatchPart(p)
	case callPack:
		e.packPanels(c.pk.part(p, c.parts))
	case callTask:
		c.task.RunPart(p, e.subs[p])
	}
}
