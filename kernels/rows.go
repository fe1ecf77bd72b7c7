package kernels

import "math"

// The row kernels of a Transformer's fused ops (softmax, layer norm, ReLU, residual sums) in
// float32. Where AVX-512 runs (vectorMath) they take 16 values at a time; elsewhere, and
// under GORGONET_SGEMM=portable, one at a time. The element-wise ones round as the scalar
// code does, so both paths agree bit for bit; the ones that sum a row sum it in 16 float32
// lanes on AVX-512 and in order on the portable path (in float64 where that costs nothing),
// so the paths differ within the bounds their doc comments give. dst may be any of the
// sources; nothing past a slice's length is read or written.

// Add sets dst[i] = x[i] + y[i].
func Add(dst, x, y []float32) {
	sameLen("Add", len(dst), len(x), len(y))
	if len(dst) > 0 && vectorMath() {
		addAVX512(&dst[0], &x[0], &y[0], len(dst))
		return
	}
	for i := range dst {
		dst[i] = x[i] + y[i]
	}
}

// Mul sets dst[i] = x[i]·y[i].
func Mul(dst, x, y []float32) {
	sameLen("Mul", len(dst), len(x), len(y))
	if len(dst) > 0 && vectorMath() {
		mulAVX512(&dst[0], &x[0], &y[0], len(dst))
		return
	}
	for i := range dst {
		dst[i] = x[i] * y[i]
	}
}

// AddMul sets dst[i] = x[i] + y[i]·z[i], rounding the product before the sum (no FMA), as
// the float32 operations written out do.
func AddMul(dst, x, y, z []float32) {
	sameLen("AddMul", len(dst), len(x), len(y), len(z))
	if len(dst) > 0 && vectorMath() {
		addMulAVX512(&dst[0], &x[0], &y[0], &z[0], len(dst))
		return
	}
	for i := range dst {
		dst[i] = x[i] + float32(y[i]*z[i])
	}
}

// Scale sets dst[i] = src[i]·a.
func Scale(dst, src []float32, a float32) {
	sameLen("Scale", len(dst), len(src))
	if len(dst) > 0 && vectorMath() {
		scaleAVX512(&dst[0], &src[0], len(dst), a)
		return
	}
	for i, v := range src {
		dst[i] = v * a
	}
}

// Relu sets dst[i] = max(src[i], 0) as Go's max does: NaN stays NaN and −0 becomes 0.
func Relu(dst, src []float32) {
	sameLen("Relu", len(dst), len(src))
	if len(dst) > 0 && vectorMath() {
		reluAVX512(&dst[0], &src[0], len(dst))
		return
	}
	for i, v := range src {
		dst[i] = max(v, 0)
	}
}

// ReluGrad sets dst[i] = dy[i] where x[i] > 0 and 0 elsewhere (ReLU's gradient, as
// PyTorch's at 0), reading x's sign off its bits: a NaN x passes dy when its sign bit is
// clear. The portable path needs no branch on the sign, a coin flip for activations.
func ReluGrad(dst, dy, x []float32) {
	sameLen("ReluGrad", len(dst), len(dy), len(x))
	if len(dst) > 0 && vectorMath() {
		reluGradAVX512(&dst[0], &dy[0], &x[0], len(dst))
		return
	}
	for i, v := range x {
		// keep = all ones when the bits of x, as an int32, are positive: −bits is negative
		keep := uint32((-int64(int32(math.Float32bits(v)))) >> 63)
		dst[i] = math.Float32frombits(math.Float32bits(dy[i]) & keep)
	}
}

// Max is the largest value of x: −Inf when x is empty, NaN when any value is.
func Max(x []float32) float32 {
	if len(x) > 0 && vectorMath() {
		return maxAVX512(&x[0], len(x))
	}
	top := float32(math.Inf(-1))
	for _, v := range x {
		top = max(top, v)
	}
	return top
}

// Softmax sets dst to the softmax of src, e^(src[i]−m)/Σⱼ e^(src[j]−m) for m = Max(src), or
// to zeros when every value is −Inf (a row whose keys are all masked); a NaN makes the row
// NaN. It is Max, ExpShiftedSum and Scale by 1/sum, so each value is within the exponential's
// 2 ulp, two roundings and the sum's rounding (n·2⁻²⁴ relative) of the float64 softmax.
func Softmax(dst, src []float32) {
	sameLen("Softmax", len(dst), len(src))
	top := Max(src)
	if top == float32(math.Inf(-1)) {
		clear(dst)
		return
	}
	sum := ExpShiftedSum(dst, src, top)
	Scale(dst, dst, 1/sum)
}

