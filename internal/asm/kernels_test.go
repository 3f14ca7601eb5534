package asm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// RequireASMEnv names the environment variable that makes the tests fail,
// instead of skipping, when an assembly kernel set is not selected, so a CI
// job meant to test the AVX2 kernels cannot silently test only the fallback.
const RequireASMEnv = "PCGO_TEST_REQUIRE_ASM"

func TestRequireASM(t *testing.T) {
	want := strings.TrimSpace(os.Getenv(RequireASMEnv))
	if want == "" {
		t.Skipf("%s is not set", RequireASMEnv)
	}
	for _, name := range strings.Split(want, ",") {
		name = strings.TrimSpace(name)
		k, err := Lookup(name)
		require.NoError(t, err, "%s=%s", RequireASMEnv, want)
		def, reason, err := Default()
		require.NoError(t, err)
		require.Same(t, k, def, "%s=%s but the default set is %q (%s)", RequireASMEnv, want, def.Name, reason)
	}
}

// fastSet returns the AVX2 set, or skips the test where this build or CPU
// has none (purego, arm64, CPUs without AVX2/FMA3). TestRequireASM turns
// that skip into a failure in CI jobs that must test the assembly.
func fastSet(t testing.TB) *Kernels {
	t.Helper()
	k, err := Lookup("avx2")
	if err != nil {
		if os.Getenv(RequireASMEnv) != "" {
			t.Fatalf("%s is set but: %v", RequireASMEnv, err)
		}
		t.Skip(err)
	}
	return k
}

// guardLen is the number of NaN-filled elements on each side of every
// guarded slice.
const guardLen = 19

// guarded is a slice with NaN guard zones on both sides: Data is the
// usable part; its capacity reaches into the trailing guard, so a kernel
// that wrongly writes past len(Data) (or reads there) is caught.
type guarded struct {
	all  []float32
	Data []float32
}

func newGuarded(n int) guarded {
	all := make([]float32, guardLen+n+guardLen)
	for i := range all {
		all[i] = float32(math.NaN())
	}
	return guarded{all: all, Data: all[guardLen : guardLen+n]}
}

// checkGuards fails if anything outside Data is no longer NaN.
func (g guarded) checkGuards(t testing.TB, what string) {
	t.Helper()
	n := len(g.Data)
	for i := 0; i < guardLen; i++ {
		if !isNaN(g.all[i]) {
			t.Fatalf("%s: guard before the data overwritten at -%d", what, guardLen-i)
		}
		if !isNaN(g.all[guardLen+n+i]) {
			t.Fatalf("%s: guard after the data overwritten at +%d", what, i)
		}
	}
}

func isNaN(x float32) bool { return x != x }

