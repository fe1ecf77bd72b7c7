package kernels

import "math"

// Sigmoid sets dst[i] = 1/(1+e^−src[i]) and Tanh dst[i] = tanh(src[i]), for float32 slices
// of equal length (dst may be src). Both are within 2.5 ulp of the float64 functions, flush
// results below the smallest normal float32 to 0 and keep NaN. Where AVX-512 runs they
// take 16 values at a time; elsewhere, and under GORGONET_SGEMM=portable, one at a time.
func Sigmoid(dst, src []float32) {
	if len(dst) != len(src) {
		panic("kernels: Sigmoid: dst and src differ in length")
	}
	if len(src) > 0 && vectorMath() {
		sigmoidAVX512(&dst[0], &src[0], len(src))
		return
	}
	for i, x := range src {
		dst[i] = Sigmoid32(x)
	}
}

// Tanh: see Sigmoid.
func Tanh(dst, src []float32) {
	if len(dst) != len(src) {
		panic("kernels: Tanh: dst and src differ in length")
	}
	if len(src) > 0 && vectorMath() {
		tanhAVX512(&dst[0], &src[0], len(src))
		return
	}
	for i, x := range src {
		dst[i] = Tanh32(x)
	}
}

// ExpShiftedSum sets dst[i] = e^(src[i]−shift) and returns their sum, the exponentials of a
// softmax: shift must be at least every src[i] (their maximum), so that no exponent is
// positive. Each value is within 2 ulp of the float64 function (as ExpNonPositive32), below
// e^−87.3 it is 0, and NaN stays NaN. dst may be src. Where AVX-512 runs it takes 16 values at
// a time and sums them in 16 lanes, so the sum's rounding differs from a sequential one.
func ExpShiftedSum(dst, src []float32, shift float32) float32 {
	if len(dst) != len(src) {
		panic("kernels: ExpShiftedSum: dst and src differ in length")
	}
	if len(src) > 0 && vectorMath() {
		return expShiftedSumAVX512(&dst[0], &src[0], len(src), shift)
	}
	var sum float32
	for i, x := range src {
		e := ExpNonPositive32(x - shift)
		dst[i] = e
		sum += e
	}
	return sum
}

// vectorMath reports whether the AVX-512 element-wise kernels run: on the AVX-512 SGEMM
// path, so that choosing another path for tests covers the portable code too.
func vectorMath() bool { return active.Load().flex }

// Sigmoid32 is 1/(1+e^−x) in float32, within 2.5 ulp.
func Sigmoid32(x float32) float32 {
	e := ExpNonPositive32(-abs32(x))
	if x >= 0 {
		return 1 / (1 + e)
	}
	return e / (1 + e)
}

// Tanh32 is tanh in float32, Cephes' tanhf: an odd polynomial below 0.625,
// (1−e^−2|x|)/(1+e^−2|x|) above; within 2.5 ulp.
func Tanh32(x float32) float32 {
	ax := abs32(x)
	if ax < 0.625 {
		z := x * x
		return ((((tanhP0*z+tanhP1)*z+tanhP2)*z+tanhP3)*z+tanhP4)*z*x + x
	}
	e := ExpNonPositive32(-2 * ax)
	t := (1 - e) / (1 + e)
	return math.Float32frombits(math.Float32bits(t) | math.Float32bits(x)&(1<<31))
}

// Cephes' tanhf polynomial, highest power first.
const (
	tanhP0 = -5.70498872745e-3
	tanhP1 = 2.06390887954e-2
	tanhP2 = -5.37397155531e-2
	tanhP3 = 1.33314422036e-1
	tanhP4 = -3.33332819422e-1
)

// ExpNonPositive32 is e^x for x ≤ 0 in float32, within 2 ulp: Cephes' expf, e^x = 2^n·e^r
// with |r| ≤ ln2/2 and a degree-6 polynomial for e^r. Below −87.3 it is 0.
func ExpNonPositive32(x float32) float32 {
	if !(x >= -87.3) { // also −Inf and NaN
		if x != x {
			return x
		}
		return 0
	}
	const ln2Hi, ln2Lo = 0.693359375, -2.12194440e-4
	z := x*math.Log2E + 0.5
	n := int32(z)
	if float32(n) > z {
		n-- // floor
	}
	fn := float32(n)
	r := x - fn*ln2Hi - fn*ln2Lo
	y := (((((expP0*r+expP1)*r+expP2)*r+expP3)*r+expP4)*r+expP5)*r*r + r + 1
	return y * math.Float32frombits(uint32(n+127)<<23)
}

// Cephes' expf polynomial, highest power first.
const (
	expP0 = 1.9875691500e-4
	expP1 = 1.3981999507e-3
	expP2 = 8.3334519073e-3
	expP3 = 4.1665795894e-2
	expP4 = 1.6666665459e-1
	expP5 = 5.0000001201e-1
)

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }
