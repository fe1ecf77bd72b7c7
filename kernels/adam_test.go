package kernels

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
)

// adamLengths are the lengths Adam is tested at: within, at and around one block of 16
// lanes, odd ones and one that Adam splits between two goroutines, at an odd length.
var adamLengths = []int{1, 2, 15, 16, 17, 31, 33, 100, 1000, 1023, 4097, adamParallelMin + 17}

// hasVectorMath reports whether this CPU runs the AVX-512 kernels.
func hasVectorMath() bool {
	for _, im := range available() {
		if im.flex {
			return true
		}
	}
	return false
}

// adamScalarsAt are the scalars of step t, computed as optim computes them.
func adamScalarsAt(t int, lr, beta1, beta2, eps, wd float64, decoupled bool) AdamScalars {
	tf := float64(t)
	a := AdamScalars{
		Beta1: float32(beta1), OneMinusBeta1: float32(1 - beta1),
		Beta2: float32(beta2), OneMinusBeta2: float32(1 - beta2),
		Bias2Sqrt:   float32(math.Sqrt(1 - math.Pow(beta2, tf))),
		NegStepSize: float32(-lr / (1 - math.Pow(beta1, tf))),
		Eps:         float32(eps),
		Decay:       1,
	}
	if decoupled {
		a.Decay = float32(1 - lr*wd)
	} else {
		a.L2 = float32(wd)
	}
	return a
}

// adamCases are the scalars Adam is tested with: Adam with and without L2, AdamW, both at
// once, at the first step and later ones, with PyTorch's defaults and others.
var adamCases = []struct {
	name string
	a    AdamScalars
}{
	{"adam/t=1", adamScalarsAt(1, 1e-3, 0.9, 0.999, 1e-8, 0, false)},
	{"adam-l2/t=3", adamScalarsAt(3, 1e-2, 0.9, 0.999, 1e-8, 0.01, false)},
	{"adam-l2/t=1000", adamScalarsAt(1000, 3e-4, 0.8, 0.99, 1e-6, 0.5, false)},
	{"adamw/t=1", adamScalarsAt(1, 1e-3, 0.9, 0.999, 1e-8, 0.01, true)},
	{"adamw/t=50", adamScalarsAt(50, 0.1, 0.5, 0.9, 1e-3, 0.1, true)},
	{"both/t=7", func() AdamScalars {
		a := adamScalarsAt(7, 1e-2, 0.9, 0.999, 1e-8, 0.1, true)
		a.L2 = 0.03
		return a
	}()},
}

// adamState is an Adam call's inputs: a parameter, its gradient and moments, each followed
// by 8 guards (see guarded).
type adamState struct{ p, g, m, v []float32 }

// randomAdamState is n values of each of p, g, m, v at magnitudes from 10⁻⁶ to 10², with
// v ≥ 0 as Adam keeps it, and now and then a zero.
func randomAdamState(r *rand.Rand, n int) adamState {
	mag := func() float64 { return math.Pow(10, -6+8*r.Float64()) }
	val := func(int) float32 {
		if r.IntN(50) == 0 {
			return 0
		}
		return float32(r.NormFloat64() * mag())
	}
	return adamState{
		p: guarded(n, val), g: guarded(n, val), m: guarded(n, val),
		v: guarded(n, func(i int) float32 { x := val(i); return x * x }),
	}
}

func (s adamState) clone() adamState {
	return adamState{append([]float32(nil), s.p...), append([]float32(nil), s.g...),
		append([]float32(nil), s.m...), append([]float32(nil), s.v...)}
}

// run is Adam on the first n values, with vector math as asked, checking the guards.
func (s adamState) run(t *testing.T, what string, vec bool, n int, a AdamScalars) {
	t.Helper()
	old := active.Load()
	defer active.Store(old)
	for _, im := range available() {
		if im.flex == vec {
			active.Store(im)
			break
		}
	}
	if vectorMath() != vec {
		t.Fatalf("no implementation with vectorMath %v", vec)
	}
	Adam(s.p[:n], s.g[:n], s.m[:n], s.v[:n], a)
	checkGuard(t, what+" p", s.p, n)
	checkGuard(t, what+" g", s.g, n)
	checkGuard(t, what+" m", s.m, n)
	checkGuard(t, what+" v", s.v, n)
}