// sameFloat is bit-exact equality, except that any NaN equals any NaN.
func sameFloat(a, b float32) bool {
	if isNaN(a) || isNaN(b) {
		return isNaN(a) && isNaN(b)
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

func fillRand(rng *rand.Rand, xs []float32) {
	for i := range xs {
		xs[i] = rng.Float32()*2 - 1
	}
}

// sprinkle puts special values (±0, NaN, ±Inf, tiny) at random places.
func sprinkle(rng *rand.Rand, xs []float32) {
	specials := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 1e-40, -1e-40}
	for i := range xs {
		if rng.IntN(8) == 0 {
			xs[i] = specials[rng.IntN(len(specials))]
		}
	}
}

// lengths covers 0…80 (every tail of a vector and of the 4-vector unroll,
// twice over) and a spread of larger sizes up to ~300.
func lengths() []int {
	var ns []int
	for n := 0; n <= 80; n++ {
		ns = append(ns, n)
	}
	return append(ns, 95, 96, 97, 127, 128, 129, 200, 255, 256, 257, 299, 300, 301)
}

func TestElementwiseMatchesGeneric(t *testing.T) {
	fast := fastSet(t)
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range lengths() {
		for _, special := range []bool{false, true} {
			name := fmt.Sprintf("n=%d/special=%v", n, special)
			inputs := func() [4][]float32 {
				var in [4][]float32
				for i := range in {
					in[i] = make([]float32, n)
					fillRand(rng, in[i])
					if special {
						sprinkle(rng, in[i])
					}
				}
				return in
			}

			// Relu, out of place and in place.
			in := inputs()
			want := make([]float32, n)
			Generic.Relu(want, in[0])
			got := newGuarded(n)
			src := newGuarded(n)
			copy(src.Data, in[0])
			fast.Relu(got.Data, src.Data)
			requireSame(t, want, got.Data, "Relu "+name)
			got.checkGuards(t, "Relu "+name)
			fast.Relu(src.Data, src.Data)
			requireSame(t, want, src.Data, "Relu in place "+name)

			// SubSq: e exactly, the sum within rounding of its order.
			in = inputs()
			wantE := make([]float32, n)
			wantS := Generic.SubSq(wantE, in[0], in[1])
			gotE := newGuarded(n)
			r, p := newGuarded(n), newGuarded(n)
			copy(r.Data, in[0])
			copy(p.Data, in[1])
			gotS := fast.SubSq(gotE.Data, r.Data, p.Data)
			requireSame(t, wantE, gotE.Data, "SubSq e "+name)
			gotE.checkGuards(t, "SubSq "+name)
			var exact, abs float64
			for _, d := range wantE {
				exact += float64(d) * float64(d)
				abs += float64(d) * float64(d)
			}
			switch {
			case math.IsNaN(exact):
				require.True(t, isNaN(gotS), "SubSq sum %s: got %v, want NaN", name, gotS)
			case math.IsInf(exact, 0):
				require.Equal(t, float32(exact), gotS, "SubSq sum %s", name)
			default:
				require.InDelta(t, exact, float64(gotS), 2*(float64(n)/32+8)*abs/(1<<23)+1e-30, "SubSq sum %s (generic %v)", name, wantS)
			}

			// ReluDerivUpdate: exact (no FMA in either set).
			in = inputs()
			ir := []float32{0.05, 1, -0.5, 0}[rng.IntN(4)]
			wantR := append([]float32(nil), in[0]...)
			wantF := make([]float32, n)
			Generic.ReluDerivUpdate(wantR, in[1], in[2], wantF, ir)
			gr, ge, gg, gf := newGuarded(n), newGuarded(n), newGuarded(n), newGuarded(n)
			copy(gr.Data, in[0])
			copy(ge.Data, in[1])
			copy(gg.Data, in[2])
			fast.ReluDerivUpdate(gr.Data, ge.Data, gg.Data, gf.Data, ir)
			requireSame(t, wantR, gr.Data, "ReluDerivUpdate r "+name)
			requireSame(t, wantF, gf.Data, "ReluDerivUpdate f "+name)
			gr.checkGuards(t, "ReluDerivUpdate r "+name)
			gf.checkGuards(t, "ReluDerivUpdate f "+name)

			// Axpy: exact (no FMA in either set).
			in = inputs()
			alpha := []float32{0.005, -1, 3.5, 0}[rng.IntN(4)]
			wantY := append([]float32(nil), in[1]...)
			Generic.Axpy(alpha, in[0], wantY)
			x, y := newGuarded(n), newGuarded(n)
			copy(x.Data, in[0])
			copy(y.Data, in[1])
			fast.Axpy(alpha, x.Data, y.Data)
			requireSame(t, wantY, y.Data, "Axpy "+name)
			y.checkGuards(t, "Axpy "+name)

			// Scale, including alpha 0 over NaNs.
			for _, alpha := range []float32{0, -0.25, 1, 7} {
				in = inputs()
				wantX := append([]float32(nil), in[0]...)
				Generic.Scale(alpha, wantX)
				x := newGuarded(n)
				copy(x.Data, in[0])
				fast.Scale(alpha, x.Data)
				requireSame(t, wantX, x.Data, fmt.Sprintf("Scale(%v) %s", alpha, name))
				x.checkGuards(t, "Scale "+name)
			}
		}
	}
}

// TestReluDerivUpdateSpecialCases pins the derivative's edge cases: [r ≥ 0]
// holds at −0 and +0 and not at NaN, and f = max(r, 0) maps −0 to +0.
func TestReluDerivUpdateSpecialCases(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	nan := float32(math.NaN())
	for _, k := range Available() {
		r := []float32{negZero, 0, nan, -1, 2, -1e-40, negZero, -3}
		e := []float32{0, 0, 1, 1, 1, 0, 0, 0}
		g := []float32{1, 1, 1, 5, -4, 8, negZero, nan}
		f := make([]float32, len(r))
		k.ReluDerivUpdate(r, e, g, f, 0.5)
		want := []float32{0.5, 0.5, nan, -1.5, 2 + 0.5*(-4-1), -1e-40, negZero, -3}
		requireSame(t, want, r, k.Name+" r")
		for i, v := range want {
			assert.True(t, sameFloat(f[i], max(v, 0)), "%s f[%d] = %v, want %v", k.Name, i, f[i], max(v, 0))
		}
		assert.Equal(t, uint32(0), math.Float32bits(f[6]), "%s: f of −0 must be +0", k.Name)
	}
}

func requireSame(t testing.TB, want, got []float32, what string) {
	t.Helper()
	require.Equal(t, len(want), len(got), what)
	for i := range want {
		if !sameFloat(want[i], got[i]) {
			t.Fatalf("%s: element %d is %v (%#08x), want %v (%#08x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

func TestPackingMatchesGeneric(t *testing.T) {
	fast := fastSet(t)
	rng := rand.New(rand.NewPCG(9, 10))
	dims := []int{1, 2, 3, 5, 6, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 47, 48, 49, 50, 64, 100, 257}
	for trial := 0; trial < 400; trial++ {
		rows, cols := dims[rng.IntN(len(dims))], dims[rng.IntN(len(dims))]
		if trial < 40 {
			rows, cols = 1+trial%20, 1+trial/2
		}
		ld := cols + rng.IntN(3)*rng.IntN(9)
		src := newGuarded((rows-1)*ld + cols)
		for i := 0; i < rows; i++ {
			fillRand(rng, src.Data[i*ld:i*ld+cols])
		}
		for _, trans := range []bool{false, true} {
			// PackA: op(A) is m×k; stored rows×cols.
			m, k := rows, cols
			if trans {
				m, k = cols, rows
			}
			size := (m + fast.MR - 1) / fast.MR * fast.MR * k
			want := make([]float32, size)
			packA(want, src.Data, ld, trans, m, k, fast.MR)
			got := newGuarded(size)
			fast.PackA(got.Data, src.Data, ld, trans, m, k)
			requireSame(t, want, got.Data, fmt.Sprintf("PackA %d×%d ld=%d trans=%v", m, k, ld, trans))
			got.checkGuards(t, "PackA")

			// PackB: op(B) is k×n.
			k, n := rows, cols
			if trans {
				k, n = cols, rows
			}
			size = (n + fast.NR - 1) / fast.NR * fast.NR * k
			want = make([]float32, size)
			packB(want, src.Data, ld, trans, k, n, fast.NR)
			got = newGuarded(size)
			fast.PackB(got.Data, src.Data, ld, trans, k, n)
			requireSame(t, want, got.Data, fmt.Sprintf("PackB %d×%d ld=%d trans=%v", k, n, ld, trans))
			got.checkGuards(t, "PackB")
		}
	}
}

// TestGemmTileAgainstFloat64 checks the micro-kernel alone: random packed
// panels, every mr and nr of the tile, ldc > nr with NaN between the rows,
// alpha/beta variants, beta = 0 over NaN.
func TestGemmTileAgainstFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, k := range Available() {
		kcs := []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 31, 64, 255, 256, 257, 300}
		for trial := 0; trial < 600; trial++ {
			kc := kcs[rng.IntN(len(kcs))]
			mr := 1 + rng.IntN(k.MR)
			nr := 1 + rng.IntN(k.NR)
			if trial < k.MR*k.NR {
				mr, nr = 1+trial%k.MR, 1+trial/k.MR
			}
			ldc := nr + rng.IntN(3)*rng.IntN(20)
			if mr == 1 && rng.IntN(2) == 0 {
				ldc = 1 // meaningless for one row; must be accepted
			}
			alpha := []float32{1, -1, 0.5, 0.005}[rng.IntN(4)]
			beta := []float32{0, 1, -0.25, float32(math.Copysign(0, -1))}[rng.IntN(4)]
			a := newGuarded(kc * k.MR)
			b := newGuarded(kc * k.NR)
			fillRand(rng, a.Data)
			fillRand(rng, b.Data)
			c := newGuarded((mr-1)*ldc + nr)
			c0 := make([]float32, len(c.Data))
			for i := 0; i < mr; i++ {
				for j := 0; j < nr; j++ {
					v := rng.Float32()*2 - 1
					if beta == 0 {
						v = float32(math.NaN())
					}
					c.Data[i*ldc+j], c0[i*ldc+j] = v, v
				}
			}
			k.GemmTile(kc, a.Data, b.Data, c.Data, ldc, mr, nr, alpha, beta)
			name := fmt.Sprintf("%s kc=%d mr=%d nr=%d ldc=%d alpha=%v beta=%v", k.Name, kc, mr, nr, ldc, alpha, beta)
			for i := 0; i < mr; i++ {
				for j := 0; j < nr; j++ {
					var s, abs float64
					for p := 0; p < kc; p++ {
						x := float64(a.Data[p*k.MR+i]) * float64(b.Data[p*k.NR+j])
						s += x
						abs += math.Abs(x)
					}
					want := float64(alpha) * s
					abs *= math.Abs(float64(alpha))
					if beta != 0 {
						want += float64(beta) * float64(c0[i*ldc+j])
						abs += math.Abs(float64(beta) * float64(c0[i*ldc+j]))
					}
					got := float64(c.Data[i*ldc+j])
					require.InDelta(t, want, got, gemmTol(kc, abs), "%s at (%d,%d)", name, i, j)
				}
				for j := nr; j < ldc && i < mr-1; j++ {
					require.True(t, isNaN(c.Data[i*ldc+j]), "%s wrote between rows at (%d,%d)", name, i, j)
				}
			}
			c.checkGuards(t, name)
		}
	}
}

// TestGemmTileKinds checks Kernels.OneChainRows: a row of C comes out of
// GemmTile with the same bits in every tile of its kind, one chain (at least
// OneChainRows rows) or two (fewer), whatever the tile's other rows, its
// width, alpha and beta.
func TestGemmTileKinds(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, k := range Available() {
		require.GreaterOrEqual(t, k.OneChainRows, 1, k.Name)
		require.LessOrEqual(t, k.OneChainRows, k.MR, k.Name)
		for _, kc := range []int{0, 1, 3, 4, 5, 9, 50, 64, 255, 264} {
			a := make([]float32, kc*k.MR)
			b := make([]float32, kc*k.NR)
			fillRand(rng, a)
			fillRand(rng, b)
			nr := 1 + rng.IntN(k.NR)
			alpha := []float32{1, 0.5}[rng.IntN(2)]
			beta := []float32{0, 1, -0.25}[rng.IntN(3)]
			c0 := make([]float32, k.MR*k.NR)
			fillRand(rng, c0)
			// tile returns row i of C from a tile of mr rows starting at row
			// top of the panel (its A panel shifted by top rows).
			tile := func(top, mr, i int) []float32 {
				c := append([]float32(nil), c0...)
				shifted := make([]float32, kc*k.MR)
				for p := 0; p < kc; p++ {
					for r := 0; r+top < k.MR; r++ {
						shifted[p*k.MR+r] = a[p*k.MR+r+top]
					}
				}
				k.GemmTile(kc, shifted, b, c[top*k.NR:], k.NR, mr, nr, alpha, beta)
				return c[(top+i)*k.NR : (top+i)*k.NR+nr]
			}
			// Every row i, in every tile of each kind that holds it.
			for i := 0; i < k.MR; i++ {
				var want [2][]float32
				for top := 0; top <= i; top++ {
					for mr := i - top + 1; top+mr <= k.MR; mr++ {
						kind := 0
						if mr < k.OneChainRows {
							kind = 1
						}
						got := tile(top, mr, i-top)
						name := fmt.Sprintf("%s kc=%d nr=%d: row %d in a %d-row tile from row %d", k.Name, kc, nr, i, mr, top)
						if want[kind] == nil {
							want[kind] = got
							continue
						}
						requireSame(t, want[kind], got, name)
					}
				}
			}
		}
	}
}

// gemmTol bounds the rounding error of a float32 dot product of length k
// whose terms have absolute sum abs: FMA and the summation order change
// which roundings happen, not how many.
func gemmTol(k int, abs float64) float64 {
	const eps = 1.0 / (1 << 23)
	return 2*eps*float64(k+2)*abs + 1e-30
}

// gemmDriver is a small GEMM driver for the tests, independent of package
// linalg: C = alpha·op(A)·op(B) + beta·C, blocked along k by kcBlock (so
// later blocks run with beta = 1, as the real driver does), with the whole
// of op(A) and op(B) for each k block packed by the set's own routines.
func gemmDriver(ks *Kernels, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc, kcBlock int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		for i := 0; i < m; i++ {
			ks.Scale(beta, c[i*ldc:i*ldc+n])
		}
		return
	}
	mp := (m + ks.MR - 1) / ks.MR
	np := (n + ks.NR - 1) / ks.NR
	for pc := 0; pc < k; pc += kcBlock {
		kc := min(kcBlock, k-pc)
		bt := beta
		if pc > 0 {
			bt = 1
		}
		ap := make([]float32, mp*ks.MR*kc)
		bp := make([]float32, np*ks.NR*kc)
		aoff, boff := pc, pc*ldb
		if tA {
			aoff = pc * lda
		}
		if tB {
			boff = pc
		}
		ks.PackA(ap, a[aoff:], lda, tA, m, kc)
		ks.PackB(bp, b[boff:], ldb, tB, kc, n)
		for jp := 0; jp < np; jp++ {
			for ip := 0; ip < mp; ip++ {
				i0, j0 := ip*ks.MR, jp*ks.NR
				ks.GemmTile(kc, ap[ip*ks.MR*kc:], bp[jp*ks.NR*kc:], c[i0*ldc+j0:], ldc, min(ks.MR, m-i0), min(ks.NR, n-j0), alpha, bt)
			}
		}
	}
}

// gemmCase is one GEMM with guarded, strided operands.
type gemmCase struct {
	tA, tB      bool
	m, n, k     int
	lda, ldb    int
	ldc         int
	alpha, beta float32
	kcBlock     int
	a, b        guarded
	c0          []float32
}

func newGemmCase(rng *rand.Rand, tA, tB bool, m, n, k, padA, padB, padC int, alpha, beta float32, kcBlock int) *gemmCase {
	g := &gemmCase{tA: tA, tB: tB, m: m, n: n, k: k, alpha: alpha, beta: beta, kcBlock: max(kcBlock, 1)}
	ar, ac := m, k
	if tA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB {
		br, bc = n, k
	}
	g.lda, g.ldb, g.ldc = ac+padA, bc+padB, n+padC
	g.a = newGuarded(max(0, (ar-1)*g.lda+ac))
	g.b = newGuarded(max(0, (br-1)*g.ldb+bc))
	for i := 0; i < ar; i++ {
		fillRand(rng, g.a.Data[i*g.lda:i*g.lda+ac])
	}
	for i := 0; i < br; i++ {
		fillRand(rng, g.b.Data[i*g.ldb:i*g.ldb+bc])
	}
	g.c0 = make([]float32, max(0, (m-1)*g.ldc+n))
	for i := range g.c0 {
		g.c0[i] = float32(math.NaN())
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			if beta != 0 {
				g.c0[i*g.ldc+j] = rng.Float32()*2 - 1
			}
		}
	}
	return g
}

func (g *gemmCase) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d lda=%d ldb=%d ldc=%d alpha=%v beta=%v kc=%d", g.tA, g.tB, g.m, g.n, g.k, g.lda, g.ldb, g.ldc, g.alpha, g.beta, g.kcBlock)
}

