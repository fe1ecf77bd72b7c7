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
