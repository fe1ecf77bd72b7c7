package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// rowLengths are the lengths the row kernels are tested at: empty, within a block, at and
// around one and two blocks of 16 lanes, layer norm's d_model and a longer row.
var rowLengths = []int{0, 1, 15, 16, 17, 31, 32, 33, 64, 100}

// eps32 is float32's unit roundoff, 2⁻²⁴.
const eps32 = 0x1p-24

// eachImpl runs f on every implementation this CPU has (the vector kernels on AVX-512, the
// portable code on the others), restoring the active one after.
func eachImpl(t *testing.T, f func(t *testing.T, name string)) {
	old := active.Load()
	defer active.Store(old)
	for _, im := range available() {
		active.Store(im)
		t.Run(im.name, func(t *testing.T) { f(t, im.name) })
	}
}

// guarded is n values from fn followed by 8 sentinels, which no kernel may change.
func guarded(n int, fn func(i int) float32) []float32 {
	s := make([]float32, n+8)
	for i := range s {
		s[i] = 7
		if i < n {
			s[i] = fn(i)
		}
	}
	return s
}

// checkGuard fails if anything past n in s changed.
func checkGuard(t *testing.T, what string, s []float32, n int) {
	t.Helper()
	for i := n; i < len(s); i++ {
		if s[i] != 7 {
			t.Fatalf("%s n=%d: element %d past the end changed to %v", what, n, i, s[i])
		}
	}
}

// sameFloat reports whether a and b have the same bits, or are both NaN.
func sameFloat(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || a != a && b != b
}

// specialValue is an ordinary normal value, or one time in four an edge: ±0, ±Inf, NaN (of
// either sign), a subnormal, the largest float32.
func specialValue(r *rand.Rand) float32 {
	if r.IntN(4) > 0 {
		return float32(r.NormFloat64() * 3)
	}
	edges := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), -float32(math.NaN()), 1e-40, -1e-40, math.MaxFloat32, -math.MaxFloat32}
	return edges[r.IntN(len(edges))]
}

// The element-wise kernels round exactly as one float32 operation after another (float64
// then rounded to float32 is the same for one +, − or ×), on every path, edges included,
// in place too, and write nothing past n.
func TestElementwiseRows(t *testing.T) {
	type elementwise struct {
		name string
		run  func(dst, x, y, z []float32)
		ref  func(x, y, z float32) float32
	}
	const a = float32(-1.7)
	cases := []elementwise{
		{"Add", func(d, x, y, _ []float32) { Add(d, x, y) }, func(x, y, _ float32) float32 { return float32(float64(x) + float64(y)) }},
		{"Mul", func(d, x, y, _ []float32) { Mul(d, x, y) }, func(x, y, _ float32) float32 { return float32(float64(x) * float64(y)) }},
		{"AddMul", AddMul, func(x, y, z float32) float32 {
			return float32(float64(x) + float64(float32(float64(y)*float64(z))))
		}},
		{"Scale", func(d, x, _, _ []float32) { Scale(d, x, a) }, func(x, _, _ float32) float32 { return float32(float64(x) * float64(a)) }},
		{"Relu", func(d, x, _, _ []float32) { Relu(d, x) }, func(x, _, _ float32) float32 { return max(x, 0) }},
		{"ReluGrad", func(d, x, y, _ []float32) { ReluGrad(d, x, y) }, func(dy, x, _ float32) float32 {
			if int32(math.Float32bits(x)) > 0 {
				return dy
			}
			return 0
		}},
	}
	eachImpl(t, func(t *testing.T, im string) {
		r := rand.New(rand.NewPCG(1, 1))
		for _, tc := range cases {
			for _, n := range rowLengths {
				x, y, z := make([]float32, n), make([]float32, n), make([]float32, n)
				for i := range x {
					x[i], y[i], z[i] = specialValue(r), specialValue(r), specialValue(r)
				}
				dst := guarded(n, func(int) float32 { return 0 })
				tc.run(dst[:n], x, y, z)
				checkGuard(t, tc.name, dst, n)
				for i := range x {
					if want := tc.ref(x[i], y[i], z[i]); !sameFloat(dst[i], want) {
						t.Fatalf("%s n=%d: [%d] of (%v, %v, %v) is %v, want %v", tc.name, n, i, x[i], y[i], z[i], dst[i], want)
					}
				}
				inPlace := append([]float32(nil), x...)
				tc.run(inPlace, inPlace, y, z)
				for i := range x {
					if !sameFloat(inPlace[i], dst[i]) {
						t.Fatalf("%s n=%d: in place [%d] is %v, want %v", tc.name, n, i, inPlace[i], dst[i])
					}
				}
			}
		}
	})
}