// run computes the case with ks and returns C (guard zones checked).
func (g *gemmCase) run(t testing.TB, ks *Kernels) []float32 {
	t.Helper()
	c := newGuarded(len(g.c0))
	copy(c.Data, g.c0)
	gemmDriver(ks, g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.a.Data, g.lda, g.b.Data, g.ldb, g.beta, c.Data, g.ldc, g.kcBlock)
	c.checkGuards(t, ks.Name+" "+g.String())
	for i := 0; i < g.m; i++ {
		for j := g.n; j < g.ldc && i < g.m-1; j++ {
			if !isNaN(c.Data[i*g.ldc+j]) {
				t.Fatalf("%s %s: wrote between rows at (%d,%d)", ks.Name, g, i, j)
			}
		}
	}
	return c.Data
}

// compare checks the fast set against the generic one, within the rounding
// error bound of each element's dot product.
func (g *gemmCase) compare(t testing.TB, fast *Kernels) {
	t.Helper()
	want := g.run(t, Generic)
	got := g.run(t, fast)
	at := func(x []float32, ld int, trans bool, i, j int) float64 {
		if trans {
			return float64(x[j*ld+i])
		}
		return float64(x[i*ld+j])
	}
	for i := 0; i < g.m; i++ {
		for j := 0; j < g.n; j++ {
			var abs float64
			for p := 0; p < g.k; p++ {
				abs += math.Abs(at(g.a.Data, g.lda, g.tA, i, p) * at(g.b.Data, g.ldb, g.tB, p, j))
			}
			abs *= math.Abs(float64(g.alpha))
			if g.beta != 0 {
				abs += math.Abs(float64(g.beta) * float64(g.c0[i*g.ldc+j]))
			}
			w, v := float64(want[i*g.ldc+j]), float64(got[i*g.ldc+j])
			if math.IsNaN(v) || math.Abs(w-v) > 2*gemmTol(g.k, abs) {
				t.Fatalf("%s: C(%d,%d) = %v, generic %v (tolerance %g)", g, i, j, v, w, 2*gemmTol(g.k, abs))
			}
		}
	}
}

