package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"

	"gonum.org/v1/gonum/blas"
)

// gemmCase is one product to check against the float64 reference.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	pad            int // extra columns in every leading dimension
	alpha, beta    float32
}

func (g gemmCase) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d pad=%d alpha=%g beta=%g", g.transA, g.transB, g.m, g.n, g.k, g.pad, g.alpha, g.beta)
}

// operands holds a case's matrices, each followed by guard values that must stay untouched.
type operands struct {
	a, b, c, c0 []float32
	lda, ldb    int
	ldc         int
}

const guard = 16

var sentinel = float32(math.Float32frombits(0x7f8badf0)) // a NaN no product yields

func newOperands(g gemmCase, rng *rand.Rand) *operands {
	ar, ac := g.m, g.k
	if g.transA {
		ar, ac = g.k, g.m
	}
	br, bc := g.k, g.n
	if g.transB {
		br, bc = g.n, g.k
	}
	// BLAS wants every leading dimension at least 1, even for a matrix with no columns.
	o := &operands{lda: max(1, ac) + g.pad, ldb: max(1, bc) + g.pad, ldc: max(1, g.n) + g.pad}
	o.a = matrix(rng, ar, ac, o.lda)
	o.b = matrix(rng, br, bc, o.ldb)
	o.c = matrix(rng, g.m, g.n, o.ldc)
	o.c0 = append([]float32(nil), o.c...)
	return o
}

// matrix is a rows×cols matrix with stride ld, exactly as long as BLAS allows, then guards;
// the gaps between rows hold the sentinel too.
func matrix(rng *rand.Rand, rows, cols, ld int) []float32 {
	n := 0
	if rows > 0 && cols > 0 {
		n = (rows-1)*ld + cols
	}
	s := make([]float32, n+guard)
	for i := range s {
		s[i] = sentinel
	}
	for r := 0; r < rows; r++ {
		for j := 0; j < cols; j++ {
			s[r*ld+j] = float32(rng.NormFloat64())
		}
	}
	return s
}

func (o *operands) data(s []float32) []float32 { return s[:len(s)-guard] }

// reference computes the product in float64 and a bound on each element's float32 error.
func reference(g gemmCase, o *operands) (want, tol []float64) {
	p := problem{transA: g.transA, transB: g.transB, a: o.a, lda: o.lda, b: o.b, ldb: o.ldb}
	want, tol = make([]float64, g.m*g.n), make([]float64, g.m*g.n)
	for i := 0; i < g.m; i++ {
		for j := 0; j < g.n; j++ {
			var s, mag float64
			for q := 0; q < g.k; q++ {
				v := float64(p.aAt(i, q)) * float64(p.bAt(q, j))
				s += v
				mag += math.Abs(v)
			}
			c := float64(o.c0[i*o.ldc+j])
			w := float64(g.alpha) * s
			mag = math.Abs(float64(g.alpha)) * mag
			if g.beta != 0 {
				w += float64(g.beta) * c
				mag += math.Abs(float64(g.beta) * c)
			}
			want[i*g.n+j] = w
			tol[i*g.n+j] = float64(g.k+4)*math.Pow(2, -23)*mag + 1e-30
		}
	}
	return want, tol
}

// verify checks C against the reference, and that nothing outside the m×n region changed.
func verify(t *testing.T, g gemmCase, o *operands) {
	t.Helper()
	want, tol := reference(g, o)
	bad := 0
	for i := range o.c {
		r, j := i/o.ldc, i%o.ldc
		inside := r < g.m && j < g.n && i < len(o.c)-guard
		if !inside {
			if math.Float32bits(o.c[i]) != math.Float32bits(o.c0[i]) {
				t.Fatalf("%v: element %d outside C changed: got %v, want %v", g, i, o.c[i], o.c0[i])
			}
			continue
		}
		got, w := float64(o.c[i]), want[r*g.n+j]
		if math.IsNaN(w) != math.IsNaN(got) || (!math.IsNaN(w) && math.Abs(got-w) > tol[r*g.n+j]) {
			if bad++; bad <= 3 {
				t.Errorf("%v: C[%d,%d] = %v, want %v (tolerance %.3g)", g, r, j, got, w, tol[r*g.n+j])
			}
		}
	}
	if bad > 3 {
		t.Fatalf("%v: %d wrong elements", g, bad)
	}
	for _, s := range [][]float32{o.a, o.b} {
		for _, v := range s[len(s)-guard:] {
			if math.Float32bits(v) != math.Float32bits(sentinel) {
				t.Fatalf("%v: a guard after an input changed", g)
			}
		}
	}
}

