package linalg

import (
	"errors"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pcgo/pcgo/internal/asm"
)

// ErrNoPeak says that this build has no assembly loop to measure the FMA
// peak with on this CPU (the purego tag, a non-amd64 target, or a CPU
// without AVX2 and FMA3).
var ErrNoPeak = errors.New("no assembly peak measurement on this build and CPU")

// Peak is a measured floating-point peak.
type Peak struct {
	Loop    string  // the instructions that ran, e.g. "AVX2 FMA, ymm"
	Threads int     // goroutines that ran the loop at once
	GFLOPS  float64 // their combined rate, 10⁹ floating-point operations a second
}

// MeasurePeak measures the FMA peak of this CPU: the assembly loop of
// asm.Peak (independent FMAs, no memory access) on threads goroutines at
// once, for about d in all. It returns the best of a few rounds, as noise
// (other processes, frequency ramps) only ever lowers a peak.
func MeasurePeak(threads int, d time.Duration) (Peak, error) {
	loop := asm.Peak()
	if loop == nil {
		return Peak{}, ErrNoPeak
	}
	return measurePeak(loop, threads, d), nil
}

// MeasureScalarPeak measures, like MeasurePeak, the peak of scalar Go code:
// asm.ScalarPeak, independent float32 multiplies and adds in a Go loop. It
// runs on every build and CPU, and it bounds what the generic kernel set
// (the pure-Go fallback, as with -tags purego or on arm64) can reach: a Go
// kernel can come near this loop's rate, not far past it.
func MeasureScalarPeak(threads int, d time.Duration) Peak {
	return measurePeak(asm.ScalarPeak, threads, d)
}

// measurePeak runs loop on threads goroutines at once, for about d in all,
// and returns the best of a few rounds.
func measurePeak(loop *asm.PeakLoop, threads int, d time.Duration) Peak {
	threads = max(threads, 1)
	// About 50 µs a call of the FMA loop on any AVX2 core (scalar: 10 µs):
	// short enough not to hold up the scheduler, long enough that the call
	// itself costs nothing.
	const iters = 1 << 13
	const rounds = 4
	best := 0.0
	for range rounds {
		var wg sync.WaitGroup
		start := make(chan struct{})
		deadline := time.Duration(float64(d) / rounds)
		calls := make([]int, threads)
		for t := range threads {
			wg.Go(func() {
				<-start
				t0 := time.Now()
				for time.Since(t0) < deadline {
					loop.Run(iters)
					calls[t]++
				}
			})
		}
		t0 := time.Now()
		close(start)
		wg.Wait()
		el := time.Since(t0).Seconds()
		total := 0
		for _, c := range calls {
			total += c
		}
		best = max(best, float64(total)*iters*float64(loop.FlopsPerIter)/el/1e9)
	}
	return Peak{Loop: loop.Name, Threads: threads, GFLOPS: best}
}

// TimeCall returns how long one call of fn takes: fn runs repeatedly for
// about d in all, in five rounds after a warm-up call, and the median
// round's time per call is returned (the median shrugs off a round slowed
// by other processes). fn should take well under d/5.
func TimeCall(d time.Duration, fn func()) time.Duration {
	fn()
	n := 1
	for {
		t0 := time.Now()
		for range n {
			fn()
		}
		if el := time.Since(t0); el > d/20 || n >= 1<<30 {
			// Rounds of about d/5.
			n = max(1, int(float64(n)*float64(d/5)/float64(el+1)))
			break
		}
		n *= 2
	}
	const rounds = 5
	per := make([]time.Duration, rounds)
	for r := range per {
		t0 := time.Now()
		for range n {
			fn()
		}
		per[r] = time.Since(t0) / time.Duration(n)
	}
	slices.Sort(per)
	runtime.KeepAlive(fn)
	return per[rounds/2]
}

// MeasureRoundTrip measures the round trip of one cache line between two
// goroutines that spin on it, each on its own processor: one writes, waits
// until the other has answered, and writes again. It is the least any
// hand-over between two threads costs, and it tells how far apart the two
// CPUs that run them are: cores that share a cache answer in well under
// 100 ns; on a virtual machine whose two CPUs the host has placed on
// different chiplets (or sockets), a round trip can take several times as
// long, and a split call's hand-overs and the data its threads pass to each
// other slow down with it. The result is the median of five rounds, for
// about d in all (longer on a machine so busy that the two goroutines take
// turns on one CPU: each round makes at least 256 round trips). It needs
// GOMAXPROCS ≥ 2: with one processor the two goroutines could not run at
// once, and it returns an error.
func MeasureRoundTrip(d time.Duration) (time.Duration, error) {
	if runtime.GOMAXPROCS(0) < 2 {
		return 0, errors.New("linalg: a round trip between two threads needs GOMAXPROCS ≥ 2")
	}
	const rounds = 5
	per := make([]time.Duration, rounds)
	for r := range per {
		per[r] = roundTrips(d / rounds)
	}
	slices.Sort(per)
	return per[rounds/2], nil
}

// roundTrips runs round trips for about d and returns the mean time of one.
func roundTrips(d time.Duration) time.Duration {
	var line struct {
		_ [64]byte
		v atomic.Int64 // odd: the caller's turn is done; even: the answer
		_ [64]byte
	}
	var done atomic.Bool
	answered := make(chan struct{})
	go func() {
		defer close(answered)
		// done is set only after the caller's last answer, so the odd
		// value this loop then waits for never comes.
		for i := int64(1); ; i += 2 {
			for line.v.Load() != i {
				if done.Load() {
					return
				}
			}
			line.v.Store(i + 1)
		}
	}()
	t0 := time.Now()
	var n int64
	for {
		for range 256 {
			n++
			line.v.Store(2*n - 1)
			for line.v.Load() != 2*n {
			}
		}
		if time.Since(t0) >= d {
			break
		}
	}
	el := time.Since(t0)
	done.Store(true)
	<-answered
	return el / time.Duration(n)
}