func TestGemmMatchesGeneric(t *testing.T) {
	fast := fastSet(t)
	rng := rand.New(rand.NewPCG(13, 14))
	// Every dimension from 0 to ~300, with 1, every tail past the vector
	// (8) and the tile widths (MR, NR) and their multiples.
	var dims []int
	for d := 0; d <= 2*fast.NR+2; d++ {
		dims = append(dims, d)
	}
	dims = append(dims, 47, 48, 49, 50, 51, 63, 64, 65, 97, 127, 128, 129, 255, 256, 257, 300)
	pick := func() int { return dims[rng.IntN(len(dims))] }
	for trial := 0; trial < 1500; trial++ {
		m, n, k := pick(), pick(), pick()
		if trial < 4*(fast.MR+1) {
			// Every row count around the tile, against a full column tile.
			m, n, k = trial/4, fast.NR, 1+trial%4
		}
		tA, tB := rng.IntN(2) == 1, rng.IntN(2) == 1
		alpha := []float32{1, -1, 0.5, 0.005}[rng.IntN(4)]
		beta := []float32{0, 1, -0.25}[rng.IntN(3)]
		pads := func() int { return []int{0, 0, 1, 3, 8, 17}[rng.IntN(6)] }
		kcBlock := []int{256, 64, 7, 1000}[rng.IntN(4)]
		g := newGemmCase(rng, tA, tB, m, n, k, pads(), pads(), pads(), alpha, beta, kcBlock)
		g.compare(t, fast)
	}
}