func run(g gemmCase, o *operands, threads int) {
	SgemmThreads(threads, g.transA, g.transB, g.m, g.n, g.k, g.alpha, o.data(o.a), o.lda, o.data(o.b), o.ldb, g.beta, o.data(o.c), o.ldc)
}

// withImpl runs f once for every implementation this CPU has, and for those with flex
// kernels once more with every single-threaded product computed directly.
func withImpl(t *testing.T, f func(t *testing.T, im *impl)) {
	old, oldLimit := active.Load(), directLimit
	defer func() { active.Store(old); directLimit = oldLimit }()
	for _, im := range available() {
		modes := []string{"packed"}
		if im.flex {
			modes = append(modes, "direct")
		}
		for _, mode := range modes {
			t.Run(im.name+"/"+mode, func(t *testing.T) {
				active.Store(im)
				directLimit = 0
				if mode == "direct" {
					directLimit = math.MaxInt
				}
				f(t, im)
			})
		}
	}
}

// edges are sizes around a tile or block edge of length e.
func edges(e int) []int { return []int{e - 1, e, e + 1} }

func TestSgemmTileEdges(t *testing.T) {
	withImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(1, 2))
		ms := append([]int{1, 2, 5, 2*im.mr + 3, 37}, edges(im.mr)...)
		ns := append([]int{1, 3, 2*im.nr + 5, 61}, edges(im.nr)...)
		ks := []int{1, 2, 7, 29}
		for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
			for _, m := range ms {
				for _, n := range ns {
					for _, k := range ks {
						g := gemmCase{transA: tr[0], transB: tr[1], m: m, n: n, k: k, alpha: 1, beta: 0}
						o := newOperands(g, rng)
						run(g, o, 1)
						verify(t, g, o)
					}
				}
			}
		}
	})
}

func TestSgemmBlockEdges(t *testing.T) {
	withImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(3, 4))
		var cases []gemmCase
		for _, k := range edges(im.kc) {
			cases = append(cases, gemmCase{m: im.mr + 1, n: im.nr + 3, k: k})
		}
		for _, k := range []int{2*im.kc + 5, 3 * im.kc} {
			cases = append(cases, gemmCase{m: 2*im.mr + 1, n: 2*im.nr - 1, k: k})
		}
		for _, n := range append(edges(im.nc), 2*im.nc+7) {
			cases = append(cases, gemmCase{m: im.mr + 2, n: n, k: 9})
		}
		mc := im.mc
		if mc == 0 {
			mc = 1536 // AVX-512 reads A in place, in no blocks: cross as many rows anyway
		}
		for _, m := range append(edges(mc), 2*mc+5) {
			cases = append(cases, gemmCase{m: m, n: im.nr + 1, k: 5})
		}
		for _, g := range cases {
			for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
				for _, threads := range []int{1, 2, 3} {
					g := g
					g.transA, g.transB, g.alpha, g.beta, g.pad = tr[0], tr[1], 0.75, -0.5, 3
					o := newOperands(g, rng)
					run(g, o, threads)
					verify(t, g, o)
				}
			}
		}
		// Every block edge at once, split among threads both ways.
		for _, g := range []gemmCase{{m: mc + 3, n: im.nc + 5, k: im.kc + 7}, {transA: true, transB: true, m: mc + 3, n: 3*im.nr + 1, k: im.kc + 7}} {
			g.alpha, g.beta = 1, 1
			o := newOperands(g, rng)
			run(g, o, 2)
			verify(t, g, o)
		}
	})
}