// fmaExact is a·b + c rounded once to float32, the fused multiply-add of AVX-512.
func fmaExact(a, b, c float32) float32 {
	if math.IsInf(float64(a)*float64(b)+float64(c), 0) || a != a || b != b || c != c {
		return fma64(a, b, c) // non-finite: no rounding to get wrong
	}
	x := new(big.Float).SetPrec(1200).SetFloat64(float64(a))
	x.Mul(x, new(big.Float).SetFloat64(float64(b)))
	x.Add(x, new(big.Float).SetFloat64(float64(c)))
	f, _ := x.Float32()
	return f
}

// adamRef is Adam's formula one value at a time with the given fused multiply-add.
func adamRef(s adamState, n int, a AdamScalars, fma func(a, b, c float32) float32) {
	for j := range n {
		x, grad := s.p[j], s.g[j]
		if a.L2 != 0 {
			grad = fma(a.L2, x, grad)
		}
		x *= a.Decay
		s.m[j] = fma(a.OneMinusBeta1, grad, s.m[j]*a.Beta1)
		s.v[j] = fma(a.OneMinusBeta2*grad, grad, s.v[j]*a.Beta2)
		denom := float32(math.Sqrt(float64(s.v[j])))/a.Bias2Sqrt + a.Eps
		s.p[j] = x + a.NegStepSize*s.m[j]/denom
	}
}