func FuzzGemm(f *testing.F) {
	f.Add(uint16(50), uint16(784), uint16(256), false, true, uint8(0), uint8(0), uint8(0), uint8(0), uint64(1))
	f.Add(uint16(50), uint16(256), uint16(784), false, false, uint8(1), uint8(2), uint8(3), uint8(1), uint64(2))
	f.Add(uint16(300), uint16(256), uint16(50), true, false, uint8(5), uint8(0), uint8(9), uint8(2), uint64(3))
	f.Add(uint16(7), uint16(17), uint16(9), true, true, uint8(1), uint8(1), uint8(1), uint8(3), uint64(4))
	f.Add(uint16(1), uint16(1), uint16(1), false, false, uint8(0), uint8(0), uint8(0), uint8(4), uint64(5))
	f.Fuzz(func(t *testing.T, m, n, k uint16, tA, tB bool, padA, padB, padC, mode uint8, seed uint64) {
		fast := fastSet(t)
		// Bound the work per input; shapes up to 320 reach every edge case.
		M, N, K := int(m%321), int(n%321), int(k%321)
		if M*N*K > 4e6 {
			t.Skip("too large")
		}
		alpha := []float32{1, -1, 0.5, 0.005}[mode&3]
		beta := []float32{0, 1, -0.25, 0}[(mode>>2)&3]
		kcBlock := []int{256, 64, 7, 1000}[(mode>>4)&3]
		rng := rand.New(rand.NewPCG(seed, uint64(m)<<32|uint64(n)<<16|uint64(k)))
		g := newGemmCase(rng, tA, tB, M, N, K, int(padA%20), int(padB%20), int(padC%20), alpha, beta, kcBlock)
		g.compare(t, fast)
	})
}
