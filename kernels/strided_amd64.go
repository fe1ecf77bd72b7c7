package kernels

// The AVX-512 kernels of strided_amd64.s (see strided.go); rows, cols, n > 0.

//go:noescape
func addRowsAVX512(dst *float32, ldDst int, src *float32, ldSrc int, rows, cols int, b float32)

//go:noescape
func sumAVX512(x *float32, n int) float32
