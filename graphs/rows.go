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

// addRows sets dst[r·ldDst+i] = src[r·ldSrc+i] + b for r < rows, i < cols (kernels.AddRows).
func addRows[T float](dst []T, ldDst int, src []T, ldSrc int, rows, cols int, b T) {
	if d, ok := any(dst).([]float32); ok {
		kernels.AddRows(d, ldDst, any(src).([]float32), ldSrc, rows, cols, float32(b))
		return
	}
	for r := range rows {
		d, s := dst[r*ldDst:][:cols], src[r*ldSrc:][:cols]
		for i, v := range s {
			d[i] = v + b
		}
	}
}

// rowSum is Σ x[i] (kernels.Sum in float32).
func rowSum[T float](x []T) T {
	if v, ok := any(x).([]float32); ok {
		return T(kernels.Sum(v))
	}
	var s T
	for _, v := range x {
		s += v
	}
	return s
}

// transpose sets dst[j·ldDst+i] = src[i·ldSrc+j] for i < rows, j < cols (kernels.Transpose).
func transpose[T float](dst []T, ldDst int, src []T, ldSrc int, rows, cols int) {
	if d, ok := any(dst).([]float32); ok {
		kernels.Transpose(d, ldDst, any(src).([]float32), ldSrc, rows, cols)
		return
	}
	for i := range rows {
		for j, v := range src[i*ldSrc:][:cols] {
			dst[j*ldDst+i] = v
		}
	}
}