func TestSgemmAlphaBetaStrides(t *testing.T) {
	withImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, ab := range [][2]float32{{1, 0}, {1, 1}, {0.5, 2}, {-1, 1}, {2, -3}, {0, 0}, {0, 2.5}, {1, -0.0}} {
			for _, pad := range []int{0, 1, 17} {
				for _, threads := range []int{1, 2} {
					for _, shape := range [][3]int{{im.mr*3 + 1, im.nr*4 + 3, 77}, {64, 64, 64}, {96, 130, 200}} {
						g := gemmCase{transA: pad%2 == 1, transB: threads == 2, m: shape[0], n: shape[1], k: shape[2], pad: pad, alpha: ab[0], beta: ab[1]}
						o := newOperands(g, rng)
						run(g, o, threads)
						verify(t, g, o)
					}
				}
			}
		}
	})
}

// TestSgemmNaNInf checks that beta 0 overwrites NaN and Inf in C, while NaN and Inf in the
// inputs reach the elements they touch, as in the float64 reference.
func TestSgemmNaNInf(t *testing.T) {
	withImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(7, 8))
		g := gemmCase{m: 2*im.mr + 1, n: 2*im.nr + 1, k: 13, alpha: 1, beta: 0}
		for _, threads := range []int{1, 2} {
			o := newOperands(g, rng)
			for i := 0; i < g.m; i++ {
				o.c[i*o.ldc] = float32(math.NaN())
				o.c[i*o.ldc+g.n-1] = float32(math.Inf(1))
			}
			copy(o.c0, o.c)
			run(g, o, threads)
			verify(t, g, o) // the reference ignores C when beta is 0

			o = newOperands(g, rng)
			o.a[3*o.lda+5] = float32(math.NaN())   // row 3 of A
			o.b[2*o.ldb+7] = float32(math.NaN())   // column 7 of B
			o.b[4*o.ldb+9] = float32(math.Inf(-1)) // Inf: ±Inf in column 9, as the reference says
			run(g, o, threads)
			verify(t, g, o)
			if !math.IsNaN(float64(o.c[3*o.ldc])) || !math.IsNaN(float64(o.c[7])) {
				t.Errorf("NaN did not reach row 3 and column 7: %v, %v", o.c[3*o.ldc], o.c[7])
			}
		}
	})
}

func TestSgemmPanics(t *testing.T) {
	a := make([]float32, 12)
	for _, tc := range []struct {
		name string
		call func()
		want string
	}{
		{"negative m", func() { Sgemm(false, false, -1, 2, 2, 1, a, 2, a, 2, 0, a, 2) }, "negative dimension"},
		{"short lda", func() { Sgemm(false, false, 2, 2, 3, 1, a, 2, a, 2, 0, a, 2) }, "ldA=2"},
		{"short B", func() { Sgemm(false, true, 2, 5, 3, 1, a, 3, a, 3, 0, a, 5) }, "B has 12 elements"},
		{"short C", func() { Sgemm(false, false, 3, 4, 1, 1, a, 1, a, 4, 0, a[:10], 4) }, "C has 10 elements"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, tc.want) {
					t.Errorf("panic %v, want one containing %q", r, tc.want)
				}
			}()
			tc.call()
		})
	}
}

func TestSgemmNoAllocations(t *testing.T) {
	withImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(9, 10))
		for _, threads := range []int{1, 2} {
			g := gemmCase{m: 200, n: 300, k: 500, alpha: 1, beta: 0}
			o := newOperands(g, rng)
			run(g, o, threads) // warm-up: buffers grow, the pool starts
			if allocs := testing.AllocsPerRun(20, func() { run(g, o, threads) }); allocs != 0 {
				t.Errorf("%d threads: %v allocations per call, want 0", threads, allocs)
			}
		}
	})
}