func TestMax(t *testing.T) {
	eachImpl(t, func(t *testing.T, im string) {
		r := rand.New(rand.NewPCG(2, 2))
		for _, n := range rowLengths {
			x := make([]float32, n)
			want := float32(math.Inf(-1))
			for i := range x {
				x[i] = float32(r.NormFloat64() * 10)
				want = max(want, x[i])
			}
			if got := Max(x); got != want {
				t.Errorf("n=%d: Max %v, want %v", n, got, want)
			}
			for i := range x {
				old := x[i]
				x[i] = float32(math.NaN())
				if got := Max(x); got == got {
					t.Fatalf("n=%d: Max with NaN at %d is %v, want NaN", n, i, got)
				}
				x[i] = float32(math.Inf(1))
				if got := Max(x); !math.IsInf(float64(got), 1) {
					t.Fatalf("n=%d: Max with +Inf at %d is %v", n, i, got)
				}
				x[i] = old
			}
		}
		if got := Max([]float32{float32(math.Inf(-1)), float32(math.Inf(-1))}); !math.IsInf(float64(got), -1) {
			t.Errorf("Max of −Infs is %v", got)
		}
	})
}

// maxSoftmaxError bounds Softmax's error in units of 2⁻²⁴ of each value, beyond the rounding
// of its sum (n units): the exponential's 2 ulp (4 units), 1/sum and the product (2). The
// worst measured is 4.6 (portable; 1.6 on AVX-512).
const maxSoftmaxError = 8

func TestSoftmax(t *testing.T) {
	negInf := float32(math.Inf(-1))
	eachImpl(t, func(t *testing.T, im string) {
		r := rand.New(rand.NewPCG(3, 3))
		worst := 0.0
		for _, n := range rowLengths {
			for trial := 0; trial < 20; trial++ {
				src := make([]float32, n)
				for i := range src {
					src[i] = float32(r.NormFloat64() * 4)
					if r.IntN(8) == 0 {
						src[i] = negInf // a masked key
					}
				}
				dst := guarded(n, func(int) float32 { return 0 })
				Softmax(dst[:n], src)
				checkGuard(t, "Softmax", dst, n)
				want := softmax64(src)
				for i, w := range want {
					e := math.Abs(float64(dst[i])-w) / (w * eps32)
					if w == 0 {
						e = math.Abs(float64(dst[i]))
					}
					worst = max(worst, e-float64(n))
					if e > maxSoftmaxError+float64(n) {
						t.Fatalf("n=%d: softmax[%d] of %v is %v, want %v (%.1f units)", n, i, src, dst[i], w, e)
					}
				}
				inPlace := append([]float32(nil), src...)
				Softmax(inPlace, inPlace)
				for i := range inPlace {
					if inPlace[i] != dst[i] {
						t.Fatalf("n=%d: in place [%d] is %v, want %v", n, i, inPlace[i], dst[i])
					}
				}
			}
		}
		t.Logf("worst %.2f units of 2⁻²⁴ beyond n", worst)
		masked := []float32{negInf, negInf, negInf}
		dst := []float32{1, 2, 3}
		if Softmax(dst, masked); dst[0] != 0 || dst[1] != 0 || dst[2] != 0 {
			t.Errorf("softmax of a masked row is %v, want zeros", dst)
		}
		if Softmax(dst, []float32{1, float32(math.NaN()), 2}); dst[0] == dst[0] || dst[2] == dst[2] {
			t.Errorf("softmax of a row with NaN is %v, want NaN", dst)
		}
	})
}

