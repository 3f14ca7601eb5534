package linalg

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/pcgo/pcgo/internal/asm"
)

// Options configure an Engine. The zero value is the default: all CPUs and
// the kernel set chosen at start-up.
type Options struct {
	// Threads is the most goroutines one call splits its work across;
	// 0 means runtime.GOMAXPROCS(0).
	Threads int
	// Kernels names the kernel set ("generic" or "avx2"); "" means the
	// set chosen at start-up (see KernelChoice).
	Kernels string
}

// Engine runs linear algebra with one kernel set on up to Threads goroutines.
// It owns every buffer its calls need, so once NewEngine returns no call
// allocates. An Engine is for one goroutine at a time; goroutines that work in
// parallel each create their own (all engines share one worker pool).
//
// The result of every call depends only on its inputs, the kernel set and the
// thread count, never on timing: work is split by output blocks, and each
// output element is always summed in the same order by one goroutine.
type Engine struct {
	k       *asm.Kernels
	threads int
	blk     blocking
	bufs    [][]float32 // one packing buffer per part of a split call
	sums    []partSum   // each part's epilogue sum
	subs    []*Engine   // each part's one-thread engine for Do (threads > 1)

	// A split call in flight (pool.go): its posted parts, the parts not
	// yet done (with sleepingBit set once the caller parked waiting for
	// them on done).
	call    splitCall
	batch   [maxBatch]batchPart // how each call of a batch (Run) is split
	slots   []partSlot
	pending atomic.Int32
	done    chan struct{}
	forked  time.Time // when fork posted the parts: join spins at least as long as the caller's own part took
}

// NewEngine returns an Engine configured by opt. It fails if opt.Kernels
// names a set that does not exist or cannot run here, or if opt.Kernels is
// empty and the PCGO_KERNELS environment variable is invalid.
func NewEngine(opt Options) (*Engine, error) {
	k, _, err := asm.Default()
	if opt.Kernels != "" {
		k, err = asm.Lookup(opt.Kernels)
	}
	if err != nil {
		return nil, fmt.Errorf("linalg: %w", err)
	}
	if opt.Threads < 0 {
		return nil, fmt.Errorf("linalg: Threads must be ≥ 0, got %d", opt.Threads)
	}
	threads := opt.Threads
	if threads == 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	e := &Engine{k: k, threads: threads}
	e.blk = blockingFor(k)
	e.sums = make([]partSum, threads)
	e.bufs = make([][]float32, threads)
	for i := range e.bufs {
		e.bufs[i] = make([]float32, e.blk.bufLen())
	}
	if threads > 1 {
		e.slots = make([]partSlot, threads)
		e.done = make(chan struct{}, 1)
		e.subs = make([]*Engine, threads)
		for p := range e.subs {
			// Part p's engine for Do: its packing buffer is part p's.
			e.subs[p] = &Engine{k: k, threads: 1, blk: e.blk, bufs: e.bufs[p : p+1], sums: make([]partSum, 1)}
		}
		ensureWorkers(threads - 1)
	}
	return e, nil
}

// partSum is one part's results, alone on its cache lines: the epilogue's
// sum of a split call, or of each call of a batch.
type partSum struct {
	v     float64
	batch [maxBatch]float64
	_     [56]byte
}

// MustEngine is NewEngine that panics on error, for tests and examples.
func MustEngine(opt Options) *Engine {
	e, err := NewEngine(opt)
	if err != nil {
		panic(err)
	}
	return e
}

// Threads returns the most goroutines one call of e uses.
func (e *Engine) Threads() int { return e.threads }

// KernelSet returns the name of the kernel set e runs.
func (e *Engine) KernelSet() string { return e.k.Name }

// KernelChoice reports the kernel set chosen at start-up, why, and the
// error, if any, in the PCGO_KERNELS environment variable.
func KernelChoice() (name, reason string, err error) {
	k, reason, err := asm.Default()
	return k.Name, reason, err
}

// KernelSets lists the kernel sets that can run in this process, fastest
// first.
func KernelSets() []string {
	var names []string
	for _, k := range asm.Available() {
		names = append(names, k.Name)
	}
	return names
}

// CPU describes the processor: its brand and the features kernel choice
// depends on.
type CPU = asm.CPUFeatures

// DetectCPU returns the features of the processor this process runs on.
func DetectCPU() CPU { return asm.CPU() }