// TestSgemmConcurrent runs parallel products from several goroutines at once (run it with
// -race): calls must not share buffers.
func TestSgemmConcurrent(t *testing.T) {
	withImpl(t, func(t *testing.T, im *impl) {
		var wg sync.WaitGroup
		for gi := 0; gi < 4; gi++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(gi), 11))
				for it := 0; it < 3; it++ {
					g := gemmCase{transB: gi%2 == 0, m: 70 + gi*13, n: 150 + it*40, k: 200, alpha: 1, beta: 0.5}
					o := newOperands(g, rng)
					run(g, o, 2)
					verify(t, g, o)
				}
			}()
		}
		wg.Wait()
	})
}

func FuzzSgemm(f *testing.F) {
	f.Add(uint8(13), uint8(33), uint8(7), uint8(0), uint8(0), uint8(1), uint64(1))
	f.Add(uint8(1), uint8(1), uint8(1), uint8(3), uint8(2), uint8(2), uint64(2))
	f.Add(uint8(25), uint8(65), uint8(200), uint8(1), uint8(5), uint8(1), uint64(3))
	f.Fuzz(func(t *testing.T, m, n, k, flags, pad, threads uint8, seed uint64) {
		g := gemmCase{transA: flags&1 != 0, transB: flags&2 != 0, m: int(m), n: int(n), k: int(k), pad: int(pad % 8),
			alpha: []float32{1, 0.5, -2, 0}[flags>>2&3], beta: []float32{0, 1, -0.25, 3}[flags>>4&3]}
		rng := rand.New(rand.NewPCG(seed, 12))
		old, oldLimit := active.Load(), directLimit
		defer func() { active.Store(old); directLimit = oldLimit }()
		for _, im := range available() {
			for _, limit := range []int{0, math.MaxInt} {
				active.Store(im)
				directLimit = limit
				o := newOperands(g, rng)
				run(g, o, int(threads%3))
				verify(t, g, o)
			}
		}
	})
}

// TestBLASSgemm checks the blas.Float32 adapter against gonum's SGEMM.
func TestBLASSgemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, tr := range [][2]blas.Transpose{{blas.NoTrans, blas.NoTrans}, {blas.Trans, blas.NoTrans}, {blas.NoTrans, blas.ConjTrans}, {blas.Trans, blas.Trans}} {
		g := gemmCase{transA: tr[0] != blas.NoTrans, transB: tr[1] != blas.NoTrans, m: 29, n: 47, k: 31, pad: 2, alpha: 1.5, beta: 0.5}
		o := newOperands(g, rng)
		BLAS{}.Sgemm(tr[0], tr[1], g.m, g.n, g.k, g.alpha, o.data(o.a), o.lda, o.data(o.b), o.ldb, g.beta, o.data(o.c), o.ldc)
		verify(t, g, o)
	}
}

// TestEnvImpl checks that GORGONET_SGEMM picks the implementation, as CI's runs of the
// whole suite on each kernel path rely on.
func TestEnvImpl(t *testing.T) {
	want := os.Getenv(EnvImpl)
	if want == "" {
		t.Skipf("%s is not set", EnvImpl)
	}
	if got := Impl(); got != want {
		t.Errorf("Impl() = %q with %s=%s", got, EnvImpl, want)
	}
}

// TestTranspose8 checks the 8-row transpose of B's packing, in assembly and in Go, against
// element-by-element copies, over widths around its 8-column blocks and padded strides.
func TestTranspose8(t *testing.T) {
	defer func() { forcePortablePack = false }()
	for _, portable := range []bool{false, true} {
		forcePortablePack = portable
		for _, kc := range []int{1, 3, 7, 8, 9, 15, 16, 17, 64, 385} {
			const nr = 32
			ld := kc + 5
			src := make([]float32, 8*ld)
			for i := range src {
				src[i] = float32(i)
			}
			dst := make([]float32, kc*nr)
			for i := range dst {
				dst[i] = -1
			}
			transpose8(dst, nr, src, ld, kc)
			for q := 0; q < kc; q++ {
				for c := 0; c < nr; c++ {
					want := float32(-1)
					if c < 8 {
						want = src[c*ld+q]
					}
					if got := dst[q*nr+c]; got != want {
						t.Fatalf("portable=%v kc=%d: dst[%d, %d] = %v, want %v", portable, kc, q, c, got, want)
					}
				}
			}
		}
	}
}
