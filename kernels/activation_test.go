package kernels

import (
	"math"
	"testing"
)

// ulps is the distance between got and want in float32 units in the last place; below the
// smallest normal float32, where the kernels flush to 0, in units of that number.
func ulps(got float32, want float64) float64 {
	w := abs32(float32(want))
	if w < 0x1p-126 {
		return math.Abs(float64(got)-want) / 0x1p-126
	}
	return math.Abs(float64(got)-want) / float64(math.Nextafter32(w, float32(math.Inf(1)))-w)
}

// activationInputs sweeps [−30, 30] finely, then adds edges: tiny values, the polynomial's
// boundary, the flush threshold, infinities; its length leaves a partial last block.
func activationInputs() []float32 {
	var xs []float32
	for x := float32(-30); x <= 30; x += 1.0 / 1024 {
		xs = append(xs, x)
	}
	return append(xs, 1e-30, -1e-30, 1e-8, 0.6249, 0.625, 0.6251, 43.6, -43.6, 87, -87, 88, -88, 100, -100, 0, float32(math.Copysign(0, -1)))
}

// maxUlps bounds the activations' error; the worst measured is 2.01 (Sigmoid, AVX-512).
const maxUlps = 2.5

func TestActivations(t *testing.T) {
	old := active.Load()
	defer active.Store(old)
	xs := activationInputs()
	for _, im := range available() {
		active.Store(im)
		for _, tc := range []struct {
			name string
			f    func(dst, src []float32)
			ref  func(float64) float64
		}{
			{"Sigmoid", Sigmoid, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }},
			{"Tanh", Tanh, math.Tanh},
		} {
			got := make([]float32, len(xs))
			tc.f(got, xs)
			worst, at := 0.0, float32(0)
			for i, x := range xs {
				if u := ulps(got[i], tc.ref(float64(x))); u > worst {
					worst, at = u, x
				}
			}
			t.Logf("%s/%s: worst %.2f ulp at %g", im.name, tc.name, worst, at)
			if worst > maxUlps {
				t.Errorf("%s/%s(%g) is %.2f ulp from math, want at most %g", im.name, tc.name, at, worst, maxUlps)
			}
			special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}
			out := make([]float32, 3)
			tc.f(out, special)
			if out[0] == out[0] {
				t.Errorf("%s/%s(NaN) = %v, want NaN", im.name, tc.name, out[0])
			}
			for i, x := range special[1:] {
				if want := float32(tc.ref(float64(x))); out[i+1] != want {
					t.Errorf("%s/%s(%v) = %v, want %v", im.name, tc.name, x, out[i+1], want)
				}
			}
		}
	}
}

// TestActivationsInPlaceAndBounds checks dst == src and that a kernel writes nothing past n.
func TestActivationsInPlaceAndBounds(t *testing.T) {
	old := active.Load()
	defer active.Store(old)
	for _, im := range available() {
		active.Store(im)
		for n := 1; n <= 40; n++ {
			buf := make([]float32, n+8)
			for i := range buf {
				buf[i] = float32(i) - 10
			}
			Tanh(buf[:n], buf[:n])
			for i := 0; i < n; i++ {
				if want := Tanh32(float32(i) - 10); ulps(buf[i], float64(want)) > maxUlps {
					t.Fatalf("%s n=%d: in-place Tanh[%d] = %v, want %v", im.name, n, i, buf[i], want)
				}
			}
			for i := n; i < len(buf); i++ {
				if buf[i] != float32(i)-10 {
					t.Fatalf("%s n=%d: element %d past the end changed", im.name, n, i)
				}
			}
		}
	}
}

func BenchmarkActivations(b *testing.B) {
	x := make([]float32, 4096)
	for i := range x {
		x[i] = float32(i%200)/20 - 5
	}
	for _, tc := range []struct {
		name string
		f    func(dst, src []float32)
	}{{"Sigmoid", Sigmoid}, {"Tanh", Tanh}} {
		b.Run(tc.name, func(b *testing.B) {
			dst := make([]float32, len(x))
			for i := 0; i < b.N; i++ {
				tc.f(dst, x)
			}
			b.ReportMetric(float64(len(x)*b.N)/b.Elapsed().Seconds()/1e9, "Gvalues/s")
		})
	}
}

// ExpShiftedSum's exponentials are within maxUlps of math.Exp on every path, its sum within a
// float32 rounding per term of the float64 sum, and it writes nothing past n, for every tail.
func TestExpShiftedSum(t *testing.T) {
	old := active.Load()
	defer active.Store(old)
	xs := activationInputs()
	for _, im := range available() {
		active.Store(im)
		for n := 0; n <= len(xs); n += 1 + n/3 {
			src := xs[:n]
			shift := float32(-100)
			for _, x := range src {
				shift = max(shift, x)
			}
			dst := make([]float32, n+5)
			for i := range dst {
				dst[i] = 7
			}
			sum := ExpShiftedSum(dst[:n], src, shift)
			var want float64
			for i, x := range src {
				e := math.Exp(float64(x) - float64(shift))
				if float64(x)-float64(shift) < -87.3 {
					e = 0
				}
				want += e
				if u := ulps(dst[i], e); u > maxUlps && !(e < 1e-37 && dst[i] < 1e-37) {
					t.Fatalf("%s n=%d: e^(%g−%g) = %v, %.2f ulp from %v", im.name, n, x, shift, dst[i], u, e)
				}
			}
			if d := math.Abs(float64(sum) - want); d > float64(n+1)*1.2e-7*want {
				t.Errorf("%s n=%d: sum %v, want %v", im.name, n, sum, want)
			}
			for i := n; i < len(dst); i++ {
				if dst[i] != 7 {
					t.Fatalf("%s n=%d: element %d past the end changed", im.name, n, i)
				}
			}
		}
		out := make([]float32, 2)
		if s := ExpShiftedSum(out, []float32{float32(math.NaN()), 0}, 0); s == s || out[0] == out[0] || out[1] != 1 {
			t.Errorf("%s: NaN input gave %v with sum %v, want NaN, 1 and a NaN sum", im.name, out, s)
		}
	}
}
