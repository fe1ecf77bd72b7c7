package graphs

import "github.com/gorgonet/gorgonet/kernels"

// The element-wise loops the fused ops share: in float32 they run the kernels package's
// vector code, in float64 (the gradient checks) plain loops. Each slice has dst's length.

// vecAdd sets dst = x + y.
func vecAdd[T float](dst, x, y []T) {
	if d, ok := any(dst).([]float32); ok {
		kernels.Add(d, any(x).([]float32), any(y).([]float32))
		return
	}
	for i := range dst {
		dst[i] = x[i] + y[i]
	}
}

// vecMul sets dst = x ⊙ y.
func vecMul[T float](dst, x, y []T) {
	if d, ok := any(dst).([]float32); ok {
		kernels.Mul(d, any(x).([]float32), any(y).([]float32))
		return
	}
	for i := range dst {
		dst[i] = x[i] * y[i]
	}
}

// vecAddMul sets dst = x + y ⊙ z, rounding the product first.
func vecAddMul[T float](dst, x, y, z []T) {
	if d, ok := any(dst).([]float32); ok {
		kernels.AddMul(d, any(x).([]float32), any(y).([]float32), any(z).([]float32))
		return
	}
	for i := range dst {
		dst[i] = x[i] + T(y[i]*z[i])
	}
}

// rowMax is the largest value of a non-empty row, NaN if any value is: with kernels.Max in
// float32 (Go's max, which orders NaN and zeros, is several times slower).
func rowMax[T float](x []T) T {
	if x32, ok := any(x).([]float32); ok {
		return T(kernels.Max(x32))
	}
	mx := x[0]
	for _, v := range x[1:] {
		mx = max(mx, v)
	}
	return mx
}
