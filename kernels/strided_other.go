//go:build !amd64

package kernels

// Stand-ins for the AVX-512 kernels of strided_amd64.s, which vectorMath never selects here.

func addRowsAVX512(dst *float32, ldDst int, src *float32, ldSrc int, rows, cols int, b float32) {
	panic("kernels: no AVX-512 here")
}
func sumAVX512(x *float32, n int) float32 { panic("kernels: no AVX-512 here") }