// Each path is exactly the formula with its own fused multiply-add: bit for bit, the
// portable path rounds it to float64 then float32, AVX-512 once. So their only difference is
// the double rounding (see TestAdamPaths).
func TestAdamFormula(t *testing.T) {
	paths := []bool{false}
	if hasVectorMath() {
		paths = append(paths, true)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range adamCases {
		for _, n := range adamLengths {
			if n > 5000 && testing.Short() {
				continue
			}
			in := randomAdamState(r, n)
			for _, vec := range paths {
				what := fmt.Sprintf("%s n=%d vector=%v", c.name, n, vec)
				got, want := in.clone(), in.clone()
				got.run(t, what, vec, n, c.a)
				fma := fma64
				if vec {
					fma = fmaExact
				}
				adamRef(want, n, c.a, fma)
				for name, pair := range map[string][2][]float32{"p": {got.p, want.p}, "m": {got.m, want.m}, "v": {got.v, want.v}} {
					for j := range n {
						if !sameFloat(pair[0][j], pair[1][j]) {
							t.Fatalf("%s: %s[%d] = %v, want %v", what, name, j, pair[0][j], pair[1][j])
						}
					}
				}
			}
		}
	}
}

// ulpsApart is how many float32 values lie from a to b (0 if both are NaN, huge if one is).
func ulpsApart(a, b float32) float64 {
	if a != a || b != b {
		if a != a && b != b {
			return 0
		}
		return math.Inf(1)
	}
	key := func(x float32) int64 { // monotonic in x, with −0 next to +0
		u := int64(math.Float32bits(x))
		if u&(1<<31) != 0 {
			return -(u &^ (1 << 31))
		}
		return u
	}
	return math.Abs(float64(key(a) - key(b)))
}

// ulpAt is the spacing of float32 values at |x|.
func ulpAt(x float32) float64 {
	x = float32(math.Abs(float64(x)))
	return float64(math.Nextafter32(x, float32(math.Inf(1))) - x)
}

// The two paths differ only where a fused multiply-add's float64 sum lands on a float32 tie
// that the exact sum is not on; then m (or v, or L2's grad) differs by 1 ulp. For m, that
// moves s·m (s = NegStepSize) by under 2⁻²³ relative and its rounding by as much again, so
// the update u = s·m/denom by under 2⁻²² relative before its own rounding: at most 4 ulp
// of u, as both are float32. p = x + u then rounds within 1 ulp of p more. TestAdamPaths
// checks, with AVX-512 against the portable path, on random values and on values built so
// that every m's fused multiply-add is such a tie (with p = 0 or not):
//
//	m, v within 1 ulp;  |Δp| ≤ 1 ulp(p) + 4 ulp(u).
//
// The worst measured on the ties is 3 ulp of u, where p = 0. (With L2 ≠ 0, grad's 1 ulp
// moves m by (1−β₁)·ulp(grad) more: within the bound unless m nearly cancels, and such a
// double rounding is rarer still; none of the random values meets one.)
func TestAdamPaths(t *testing.T) {
	if !hasVectorMath() {
		t.Skip("no AVX-512: the portable path is the only one")
	}
	r := rand.New(rand.NewPCG(3, 4))
	var worst float64 // the largest |Δp| measured, as a share of the bound
	check := func(what string, in adamState, n int, a AdamScalars) (differ int) {
		t.Helper()
		vec, port := in.clone(), in.clone()
		vec.run(t, what+" vector", true, n, a)
		port.run(t, what+" portable", false, n, a)
		for j := range n {
			if d := ulpsApart(vec.m[j], port.m[j]); d > 1 {
				t.Fatalf("%s: m[%d] = %v on AVX-512, %v portable: %v ulp apart", what, j, vec.m[j], port.m[j], d)
			}
			if d := ulpsApart(vec.v[j], port.v[j]); d > 1 {
				t.Fatalf("%s: v[%d] = %v on AVX-512, %v portable: %v ulp apart", what, j, vec.v[j], port.v[j], d)
			}
			denom := float32(math.Sqrt(float64(port.v[j])))/a.Bias2Sqrt + a.Eps
			u := a.NegStepSize * port.m[j] / denom
			dp := math.Abs(float64(vec.p[j]) - float64(port.p[j]))
			bound := ulpAt(port.p[j]) + 4*ulpAt(u)
			if dp <= bound {
				worst = max(worst, dp/bound)
			} else if !sameFloat(vec.p[j], port.p[j]) {
				t.Fatalf("%s: p[%d] = %v on AVX-512, %v portable (update %v): %v apart", what, j, vec.p[j], port.p[j], u, dp)
			}
			if !sameFloat(vec.p[j], port.p[j]) || !sameFloat(vec.m[j], port.m[j]) || !sameFloat(vec.v[j], port.v[j]) {
				differ++
			}
		}
		return differ
	}
	differ, total := 0, 0
	for _, c := range adamCases {
		for _, n := range adamLengths {
			for range 3 {
				differ += check(fmt.Sprintf("%s n=%d", c.name, n), randomAdamState(r, n), n, c.a)
				total += n
			}
		}
	}
	t.Logf("random: the paths differ at %d of %d values; worst |Δp| %.3g of the bound", differ, total, worst)

	// Ties: with β₁ = 1 (so m·β₁ = m), 1 − β₁ = 2⁻²⁴(1+2⁻¹⁵) and grad = ±(1−2⁻¹⁵), the
	// product is ±2⁻²⁴(1−2⁻³⁰), and m of grad's sign, |m| in [1, 2) with its last bit set,
	// puts m + product 2⁻⁵⁴ short of the float32 tie between m and its neighbour: float64
	// rounds onto the tie, which goes to even, away from the fused result, m.
	const n = 20000
	a := adamScalarsAt(10, 1e-3, 0.9, 0.999, 1e-8, 0, false)
	a.Beta1, a.OneMinusBeta1 = 1, 0x1p-24*(1+0x1p-15)
	in := randomAdamState(r, n)
	for j := range n {
		sign := float32(1 - 2*r.IntN(2))
		in.g[j] = sign * (1 - 0x1p-15)
		in.m[j] = sign * math.Float32frombits(math.Float32bits(1)|uint32(r.IntN(1<<22))<<1|1)
		if j%2 == 0 {
			in.p[j] = 0 // p = u: Δp is all Δu
		}
	}
	worst = 0
	if differ := check("ties", in, n, a); differ != n {
		t.Errorf("ties: the paths differ at %d of %d values, want all", differ, n)
	}
	t.Logf("ties: worst |Δp| %.3g of the bound", worst)
}

// Edges: ±0, ±Inf, NaN, subnormals and the largest float32 in every input give the same
// values on both paths (NaN for NaN), including zero L2 of either sign.
func TestAdamEdges(t *testing.T) {
	if !hasVectorMath() {
		t.Skip("no AVX-512: the portable path is the only one")
	}
	r := rand.New(rand.NewPCG(5, 6))
	negZero := AdamScalars(adamCases[0].a)
	negZero.L2 = float32(math.Copysign(0, -1))
	for _, a := range []AdamScalars{adamCases[0].a, adamCases[2].a, adamCases[5].a, negZero} {
		for _, n := range []int{1, 17, 100} {
			sv := func(int) float32 { return specialValue(r) }
			in := adamState{guarded(n, sv), guarded(n, sv), guarded(n, sv), guarded(n, sv)}
			vec, port := in.clone(), in.clone()
			vec.run(t, "edges vector", true, n, a)
			port.run(t, "edges portable", false, n, a)
			for j := range n {
				if !sameFloat(vec.p[j], port.p[j]) || !sameFloat(vec.m[j], port.m[j]) || !sameFloat(vec.v[j], port.v[j]) {
					t.Fatalf("n=%d [%d] from p %v g %v m %v v %v: AVX-512 p %v m %v v %v, portable p %v m %v v %v",
						n, j, in.p[j], in.g[j], in.m[j], in.v[j], vec.p[j], vec.m[j], vec.v[j], port.p[j], port.m[j], port.v[j])
				}
			}
		}
	}
}

// Adam on a long parameter (split between goroutines) is Adam on the whole of it on one,
// also while other goroutines take Adam steps at once (those that find the helper busy run
// alone), and the helper is reused step after step.
func TestAdamParallel(t *testing.T) {
	const n, steps = 3*adamParallelMin + 5, 3
	a := adamCases[1].a
	r := rand.New(rand.NewPCG(7, 8))
	in := randomAdamState(r, n)
	want := in.clone()
	for range steps {
		adam(vectorMath(), want.p[:n], want.g[:n], want.m[:n], want.v[:n], a)
	}
	got := make([]adamState, max(4, runtime.GOMAXPROCS(0)+2))
	var wg sync.WaitGroup
	for i := range got {
		s := in.clone()
		got[i] = s
		wg.Go(func() {
			for range steps {
				Adam(s.p[:n], s.g[:n], s.m[:n], s.v[:n], a)
			}
		})
	}
	wg.Wait()
	for i, s := range got {
		for j := range len(s.p) {
			if !sameFloat(s.p[j], want.p[j]) || !sameFloat(s.m[j], want.m[j]) || !sameFloat(s.v[j], want.v[j]) {
				t.Fatalf("goroutine %d: [%d] p %v m %v v %v, want p %v m %v v %v", i, j, s.p[j], s.m[j], s.v[j], want.p[j], want.m[j], want.v[j])
			}
		}
	}
}

// BenchmarkAdam is one Adam step for the CNN's parameters, 421,642 values in one slice
// (401,408 of them one weight), on the active path: AVX-512, or under GORGONET_SGEMM=portable
// the scalar loop optim used to run. It must not allocate. No gradient is 0, so that no
// m decays step after step into the subnormals, which cost either path several times more.
func BenchmarkAdam(b *testing.B) {
	const n = 421642
	r := rand.New(rand.NewPCG(9, 10))
	s := randomAdamState(r, n)
	for j, x := range s.g[:n] {
		if x == 0 {
			s.g[j] = 1e-3
		}
	}
	a := adamScalarsAt(100, 1e-3, 0.9, 0.999, 1e-8, 0.01, true)
	b.ReportAllocs()
	b.SetBytes(n * 4)
	for b.Loop() {
		Adam(s.p[:n], s.g[:n], s.m[:n], s.v[:n], a)
	}
}