// SoftmaxBackward turns dp, the gradient of a softmax row p, into that of the scores the
// softmax took, times scale: dp[i] = scale·p[i]·(dp[i] − Σⱼ p[j]·dp[j]). The dot product is
// off by at most n·2⁻²⁴·Σ|p·dp| (lanes on AVX-512, float64 on the portable path), and each
// value takes three roundings after it.
func SoftmaxBackward(dp, p []float32, scale float32) {
	sameLen("SoftmaxBackward", len(dp), len(p))
	if len(dp) > 0 && vectorMath() {
		softmaxBackwardAVX512(&dp[0], &p[0], len(dp), scale)
		return
	}
	var dot float64
	for i, v := range p {
		dot += float64(v) * float64(dp[i])
	}
	d := float32(dot)
	for i, v := range p {
		dp[i] = scale * v * (dp[i] - d)
	}
}

// LayerNorm writes the layer norm of x into out: x̂ = (x − mean)·rstd with
// rstd = 1/√(variance + eps), then x̂·w + b, and returns mean and rstd (an empty row has mean 0
// and rstd 1/√eps). The mean and the variance (of x − mean, two passes) are sums of n
// terms; AVX-512 sums them in float32 lanes, the portable path in float64, so the results
// differ by the rounding of those sums: a few units of 2⁻²⁴ relative to the mean of |x| over
// the standard deviation, in x̂.
func LayerNorm(out, x, w, b []float32, eps float32) (mean, rstd float32) {
	sameLen("LayerNorm", len(out), len(x), len(w), len(b))
	if len(x) == 0 {
		return 0, 1 / float32(math.Sqrt(float64(eps)))
	}
	if vectorMath() {
		return layerNormAVX512(&out[0], &x[0], &w[0], &b[0], len(x), eps)
	}
	n := float64(len(x))
	var sum float64
	for _, v := range x {
		sum += float64(v)
	}
	mean = float32(sum / n)
	var sq float64
	for _, v := range x {
		c := float64(v) - float64(mean)
		sq += c * c
	}
	rstd = float32(1 / math.Sqrt(sq/n+float64(eps)))
	for i, v := range x {
		out[i] = (v-mean)*rstd*w[i] + b[i]
	}
	return mean, rstd
}

// LayerNormGrad sets dx to the gradient of a LayerNorm row's input from dy, that of its
// output, given the forward's mean and rstd: with x̂ = (x − mean)·rstd and g = dy·w,
// dx = (g − mean(g) − x̂·mean(g·x̂))·rstd. The two means are sums of n terms, rounded as
// LayerNorm's.
func LayerNormGrad(dx, x, w, dy []float32, mean, rstd float32) {
	sameLen("LayerNormGrad", len(dx), len(x), len(w), len(dy))
	if len(x) == 0 {
		return
	}
	if vectorMath() {
		layerNormGradAVX512(&dx[0], &x[0], &w[0], &dy[0], len(x), mean, rstd)
		return
	}
	var sg, sgx float64
	for i, v := range x {
		g := dy[i] * w[i]
		sg += float64(g)
		sgx += float64(g * ((v - mean) * rstd))
	}
	n := float64(len(x))
	mg, mgx := float32(sg/n), float32(sgx/n)
	for i, v := range x {
		dx[i] = (dy[i]*w[i] - mg - (v-mean)*rstd*mgx) * rstd
	}
}

// LayerNormWeightGrad adds dy ⊙ x̂, one row's share of the gradient of a LayerNorm's weight,
// to dw: dw[i] += dy[i]·(x[i] − mean)·rstd.
func LayerNormWeightGrad(dw, x, dy []float32, mean, rstd float32) {
	sameLen("LayerNormWeightGrad", len(dw), len(x), len(dy))
	if len(x) > 0 && vectorMath() {
		layerNormWeightGradAVX512(&dw[0], &x[0], &dy[0], len(x), mean, rstd)
		return
	}
	for i, v := range x {
		dw[i] += dy[i] * ((v - mean) * rstd)
	}
}

// sameLen panics unless every length is the first.
func sameLen(name string, n int, others ...int) {
	for _, m := range others {
		if m != n {
			panic("kernels: " + name + ": slices differ in length")
		}
	}
}
