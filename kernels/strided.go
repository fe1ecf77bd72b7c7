package kernels

import "fmt"

// AddRows sets dst[r·ldDst+i] = src[r·ldSrc+i] + b for every row r < rows and column
// i < cols: it copies a matrix between row strides (a convolution's wide product into its
// output planes, say) while adding b. With b = −0 it is an exact copy (x + −0 = x for every
// x, −0 and NaN included). Both paths round the one addition alike, so they agree bit for bit.
func AddRows(dst []float32, ldDst int, src []float32, ldSrc int, rows, cols int, b float32) {
	if rows <= 0 || cols <= 0 {
		return
	}
	if cols > ldDst || cols > ldSrc || len(dst) < (rows-1)*ldDst+cols || len(src) < (rows-1)*ldSrc+cols {
		panic(fmt.Sprintf("kernels: AddRows of %d×%d: dst has %d floats at stride %d, src %d at stride %d", rows, cols, len(dst), ldDst, len(src), ldSrc))
	}
	if vectorMath() {
		addRowsAVX512(&dst[0], ldDst, &src[0], ldSrc, rows, cols, b)
		return
	}
	for r := range rows {
		d, s := dst[r*ldDst:][:cols], src[r*ldSrc:][:cols]
		for i, v := range s {
			d[i] = v + b
		}
	}
}

// Sum is Σ x[i]: in 16 float32 lanes where AVX-512 runs, else in order in float64, so the
// two differ by at most n·2⁻²⁴·Σ|x[i]|.
func Sum(x []float32) float32 {
	if len(x) > 0 && vectorMath() {
		return sumAVX512(&x[0], len(x))
	}
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return float32(s)
}

// Transpose sets dst[j·ldDst+i] = src[i·ldSrc+j] for i < rows, j < cols: it writes the
// rows×cols matrix src (row stride ldSrc) as the columns of dst (row stride ldDst), eight
// rows at a time with the AVX2 block transpose where it runs. Values are moved, not computed.
func Transpose(dst []float32, ldDst int, src []float32, ldSrc int, rows, cols int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	if cols > ldSrc || rows > ldDst || len(src) < (rows-1)*ldSrc+cols || len(dst) < (cols-1)*ldDst+rows {
		panic(fmt.Sprintf("kernels: Transpose of %d×%d: src has %d floats at stride %d, dst %d at stride %d", rows, cols, len(src), ldSrc, len(dst), ldDst))
	}
	i := 0
	for ; i+8 <= rows; i += 8 {
		transpose8(dst[i:], ldDst, src[i*ldSrc:], ldSrc, cols)
	}
	for ; i < rows; i++ {
		for j, v := range src[i*ldSrc:][:cols] {
			dst[j*ldDst+i] = v
		}
	}
}