// softmax64 is the softmax of x in float64, zeros for a row of −Inf.
func softmax64(x []float32) []float64 {
	top := math.Inf(-1)
	for _, v := range x {
		top = max(top, float64(v))
	}
	out := make([]float64, len(x))
	if math.IsInf(top, -1) {
		return out
	}
	var sum float64
	for i, v := range x {
		out[i] = math.Exp(float64(v) - top)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

// maxSoftmaxBackwardError bounds SoftmaxBackward's error in units of 2⁻²⁴ of
// |scale·p|·(|dp − dot| + n·Σ|p·dp|): the dot's rounding (the second term) and three
// roundings after it. The worst measured is 0.91.
const maxSoftmaxBackwardError = 3

func TestSoftmaxBackward(t *testing.T) {
	const scale = 0.125
	eachImpl(t, func(t *testing.T, im string) {
		r := rand.New(rand.NewPCG(4, 4))
		worst := 0.0
		for _, n := range rowLengths {
			for trial := 0; trial < 20; trial++ {
				logits := make([]float32, n)
				for i := range logits {
					logits[i] = float32(r.NormFloat64() * 3)
				}
				p := make([]float32, n)
				for i, v := range softmax64(logits) {
					p[i] = float32(v)
				}
				dp0 := make([]float32, n)
				var dot, absDot float64
				for i := range dp0 {
					dp0[i] = float32(r.NormFloat64())
					dot += float64(p[i]) * float64(dp0[i])
					absDot += math.Abs(float64(p[i]) * float64(dp0[i]))
				}
				dp := guarded(n, func(i int) float32 { return dp0[i] })
				SoftmaxBackward(dp[:n], p, scale)
				checkGuard(t, "SoftmaxBackward", dp, n)
				for i := range p {
					sp := scale * float64(p[i])
					want := sp * (float64(dp0[i]) - dot)
					bound := eps32 * sp * (math.Abs(float64(dp0[i])-dot) + float64(n)*absDot)
					e := math.Abs(float64(dp[i]) - want)
					if bound > 0 {
						worst = max(worst, e/bound)
					}
					if e > maxSoftmaxBackwardError*bound {
						t.Fatalf("n=%d: [%d] is %v, want %v (%.2f of the bound)", n, i, dp[i], want, e/bound)
					}
				}
			}
		}
		t.Logf("worst %.2f of the bound", worst)
	})
}

// layerNorm64 is LayerNorm in float64 for float32 inputs: the row's mean, rstd and x̂.
func layerNorm64(x []float32, eps float32) (mean, rstd float64, xhat []float64) {
	for _, v := range x {
		mean += float64(v)
	}
	mean /= float64(len(x))
	var sq float64
	for _, v := range x {
		sq += (float64(v) - mean) * (float64(v) - mean)
	}
	rstd = 1 / math.Sqrt(sq/float64(len(x))+float64(eps))
	for _, v := range x {
		xhat = append(xhat, (float64(v)-mean)*rstd)
	}
	return mean, rstd, xhat
}

// layerNormRow is a test row: n values of mean offset and standard deviation 2, with weights
// and biases around 1 and 0.
func layerNormRow(r *rand.Rand, n int, offset float64) (x, w, b []float32) {
	for range n {
		x = append(x, float32(offset+2*r.NormFloat64()))
		w = append(w, float32(1+0.5*r.NormFloat64()))
		b = append(b, float32(0.5*r.NormFloat64()))
	}
	return x, w, b
}

// meanAbsOverSigma is the mean of |x|·rstd: the error of a float32 mean, in units of x̂.
func meanAbsOverSigma(x []float32, rstd float64) float64 {
	var s float64
	for _, v := range x {
		s += math.Abs(float64(v))
	}
	return s / float64(len(x)) * rstd
}

// maxLayerNormError bounds LayerNorm's error in units of 2⁻²⁴ of
// |w|·(|x̂| + mean(|x|)/σ) + |b|: the mean's rounding moves x̂ by the second term, the
// variance's, rstd and the affine map by a few roundings of the first. The worst measured is
// 2.2 (AVX-512; 1.9 portable).
const maxLayerNormError = 6

func TestLayerNorm(t *testing.T) {
	const eps = 1e-5
	eachImpl(t, func(t *testing.T, im string) {
		r := rand.New(rand.NewPCG(5, 5))
		worst := 0.0
		for _, offset := range []float64{0, 1, 50} {
			for _, n := range rowLengths[1:] {
				for trial := 0; trial < 10; trial++ {
					x, w, b := layerNormRow(r, n, offset)
					out := guarded(n, func(int) float32 { return 0 })
					mean, rstd := LayerNorm(out[:n], x, w, b, eps)
					checkGuard(t, "LayerNorm", out, n)
					m64, r64, xhat := layerNorm64(x, eps)
					a := meanAbsOverSigma(x, r64)
					if e := math.Abs(float64(mean)-m64) * r64; e > maxLayerNormError*eps32*a {
						t.Fatalf("offset %v n=%d: mean %v, want %v", offset, n, mean, m64)
					}
					if e := math.Abs(float64(rstd)/r64 - 1); e > maxLayerNormError*eps32*(1+a) {
						t.Fatalf("offset %v n=%d: rstd %v, want %v", offset, n, rstd, r64)
					}
					for i, xh := range xhat {
						want := xh*float64(w[i]) + float64(b[i])
						bound := eps32 * (math.Abs(float64(w[i]))*(math.Abs(xh)+a) + math.Abs(float64(b[i])))
						e := math.Abs(float64(out[i])-want) / bound
						worst = max(worst, e)
						if e > maxLayerNormError {
							t.Fatalf("offset %v n=%d: out[%d] %v, want %v (%.2f units)", offset, n, i, out[i], want, e)
						}
					}
					inPlace := append([]float32(nil), x...)
					LayerNorm(inPlace, inPlace, w, b, eps)
					for i := range inPlace {
						if inPlace[i] != out[i] {
							t.Fatalf("n=%d: in place [%d] is %v, want %v", n, i, inPlace[i], out[i])
						}
					}
				}
			}
		}
		t.Logf("worst %.2f units", worst)
		if mean, rstd := LayerNorm(nil, nil, nil, nil, 0.25); mean != 0 || rstd != 2 {
			t.Errorf("empty row: mean %v, rstd %v, want 0 and 2", mean, rstd)
		}
		row := []float32{3, 3, 3}
		if mean, _ := LayerNorm(row, row, []float32{1, 1, 1}, []float32{0.5, 0.5, 0.5}, eps); mean != 3 || row[0] != 0.5 || row[2] != 0.5 {
			t.Errorf("constant row: mean %v and %v, want 3 and the bias", mean, row)
		}
	})
}

// maxLayerNormGradError bounds LayerNormGrad's error in units of 2⁻²⁴ of
// rstd·(|g| + mean|g| + |x̂|·mean|g·x̂|)·(n/16 + 2), for g = dy·w: the means' rounding and
// a few after. The worst measured is 0.52.
const maxLayerNormGradError = 2

func TestLayerNormGrad(t *testing.T) {
	const eps = 1e-5
	eachImpl(t, func(t *testing.T, im string) {
		r := rand.New(rand.NewPCG(6, 6))
		worst := 0.0
		for _, offset := range []float64{0, 50} {
			for _, n := range rowLengths {
				for trial := 0; trial < 10; trial++ {
					x, w, _ := layerNormRow(r, n, offset)
					dy := make([]float32, n)
					for i := range dy {
						dy[i] = float32(r.NormFloat64())
					}
					mean, rstd := float32(0), float32(1)
					if n > 0 {
						m, s, _ := layerNorm64(x, eps)
						mean, rstd = float32(m), float32(s)
					}
					xhat := make([]float64, n)
					var mg, mgx, absG, absGX float64
					for i, v := range x {
						xhat[i] = (float64(v) - float64(mean)) * float64(rstd)
						g := float64(dy[i]) * float64(w[i])
						mg += g
						mgx += g * xhat[i]
						absG += math.Abs(g)
						absGX += math.Abs(g * xhat[i])
					}
					nf := float64(max(n, 1))
					mg, mgx, absG, absGX = mg/nf, mgx/nf, absG/nf, absGX/nf
					dx := guarded(n, func(int) float32 { return 0 })
					LayerNormGrad(dx[:n], x, w, dy, mean, rstd)
					checkGuard(t, "LayerNormGrad", dx, n)
					for i := range x {
						g := float64(dy[i]) * float64(w[i])
						want := (g - mg - xhat[i]*mgx) * float64(rstd)
						bound := eps32 * float64(rstd) * (math.Abs(g) + absG + math.Abs(xhat[i])*absGX) * (nf/16 + 2)
						e := math.Abs(float64(dx[i])-want) / bound
						worst = max(worst, e)
						if e > maxLayerNormGradError {
							t.Fatalf("offset %v n=%d: dx[%d] %v, want %v (%.2f of the bound)", offset, n, i, dx[i], want, e)
						}
					}
					inPlace := append([]float32(nil), dy...)
					LayerNormGrad(inPlace, x, w, inPlace, mean, rstd)
					for i := range inPlace {
						if inPlace[i] != dx[i] {
							t.Fatalf("n=%d: in place [%d] is %v, want %v", n, i, inPlace[i], dx[i])
						}
					}
				}
			}
		}
		t.Logf("worst %.2f of the bound", worst)
	})
}

// LayerNormWeightGrad adds dy·x̂ within 2 roundings of the sum.
func TestLayerNormWeightGrad(t *testing.T) {
	eachImpl(t, func(t *testing.T, im string) {
		r := rand.New(rand.NewPCG(7, 7))
		for _, n := range rowLengths {
			x, _, _ := layerNormRow(r, n, 1)
			dy, dw0 := make([]float32, n), make([]float32, n)
			for i := range dy {
				dy[i], dw0[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
			}
			const mean, rstd = 1.25, 0.5
			dw := guarded(n, func(i int) float32 { return dw0[i] })
			LayerNormWeightGrad(dw[:n], x, dy, mean, rstd)
			checkGuard(t, "LayerNormWeightGrad", dw, n)
			for i, v := range x {
				p := float64(dy[i]) * (float64(v) - mean) * rstd
				want := float64(dw0[i]) + p
				if e := math.Abs(float64(dw[i]) - want); e > 3*eps32*(math.Abs(want)+math.Abs(p)) {
					t.Fatalf("n=%d: dw[%d] %v, want %v", n, i, dw[i], want)
				}
			}
		}
	})
}

// The row kernels allocate nothing.
func TestRowKernelsAllocate(t *testing.T) {
	a, b, c, d := make([]float32, 64), make([]float32, 64), make([]float32, 64), make([]float32, 64)
	for i := range a {
		a[i], b[i], c[i] = float32(i), 1, 0.5
	}
	eachImpl(t, func(t *testing.T, im string) {
		allocs := testing.AllocsPerRun(10, func() {
			Add(d, a, b)
			Mul(d, a, b)
			AddMul(d, a, b, c)
			Scale(d, a, 2)
			Relu(d, a)
			ReluGrad(d, b, a)
			Max(a)
			Softmax(d, a)
			SoftmaxBackward(d, b, 0.5)
			m, s := LayerNorm(d, a, b, c, 1e-5)
			LayerNormGrad(d, a, b, c, m, s)
			LayerNormWeightGrad(d, a, b, m, s)
		})
		if allocs != 0 {
			t.Errorf("%v allocations per run, want 0", allocs)
		}
	})
}

// BenchmarkRows times the row kernels at the tfenc step's sizes: attention rows of 32 keys,
// layer norm rows of 64, element-wise runs of 4096.
func BenchmarkRows(b *testing.B) {
	r := rand.New(rand.NewPCG(8, 8))
	vec := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return v
	}
	x32, p32, x64, w64, b64, o64, x4k, y4k := vec(32), vec(32), vec(64), vec(64), vec(64), vec(64), vec(4096), vec(4096)
	o32 := make([]float32, 32)
	cases := []struct {
		name string
		n    int
		f    func()
	}{
		{"Softmax/32", 32, func() { Softmax(o32, x32) }},
		{"SoftmaxBackward/32", 32, func() { copy(o32, x32); SoftmaxBackward(o32, p32, 0.25) }},
		{"LayerNorm/64", 64, func() { LayerNorm(o64, x64, w64, b64, 1e-5) }},
		{"LayerNormGrad/64", 64, func() { LayerNormGrad(o64, x64, w64, b64, 0.1, 1.1) }},
		{"LayerNormWeightGrad/64", 64, func() { LayerNormWeightGrad(o64, x64, b64, 0.1, 1.1) }},
		{"Add/4096", 4096, func() { Add(y4k, y4k, x4k) }},
		{"Relu/4096", 4096, func() { Relu(y4k, x4k) }},
		{"ReluGrad/4096", 4096, func() { ReluGrad(y4k, y4k, x4k) }},
	}
	old := active.Load()
	defer active.Store(old)
	for _, im := range []*impl{available()[0], portable} {
		active.Store(im)
		for _, tc := range cases {
			b.Run(fmt.Sprintf("%s/%s", im.name, tc.name), func(b *testing.B) {
				for b.Loop() {
					tc.f()
				}
				b.ReportMetric(float64(tc.n*b.N)/b.Elapsed().Seconds()/1e9, "Gvalues/s")
			})
		}
	}
}
