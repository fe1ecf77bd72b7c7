package graphs

import (
	"math"
	"testing"
)

// ulps is the distance between got and want in float32 units in the last place; below the
// smallest normal float32, where the activations flush to 0, in units of that number.
func ulps(got float32, want float64) float64 {
	w := abs32(float32(want))
	if w < 0x1p-126 {
		return math.Abs(float64(got)-want) / 0x1p-126
	}
	return math.Abs(float64(got)-want) / float64(math.Nextafter32(w, float32(math.Inf(1)))-w)
}

// TestGates32 bounds the error of the float32 gate activations against math's float64 ones.
func TestGates32(t *testing.T) {
	for _, tc := range []struct {
		name    string
		f       func(float32) float32
		ref     func(float64) float64
		maxUlps float64
	}{
		{"sigmoid32", sigmoid32, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, 4},
		{"tanh32", tanh32, math.Tanh, 4},
	} {
		worst, at := 0.0, float32(0)
		for x := float32(-30); x <= 30; x += 1.0 / 1024 {
			if u := ulps(tc.f(x), tc.ref(float64(x))); u > worst {
				worst, at = u, x
			}
		}
		for _, x := range []float32{1e-30, -1e-30, 1e-8, 0.6249, 0.625, 0.6251, 87, -87, 100, -100} {
			if u := ulps(tc.f(x), tc.ref(float64(x))); u > worst {
				worst, at = u, x
			}
		}
		t.Logf("%s: worst %.2f ulp at %g", tc.name, worst, at)
		if worst > tc.maxUlps {
			t.Errorf("%s(%g) is %.1f ulp from math, want at most %g", tc.name, at, worst, tc.maxUlps)
		}
		if got := tc.f(float32(math.NaN())); got == got {
			t.Errorf("%s(NaN) = %v, want NaN", tc.name, got)
		}
		for _, inf := range []float64{math.Inf(1), math.Inf(-1)} {
			if got, want := tc.f(float32(inf)), float32(tc.ref(inf)); got != want {
				t.Errorf("%s(%v) = %v, want %v", tc.name, inf, got, want)
			}
		}
	}
}
