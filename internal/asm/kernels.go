package asm

import (
	"fmt"
	"os"
	"strings"
)

// Kernels is one complete set of compute kernels. Every set computes the same
// functions; sets differ in speed and, where FMA is used, in rounding.
type Kernels struct {
	// Name identifies the set: "generic" or "avx2".
	Name string

	// MR and NR are the GEMM micro-tile: GemmTile computes MR rows by NR
	// columns of C. PackA and PackB write panels in that geometry.
	MR, NR int

	// OneChainRows is the fewest rows of a tile whose elements GemmTile
	// sums in one chain of multiply-adds over p, as it does full tiles. A
	// tile of fewer rows may sum the even and the odd steps apart and add
	// the two at the end (more chains in flight), which can round
	// differently. So tiles of the same kind, one chain or two, give the same
	// bits for the same values, whatever their rows: a GEMM may be split
	// between threads by rows, bit for bit, as long as every row stays in a
	// tile of its kind.
	OneChainRows int

	// GemmTile computes one micro-tile of C from a packed A panel (kc×MR
	// values, MR per step of p) and a packed B panel (kc×NR values):
	//
	//	acc[i][j] = Σ_{p<kc} a[p*MR+i] · b[p*NR+j]
	//	c[i*ldc+j] = alpha·acc[i][j] + beta·c[i*ldc+j]    for i < mr, j < nr
	//
	// with 1 ≤ mr ≤ MR and 1 ≤ nr ≤ NR. When beta is 0, c is not read, so
	// NaNs already in c do not propagate (the BLAS convention). Elements of c
	// outside the mr×nr corner are not touched.
	GemmTile func(kc int, a, b, c []float32, ldc, mr, nr int, alpha, beta float32)

	// PackA packs the m×k matrix op(A) into ⌈m/MR⌉ consecutive panels of
	// k·MR values each: panel q holds, for p = 0..k-1, the MR values
	// op(A)[q·MR+i][p], i = 0..MR-1, with rows past m set to 0.
	// op(A)[i][p] is a[i*lda+p], or a[p*lda+i] when trans is true.
	PackA func(dst, a []float32, lda int, trans bool, m, k int)

	// PackB packs the k×n matrix op(B) into ⌈n/NR⌉ consecutive panels of
	// k·NR values each: panel q holds, for p = 0..k-1, the NR values
	// op(B)[p][q·NR+j], j = 0..NR-1, with columns past n set to 0.
	// op(B)[p][j] is b[p*ldb+j], or b[j*ldb+p] when trans is true.
	PackB func(dst, b []float32, ldb int, trans bool, k, n int)

	// Relu writes dst[i] = max(src[i], 0) for i < len(dst).
	Relu func(dst, src []float32)

	// SubSq writes the prediction error e[i] = r[i] − p[i] for i < len(e)
	// and returns Σ e[i]², the energy term, from the same pass.
	SubSq func(e, r, p []float32) float32

	// ReluDerivUpdate is the fused hidden-layer step of predictive coding,
	// one pass over its operands, for i < len(r):
	//
	//	r[i] += ir · (−e[i] + g[i] · [r[i] ≥ 0])
	//	f[i]  = max(r[i], 0)                        (with the new r[i])
	//
	// [r ≥ 0] is the ReLU derivative as the seed defines it (1 at 0), taken
	// at the old r[i]; f is the layer's new ReLU output.
	ReluDerivUpdate func(r, e, g, f []float32, ir float32)

	// Axpy computes y[i] += alpha · x[i] for i < len(y).
	Axpy func(alpha float32, x, y []float32)

	// Scale computes x[i] *= alpha for i < len(x); alpha == 0 writes zeros
	// (so NaNs are cleared, as BLAS does for beta == 0).
	Scale func(alpha float32, x []float32)
}

// EnvVar is the environment variable that forces a kernel set.
const EnvVar = "PCGO_KERNELS"

// Choice records which kernel set runs and why.
type Choice struct {
	Kernels *Kernels
	Reason  string
	Err     error
}

var chosen = choose(os.Getenv(EnvVar))

// Default returns the kernel set chosen at start-up, a sentence saying why,
// and an error if PCGO_KERNELS asked for a set that does not exist or that
// this CPU or build cannot run. On error the returned set is still usable
// (the automatic choice), but callers should report the error rather than
// run with a set the user did not ask for.
func Default() (*Kernels, string, error) {
	return chosen.Kernels, chosen.Reason, chosen.Err
}

// Available lists the kernel sets this build can run on this CPU, fastest
// first. The generic set is always last.
func Available() []*Kernels {
	if k := accelerated(); k != nil {
		return []*Kernels{k, Generic}
	}
	return []*Kernels{Generic}
}

// Lookup returns the kernel set with the given name, or an error saying why
// it cannot run here.
func Lookup(name string) (*Kernels, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, k := range Available() {
		if k.Name == name {
			return k, nil
		}
	}
	switch name {
	case "avx2":
		return nil, fmt.Errorf("kernel set %q is not available: %s", name, acceleratedMissing())
	default:
		return nil, fmt.Errorf("unknown kernel set %q (want generic or avx2)", name)
	}
}

func choose(env string) Choice {
	auto := Available()[0]
	autoReason := "the fastest set this CPU supports"
	if auto == Generic {
		autoReason = acceleratedMissing()
	}
	if strings.TrimSpace(env) == "" {
		return Choice{Kernels: auto, Reason: autoReason}
	}
	k, err := Lookup(env)
	if err != nil {
		return Choice{Kernels: auto, Reason: autoReason, Err: fmt.Errorf("%s=%s: %w", EnvVar, env, err)}
	}
	return Choice{Kernels: k, Reason: fmt.Sprintf("forced by %s=%s", EnvVar, env)}
}
